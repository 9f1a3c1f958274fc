"""Comment terms and sentiment on real German and English comments (pure, no database)."""

import re

import pytest

from hub.services.comment_text import LANGUAGES, comment_sentiment, comment_terms, detect_language, term_sieve, word_key


def test_the_languages_are_german_and_english():
    assert LANGUAGES == ("de", "en")


def test_german_terms_are_lower_case_words_and_phrases_without_stop_words():
    terms = comment_terms("Die Warteschlange an der Kasse war viel zu lang!", "de")
    assert terms == ["warteschlange", "kasse", "lang"]


def test_neighbouring_words_make_a_phrase_but_not_across_a_stop_word_or_punctuation():
    terms = comment_terms("Lange Wartezeit. Freundliches Personal, Kasse geschlossen", "de")
    assert "lang wartezeit" in terms
    assert "freundlich personal" in terms
    assert "kasse geschlossen" in terms
    assert "wartezeit freundlich" not in terms  # a full stop lies between
    assert "personal kasse" not in terms  # a comma lies between


def test_umlauts_and_sharp_s_stay_letters():
    terms = comment_terms("Größe der Tüten, Straße gesperrt, Öffnungszeiten", "de")
    assert {"größe", "tüte", "straße", "gesperrt", "straße gesperrt", "öffnungszeit"} <= set(terms)


def test_decomposed_umlauts_meet_composed_ones():
    assert comment_terms("Gro\u0308ße", "de") == comment_terms("Größe", "de") == ["größe"]


def test_german_plurals_and_inflections_meet_their_base_form():
    assert comment_terms("Kassen", "de") == comment_terms("Kasse", "de") == ["kasse"]
    assert comment_terms("Wartezeiten", "de") == ["wartezeit"]
    assert comment_terms("Mitarbeiterinnen", "de") == comment_terms("Mitarbeiter", "de") == ["mitarbeiter"]
    assert comment_terms("freundlichen", "de") == comment_terms("freundliche", "de") == ["freundlich"]


def test_common_short_german_adjectives_meet_their_base_form():
    assert (
        comment_terms("Gute Angebote", "de") == comment_terms("gut Angebote", "de") == ["gut", "angebot", "gut angebot"]
    )
    assert comment_terms("Lange Wartezeit", "de")[0] == comment_terms("zu lang", "de")[0] == "lang"


def test_an_inflected_stop_word_is_still_a_stop_word():
    assert comment_terms("Die ganze Zeit viele Leute", "de") == ["zeit", "leute"]


def test_english_plurals_meet_their_singular():
    assert comment_terms("queues", "en") == comment_terms("queue", "en") == ["queue"]
    assert comment_terms("boxes", "en") == ["box"]
    assert comment_terms("the store's checkout", "en") == ["store", "checkout", "store checkout"]
    # words that only look plural stay whole
    assert comment_terms("glass bus", "en") == ["glass", "bus", "glass bus"]


def test_every_terms_sieve_is_in_the_text_of_the_comments_it_stands_for():
    """The comment browser finds a theme's comments with a LIKE on the sieve first ("_" any
    one letter; SQLite folds the case of ASCII letters only), then tests the terms exactly."""
    text = "Kassen, Schlangen, freundlichen Mitarbeiterinnen; Öffnungszeiten, Parkplätze; queues, happiest, hoping"
    for language in LANGUAGES:
        for term in comment_terms(text, language):
            sieve = term_sieve(term)
            assert sieve and all(part.isascii() for part in sieve), term
            for part in sieve:
                assert re.search(part.replace("_", "."), text, re.IGNORECASE | re.ASCII), (term, part)
    assert comment_terms("Parkplätze", "de") == comment_terms("Parkplatz", "de") == ["parkplatz"]


def test_numbers_short_tokens_and_number_words_are_dropped():
    assert comment_terms("2 Kassen offen um 18 Uhr, zwei Stunden", "de") == [
        "kasse",
        "offen",
        "kasse offen",
        "uhr",
        "stunde",
    ]
    # a number ends a phrase as a stop word does
    assert comment_terms("waited 20 minutes", "en") == ["wait", "minute"]


def test_terms_are_distinct_and_keep_the_order_of_first_appearance():
    terms = comment_terms("Kasse zu, Kasse kaputt, Kasse zu", "de")
    assert terms == ["kasse", "kaputt", "kasse kaputt"]
    assert len(terms) == len(set(terms))


def test_english_stop_words_are_dropped_from_english_comments():
    assert comment_terms("The staff were not very friendly and the queue was long", "en") == [
        "staff",
        "friendly",
        "queue",
        "long",
    ]


def test_a_comment_without_words_has_no_terms():
    assert comment_terms("", "de") == []
    assert comment_terms("!!! 123 :-)", "en") == []


def test_another_language_uses_both_stop_word_lists_and_no_folding():
    assert comment_terms("the Kassen und queues, Kassen queues", "fr") == ["kassen", "queues", "kassen queues"]


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Sehr freundliche Beratung, danke!", "de"),
        ("Alles super, gerne wieder", "de"),
        ("Kein Problem, schnell und sauber", "de"),
        ("Great service, very friendly staff!", "en"),
        ("Not bad at all, quick checkout", "en"),
    ],
)
def test_praise_sounds_positive(text, language):
    assert comment_sentiment(text, language) > 0.3


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Zu lange gewartet, nur eine Kasse offen", "de"),
        ("Die Verkäuferin war unfreundlich und genervt", "de"),
        ("Das Personal war nicht freundlich", "de"),
        ("The cashier was rude and the queue was terrible", "en"),
        ("Staff not friendly, would not recommend", "en"),
    ],
)
def test_complaints_sound_negative(text, language):
    assert comment_sentiment(text, language) < -0.3


def test_negation_turns_praise_around():
    assert comment_sentiment("freundlich", "de") > 0 > comment_sentiment("nicht freundlich", "de")
    assert comment_sentiment("friendly", "en") > 0 > comment_sentiment("not friendly", "en")
    assert comment_sentiment("didn't like it", "en") < 0
    assert comment_sentiment("kein Problem", "de") > 0


def test_negation_ends_at_punctuation():
    assert comment_sentiment("Nicht schlimm. Freundlich.", "de") > comment_sentiment("nicht freundlich", "de")
    assert comment_sentiment("No. Friendly.", "en") == comment_sentiment("Friendly", "en")


def test_intensifiers_strengthen_the_next_word():
    assert comment_sentiment("sehr freundlich", "de") > comment_sentiment("freundlich", "de")
    assert comment_sentiment("very rude", "en") < comment_sentiment("rude", "en")
    # "super" praises on its own and strengthens before another word
    assert comment_sentiment("Alles super", "de") > 0
    assert comment_sentiment("super freundlich", "de") > comment_sentiment("freundlich", "de")


def test_the_clause_after_but_weighs_more():
    assert comment_sentiment("freundlich, aber langsam", "de") < 0
    assert comment_sentiment("slow but friendly", "en") > 0


def test_sentiment_stays_between_minus_one_and_one():
    rant = "furchtbar schrecklich katastrophal " * 50
    praise = "great excellent perfect " * 50
    assert -1 < comment_sentiment(rant, "de") < -0.9
    assert 0.9 < comment_sentiment(praise, "en") < 1


def test_a_comment_without_lexicon_words_is_neutral():
    assert comment_sentiment("Ich habe Brot gekauft", "de") == 0.0
    assert comment_sentiment("", "en") == 0.0


def test_a_folded_form_finds_the_lexicon_word():
    assert comment_sentiment("unfreundliche Bedienung", "de") < 0
    assert comment_sentiment("freundlichen Mitarbeiter", "de") > 0


@pytest.mark.parametrize(
    ("text", "page", "written"),
    [
        ("Die Schlange an der Kasse war viel zu lang", "en", "de"),
        ("The queue at the till was far too long", "de", "en"),
        ("Brötchen alle", "en", "de"),  # an umlaut
        ("Mitarbeiter sehr freundlich", "en", "de"),
        ("staff very friendly", "de", "en"),
        ("ok", "de", "de"),  # no sign: the page's language
        ("Kasse 3", "en", "en"),
        ("", "de", "de"),
    ],
)
def test_a_comment_is_read_in_the_language_it_is_written_in(text, page, written):
    assert detect_language(text, page) == written


# --- known truth: scope of "zu"/"too" and negation, the stemmer, topics ----------------------


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Die Öffnungszeiten sind zu kurz", "de"),
        ("Die Wartezeit war zu lang", "de"),
        ("Viel zu teuer", "de"),
        ("Das Brot war zu salzig", "de"),
        ("The opening hours are too short", "en"),
        ("The coffee was too sweet", "en"),
    ],
)
def test_too_much_of_a_quality_is_a_complaint(text, language):
    assert comment_sentiment(text, language) < -0.3


def test_a_negation_turns_the_complaint_round_and_ends_with_its_clause():
    assert comment_sentiment("Nicht zu teuer", "de") > 0.3
    assert comment_sentiment("Kein Problem, alles gut", "de") > 0.3
    assert comment_sentiment("Das Personal war nicht freundlich", "de") < -0.3
    # the negation reaches the next weighted word only, and not past a comma
    assert comment_sentiment("Not rude, friendly and helpful", "en") > 0.5
    assert comment_sentiment("Nicht nur freundlich, sondern auch schnell", "de") > 0.5


def test_zu_before_a_place_or_an_infinitive_is_no_complaint():
    assert comment_sentiment("Ich gehe gern zu Hause einkaufen", "de") >= 0
    assert comment_sentiment("Schön, hier zu kaufen", "de") > 0


def test_english_words_the_stemmer_would_cut_stay_whole():
    assert word_key("always", "en") == "always"
    assert "alway" not in comment_terms("The staff is always friendly", "en")


def test_a_topic_groups_the_inflected_forms_of_its_word():
    german = ["Die Kasse war zu", "Alle Kassen waren voll", "An der Kasse"]
    english = ["The queue was long", "Two queues", "Queueing for ages"]
    assert {word_key(w, "de") for w in ("kasse", "kassen")} == {"kasse"}
    assert {word_key(w, "de") for w in ("parkplatz", "parkplätze", "parkplätzen")} == {"parkplatz"}
    assert all("kasse" in comment_terms(text, "de") for text in german)
    assert {word_key(w, "en") for w in ("happy", "happiness")} == {"happy"}
    assert all("queue" in comment_terms(text, "en") for text in english)
    # stop words never make a topic or a phrase
    assert comment_terms("Quick and easy, and always friendly", "en") == ["quick", "easy", "friendly"]


def test_the_established_lexicons_score_words_the_hand_made_one_lacks():
    assert comment_sentiment("The cashier was grouchy", "en") < 0
    assert comment_sentiment("Die Verkäuferin war herzlich", "de") > 0


def test_a_comment_read_again_reads_the_same_and_its_terms_are_a_list_of_its_own():
    text = "Die Schlange an der Kasse war lang, aber das Personal sehr freundlich"
    first = comment_terms(text, "de")
    first.append("changed by the caller")
    assert comment_terms(text, "de") == ["schlange", "kasse", "lang", "personal", "freundlich"]
    assert detect_language(text, "en") == detect_language.__wrapped__(text, "en") == "de"
    assert comment_sentiment(text, "de") == comment_sentiment.__wrapped__(text, "de") > 0


def test_what_is_kept_is_keyed_by_the_whole_text_and_the_language_asked():
    assert detect_language("Sehr gut", "en") == "de"
    assert detect_language("Sehr gut!", "en") == "de"
    assert detect_language("ok", "en") == "en"
    assert detect_language("ok", "de") == "de"  # no sign either way: the page's language
    assert comment_terms("Kassen voll", "de") == ["kasse", "voll", "kasse voll"]
    assert comment_terms("Kassen voll", "en") != comment_terms("Kassen voll", "de")
