"""What a comment talks about and how it sounds, in German and English.

Ingest calls these on every comment (hub/services/rollups.py feeds term_daily), so they are
small and fast: one regular expression pass, the Snowball stemmers (snowballstemmer, pure
Python) behind a cache, set look-ups, no models.

- ``comment_terms``: the topics of a comment: each word that is not a stop word, under its
  key (``word_key``: the Snowball stem for German or English, named by the shortest known
  word with that stem, so "Kasse" and "Kassen" are the topic "kasse", "Wartezeiten"
  "wartezeit", "happiest"... "happiness" "happy"; English words the stemmer would damage,
  "always", stay whole), and each pair of neighbouring such words ("opening hour",
  "freundlich personal"). A stop word, a number or a punctuation mark ends a phrase, so
  "and easy" is never a topic. ``term_sieve`` is the text every comment of a topic holds, for
  the comment browser's first sieve in SQL; the exact test is the terms themselves.
- ``comment_sentiment``: lexicon weights from -3 to 3: VADER's lexicon for English and the
  German Polarity Lexicon for German (both MIT; hub/services/lexicons/README.md), with the
  hand-made words of the trade over them; a word not in it is looked up by its key, so
  inflected forms count. Scope rules: a negation ("nicht", "kein", "not", "no") turns the
  next weighted word within reach the other way, weaker; an intensifier ("sehr", "very")
  strengthens the next one; "zu"/"too" before a word makes it a complaint whatever the word
  ("zu kurz", "too short"; "nicht zu teuer" turns that round again); after a contrast
  ("aber", "but") the clause weighs more. The sum is squashed into (-1, 1) as VADER does.
  Coverage and accuracy against people's ratings: bench/sentiment_accuracy.py.
- ``detect_language``: which of ``LANGUAGES`` a comment is written in, from its words (the
  stop words and hand-made lexicon words of each language it holds, umlauts and ß for
  German), so a German comment typed on a page set to English is counted with the German
  themes; a comment that gives no sign keeps the language its page was set to.

A language outside ``LANGUAGES`` gets both stop-word lists and both lexicons, no stemming.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

import snowballstemmer

LANGUAGES = ("de", "en")

MIN_LENGTH = 3
# a single word of weight 2 ("freundlich") gives 0.71, "sehr freundlich" 0.83
_SQUASH = 4.0
_NEGATION_FACTOR = -0.8
_NEGATION_REACH = 3
_INTENSITY = 1.5
_BEFORE_CONTRAST = 0.5
_AFTER_CONTRAST = 1.5

# words (letters only, inner apostrophes kept for "don't", "store's"), numbers, clause breaks;
# numbers and breaks end a phrase
_TOKEN = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*|\d+|[.,;:!?()\[\]\"…–—/]+")
_BREAK = frozenset('.,;:!?()[]"…–—/')
_NOT_A_WORD = _BREAK | frozenset("0123456789")


def _words(text: str) -> list[str]:
    """The words of a list written as one string (easier to read and extend than many quotes)."""
    return text.split()


_STOP = {
    "de": frozenset(
        _words("""
        aber alle allem allen aller alles als also am an ander andere anderem anderen anderer
        anderes anders auch auf aus bei beim bin bis bist bitte da dabei dadurch dafür dagegen
        daher dahin damals damit dann dar daran darauf daraus darf darum das dass daß dein deine
        dem den denen denn der deren des deshalb dessen dich die dies diese diesem diesen dieser
        dieses doch dort du durch eben ein eine einem einen einer eines einfach einige einmal er
        es etwa etwas euch euer eure für gab gar gegen geht gibt ging habe haben hast hat hatte
        hatten hätte hier hin hinter ich ihm ihn ihnen ihr ihre ihrem ihren ihrer im immer in
        ins ist ja jede jedem jeden jeder jedes jetzt kam kann kannst kein keine keinem keinen
        keiner keines konnte könnte lassen man manche mehr mein meine meinem meinen meiner mich
        mir mit muss musste müssen nach nein nicht nichts nie niemals noch nun nur ob oder ohne
        schon sehr sein seine seinem seinen seiner seit sich sie sind so sogar soll sollte sonst
        über um und uns unser unsere unter viel vom von vor war waren warst was weil weiter
        welche welchem welchen welcher wenn wer werde werden wie wieder wir wird wo wohl wollen
        wurde wurden würde zu zum zur zwar zwischen echt ganz total ziemlich wirklich leider wenig
        heute gestern mal halt eher bisschen eins zwei drei vier fünf sechs sieben acht neun zehn
        """)
    ),
    "en": frozenset(
        _words("""
        about above after again against all also am an and any are aren't as at be because been
        before being below between both but by can can't cannot could couldn't did didn't do does
        doesn't doing don't down during each even ever every few for from further get got had
        hadn't has hasn't have haven't having he her here hers herself him himself his how however
        i i'm i've if in into is isn't it it's its itself just let's me more most much must my
        myself no nor not now of off on once only or other our ours ourselves out over own quite
        rather really same she should shouldn't so some such than that that's the their theirs
        them themselves then there there's these they this those through to too today under
        until up upon very was wasn't we we're were weren't what when where which while who whom
        why will with won't would wouldn't yes yesterday you your yours yourself yet still
        though although dont didnt doesnt isnt wasnt cant wont im ive
        one two three four five six seven eight nine ten
        always never often sometimes usually ever also everything anything nothing something
        thing things lot lots bit went go going come came make made take took way
        """)
    ),
}
_ALL_STOP = _STOP["de"] | _STOP["en"]

_NEGATORS = frozenset(
    _words("""
    nicht kein keine keinem keinen keiner keines nie niemals nichts ohne weder
    not no never none nothing without nor neither cannot can't don't doesn't didn't isn't wasn't
    aren't weren't won't wouldn't couldn't shouldn't haven't hasn't hadn't dont doesnt didnt isnt
    wasnt arent werent wont wouldnt couldnt shouldnt cant
    """)
)
_INTENSIFIERS = frozenset(
    _words("""
    sehr extrem äußerst total absolut richtig wirklich besonders echt super voll ganz so
    very extremely really so absolutely totally truly particularly incredibly super highly
    """)
)
# "zu kurz", "too short": more of a quality than wanted is a complaint, whatever the quality
_EXCESS = frozenset(_words("zu too"))
# "nicht nur ... sondern auch", "not only ... but also": no negation
_NOT_ONLY = frozenset(_words("nur only"))
_CONTRASTS = frozenset(_words("aber jedoch allerdings trotzdem but however though although yet"))

# the hand-made weights -3..3 of the words of the trade, over the established lexicons; a few
# inflected forms spelt out where the stemmer does not reach them (participles, comparatives)
_LEXICON = {
    "de": {
        **dict.fromkeys(_words("freundlich nett hilfsbereit kompetent zuvorkommend höflich sauber"), 2.0),
        **dict.fromkeys(_words("gut schnell lecker frisch angenehm zufrieden ordentlich günstig"), 1.5),
        **dict.fromkeys(_words("toll super klasse prima perfekt hervorragend ausgezeichnet wunderbar"), 2.5),
        **dict.fromkeys(_words("top spitze exzellent begeistert großartig fantastisch"), 2.5),
        **dict.fromkeys(_words("danke dank gerne gern empfehlen lob kurz bequem übersichtlich"), 1.0),
        **dict.fromkeys(_words("gefallen gefällt geholfen besser beste schön"), 1.5),
        **dict.fromkeys(_words("okay ok"), 0.5),
        **dict.fromkeys(_words("offen geöffnet"), 0.0),  # a till or a shop, not a person
        **dict.fromkeys(_words("unfreundlich unhöflich frech arrogant inkompetent genervt"), -2.5),
        **dict.fromkeys(_words("schlecht langsam dreckig schmutzig teuer kalt voll eng laut"), -1.5),
        **dict.fromkeys(_words("schlimm katastrophe katastrophal furchtbar schrecklich ärgerlich"), -2.5),
        **dict.fromkeys(_words("unmöglich enttäuscht enttäuschend peinlich miserabel mies"), -2.0),
        **dict.fromkeys(_words("problem fehler ärger beschwerde chaos chaotisch defekt kaputt"), -1.5),
        **dict.fromkeys(_words("warten gewartet wartezeit warteschlange schlange lang lange ewig ewigkeit"), -1.0),
        **dict.fromkeys(_words("leer fehlt fehlten gefehlt ausverkauft überfüllt stress"), -1.0),
        **dict.fromkeys(_words("schlechter schlechteste"), -1.5),
    },
    "en": {
        **dict.fromkeys(_words("friendly nice helpful polite courteous competent clean kind"), 2.0),
        **dict.fromkeys(_words("good fast quick fresh pleasant happy satisfied tidy cheap easy"), 1.5),
        **dict.fromkeys(_words("great excellent perfect wonderful amazing awesome fantastic superb"), 2.5),
        **dict.fromkeys(_words("brilliant outstanding love loved lovely delighted best"), 2.5),
        **dict.fromkeys(_words("thanks thank recommend like liked enjoy enjoyed better short"), 1.0),
        **dict.fromkeys(_words("ok okay fine"), 0.5),
        **dict.fromkeys(_words("rude unfriendly impolite arrogant incompetent hostile hate hated"), -2.5),
        **dict.fromkeys(_words("bad slow dirty expensive cold crowded noisy messy poor"), -1.5),
        **dict.fromkeys(_words("terrible awful horrible disgusting worst dreadful appalling"), -2.5),
        **dict.fromkeys(_words("disappointed disappointing annoying annoyed unacceptable useless"), -2.0),
        **dict.fromkeys(_words("problem issue error complaint chaos chaotic broken faulty mess"), -1.5),
        **dict.fromkeys(_words("wait waited waiting queue line long forever ages"), -1.0),
        **dict.fromkeys(_words("empty missing sold stress stressful worse"), -1.0),
    },
}
_HAND = _LEXICON  # the hand-made weights: they tell the languages apart (detect_language)
_LEXICON_FILES = Path(__file__).with_name("lexicons")


def _load(language: str) -> dict[str, float]:
    """The established lexicon of ``language`` (hub/services/lexicons/README.md: VADER for
    English, the German Polarity Lexicon as textblob-de ships it), the hand-made weights over
    it (they know how customers of a store write), and each word's key (``word_key``) as well,
    so every inflected form is found (weights by key: the exact words are in ``_WEIGHTS``);
    where forms of one key disagree, their mean."""
    weights = _WEIGHTS[language]
    by_key: dict[str, list[float]] = {}
    for word, weight in weights.items():
        # a word the stemmer cuts deep is a derivation ("openness" -> "open"): it does not
        # speak for the other words of its stem
        if word in _HAND[language] or _close(word, language):
            by_key.setdefault(word_key(word, language), []).append(weight)
    return {key: sum(values) / len(values) for key, values in by_key.items()}


def _close(word: str, language: str) -> bool:
    """Whether the stemmer cuts no more than an inflection off ``word``: a word cut deeper is
    a derivation ("openness" -> "open") and speaks neither for nor as the name of its stem."""
    return len(word) - len(_stem(word, language)) <= 2


# English words the Porter2 stemmer cuts although they are no plural ("always" -> "alway")
_EN_WHOLE = frozenset(
    _words("""
    always perhaps sometimes towards afterwards nowadays news series species various previous
    famous serious delicious gorgeous generous nervous obvious anxious curious cautious this his
    was has does its yes less unless bus gas plus thus ridiculous
    """)
)
_STEMMERS = {language: snowballstemmer.stemmer(name) for language, name in (("de", "german"), ("en", "english"))}
_PLAIN = str.maketrans("äöü", "aou")


def _german_stem(word: str) -> str:
    """The German Snowball stem with the word's own umlauts and ß kept, so it reads as the
    word and starts every form of it ("öffnungszeit" for "Öffnungszeiten", not
    "offnungszeit")."""
    spelled = word.replace("ß", "ss")
    stem = _STEMMERS["de"].stemWord(spelled)
    if spelled.translate(_PLAIN)[: len(stem)] != stem:
        return stem
    key = spelled[: len(stem)]
    if "ß" in word and word.startswith(key.replace("ss", "ß")):
        key = key.replace("ss", "ß")
    return key


def _english_stem(word: str) -> str:
    """The English Snowball (Porter2) stem, a final y that the stemmer turned into i given
    back ("happy" and "happier" -> "happy", not "happi"); words it damages kept whole."""
    if word.endswith("'s"):
        word = word[:-2]
    if word in _EN_WHOLE:
        return word
    stem = _STEMMERS["en"].stemWord(word)
    if stem.endswith("i") and stem != word:
        stem = stem[:-1] + "y"
    return stem


def _stem(word: str, language: str) -> str:
    if len(word) < MIN_LENGTH:
        return word
    if language == "de":
        return _german_stem(word)
    if language == "en":
        return _english_stem(word)
    return word


# words customers of a store write about that no sentiment lexicon holds: they give a stem
# its readable name ("kasse" for "kass", "schlange" for "schlang")
_VOCABULARY = {
    "de": _words("""
        kasse schlange filiale markt laden personal mitarbeiter mitarbeiterin verkäufer verkäuferin
        kassierer kassiererin beratung auswahl angebot preis ware regal obst gemüse brot brötchen
        fleisch wurst käse milch getränk parkplatz einkaufswagen tüte sauberkeit toilette
        öffnungszeit wartezeit bedienung service qualität frische theke bäckerei metzgerei kaffee
        app karte zahlung bargeld pfand rückgabe umtausch kunde kundin eingang ausgang gang
        selbstbedienungskasse sortiment produkt artikel marke aktion rabatt kassenbon beleg
        leute stunde minute größe straße woche tüte geschlossen geöffnet
        """),
    "en": _words("""
        checkout queue line staff store shop price product shelf aisle cashier parking bag cart
        trolley service quality produce bakery coffee app card payment refund receipt customer
        entrance exit selection range offer discount deal milk bread meat cheese fruit vegetable
        toilet restroom hour manager employee assistant counter deli minute
        """),
}


def _lexicon_file(language: str) -> dict[str, float]:
    weights: dict[str, float] = {}
    for line in (_LEXICON_FILES / f"{language}.tsv").read_text(encoding="utf-8").splitlines():
        word, weight = line.split("\t")
        weights[word] = float(weight)
    return {**weights, **_HAND[language]}


_WEIGHTS = {language: _lexicon_file(language) for language in LANGUAGES}


def _labels(language: str) -> dict[str, str]:
    """Stem -> the shortest known word with that stem (the hand-made lexicon's and the
    vocabulary's first, then the established lexicon's; then the first in order): the name a
    term is counted and shown under."""
    labels: dict[str, str] = {}
    ours = {*_HAND[language], *_VOCABULARY[language]}  # first: they are the words of the trade
    known = {word for word in _WEIGHTS[language] if _close(word, language)} | ours
    for word in sorted(known, key=lambda w: (w not in ours, len(w), w)):
        labels.setdefault(_stem(word, language).translate(_PLAIN), word)
    return labels


# The labels and the lexicons by key stem every known word (about 0.2 s): built at first use, so
# a process that analyses no comment (most `voxloop` commands) starts without them.
_labels_of = cache(_labels)
_lexicon_of = cache(_load)


@cache
def _all_lexicon() -> dict[str, float]:
    return {**_lexicon_of("en"), **_lexicon_of("de")}


@lru_cache(maxsize=65536)
def word_key(word: str, language: str) -> str:
    """The term a lower-case word is counted under: its Snowball stem (German or English),
    named by the shortest known word with that stem ("kasse" for "Kassen", "teuer" for
    "teuren", "happy" for "happiest") or spelled to read as the word where no word is known;
    every inflected form of a word has the same key. A language outside ``LANGUAGES`` keeps
    its words as they are."""
    stem = _stem(word, language)
    # by the stem without umlauts, so a plural that takes one finds its singular ("Parkplätze")
    return _labels_of(language).get(stem.translate(_PLAIN), stem) if language in LANGUAGES else stem


_ALL_WEIGHTS = {**_WEIGHTS["en"], **_WEIGHTS["de"]}


def _shared_start(words: list[str]) -> str:
    first = words[0]
    for i, letter in enumerate(first):
        if any(i >= len(w) or w[i] != letter for w in words[1:]):
            return first[:i]
    return first


_LAST_SYLLABLE_VOWEL = re.compile(r"[aou](?=[^aeiouäöüy]*$)")


def _sieve_word(word: str) -> str:
    """What every form of a key word holds, "_" for one letter that may differ."""
    shared = _shared_start([word, _stem(word, "de"), _stem(word, "en")])
    if shared == word and word.endswith(("y", "e")) and len(word) > MIN_LENGTH:
        shared = word[:-1]  # "happy" for "happiest", "hope" for "hoping"
    # a German plural may take an umlaut ("Parkplatz", "Parkplätze"), and SQLite's LIKE folds
    # the case of ASCII letters only ("Öffnungszeiten"): any one letter there
    shared = _LAST_SYLLABLE_VOWEL.sub("_", shared)
    return "".join(c if c.isascii() else "_" for c in shared)


def term_sieve(term: str) -> tuple[str, ...]:
    """Text that every comment holding ``term`` contains, as LIKE patterns without the "%"
    around them ("_" for any one letter), for a cheap first sieve in SQL: per word of the
    term, what the word, its German and its English stem share (less an English final y or e
    that a stemmer changes: "happy" for "happiest"), with the vowel of its last syllable and
    every letter outside ASCII left open (umlaut plurals, SQLite's ASCII-only case folding).
    The exact test is ``term in comment_terms(...)``."""
    return tuple(sieve for word in term.lower().split() if (sieve := _sieve_word(word)).strip("_"))


# A comment is read up to four times in one ingest transaction: its language, terms and sentiment
# for the rollups, its language again for PostgreSQL's comment index, and language and terms
# once more by the classification of a case it joins, which also reads the case's earlier
# responses again on every batch that joins it. What these functions give is a pure function of
# their arguments, so the latest results are kept per process (nothing to invalidate: the same
# text always reads the same); a few thousand comments of a few hundred characters each.
ANALYSED = 4096


@lru_cache(maxsize=64)  # terms and sentiment of a comment not analysed before tokenise it once
def _tokens(text: str) -> tuple[tuple[str, bool], ...]:
    """Lower-case tokens (words and clause breaks), each with whether it began with a capital."""
    return tuple(
        (token.lower().replace("’", "'"), token[0].isupper())
        for token in _TOKEN.findall(unicodedata.normalize("NFC", text))
    )


_UMLAUTS = frozenset("äöüß")
_OWN_WORDS = {
    language: (_STOP[language] | frozenset(_HAND[language])) - (_STOP[other] | frozenset(_HAND[other]))
    for language, other in (("de", "en"), ("en", "de"))
}


@lru_cache(maxsize=ANALYSED)
def detect_language(text: str, fallback: str) -> str:
    """The language of ``text`` among ``LANGUAGES``: the one more of its words belong to only
    (a word with an umlaut or ß counts for German); ``fallback`` when neither leads."""
    votes = dict.fromkeys(LANGUAGES, 0)
    for token, _ in _tokens(text):
        if token[0] in _NOT_A_WORD:
            continue
        if not _UMLAUTS.isdisjoint(token):
            votes["de"] += 1
        else:
            for language, words in _OWN_WORDS.items():
                votes[language] += token in words
    best = max(votes.values())
    leaders = [language for language, count in votes.items() if count == best]
    return leaders[0] if best and len(leaders) == 1 else fallback


def comment_terms(text: str, language: str) -> list[str]:
    """The distinct terms of ``text`` in order of appearance: the key of each word that is not
    a stop word (its Snowball stem, so "Kasse" and "Kassen" are one term), and each pair of
    neighbouring such words ("opening hour", "freundlich personal"; after its second word).
    A stop word, a number or a punctuation mark between two words ends a phrase."""
    return list(_terms(text, language))


@lru_cache(maxsize=ANALYSED)
def _terms(text: str, language: str) -> tuple[str, ...]:
    stop = _STOP.get(language, _ALL_STOP)
    terms: dict[str, None] = {}
    previous: str | None = None
    for token, _capital in _tokens(text):
        if token[0] in _NOT_A_WORD or token in stop or len(token) < MIN_LENGTH:
            previous = None
            continue
        word = word_key(token, language)
        if word in stop or len(word) < MIN_LENGTH:  # "ganze", "viele": an inflected stop word
            previous = None
            continue
        terms[word] = None
        if previous is not None and previous != word:
            terms[f"{previous} {word}"] = None
        previous = word
    return tuple(terms)


def _weight(token: str, language: str) -> float | None:
    """A word's weight: as written, else by its key (an inflected form)."""
    weight = _WEIGHTS.get(language, _ALL_WEIGHTS).get(token)
    if weight is None and len(token) >= MIN_LENGTH:
        lexicon = _lexicon_of(language) if language in LANGUAGES else _all_lexicon()
        weight = lexicon.get(word_key(token, language))
    return weight


def _excess_of(token: str, capital: bool, language: str) -> bool:
    """Whether an unknown word after "zu"/"too" is a quality overdone ("zu salzig", "too
    salty"), not "zu Hause", "zu kaufen", "me too"."""
    if token in _ALL_STOP or len(token) < MIN_LENGTH:
        return False
    if language == "de" or (language not in LANGUAGES and not capital):
        return not capital and not token.endswith("en")
    return True


@dataclass
class _Clause:
    """What the words before say about the next ones, within a clause."""

    negated: int = 0  # how many more words a negation still reaches
    boost: float = 1.0  # an intensifier before the next weighted word
    excess: bool = False  # "zu"/"too" before the next word
    held: float = 0.0  # "super", "voll": a word of its own, or an intensifier of the next one


@lru_cache(maxsize=ANALYSED)
def comment_sentiment(text: str, language: str) -> float:
    """How positive ``text`` sounds, from -1 (very negative) to 1 (very positive); 0 when no
    weighted word occurs. Scope: a negation ("nicht", "kein", "not", "no") turns the next
    weighted word (up to ``_NEGATION_REACH`` words on, within the clause) the other way and
    weaker; an intensifier strengthens the next weighted word; "zu"/"too" before a word makes
    it a complaint ("zu kurz", "too short"; "nicht zu teuer" then turns that round). After a
    contrast ("aber", "but") the clause weighs more. The sum is squashed into (-1, 1) as
    VADER does."""
    total = 0.0
    scale = 1.0  # after a contrast the rest weighs more
    clause = _Clause()
    for token, capital in _tokens(text):
        if token[0] in _BREAK:
            total, clause = total + clause.held, _Clause()
            continue
        if token in _CONTRASTS:
            total, clause = (total + clause.held) * _BEFORE_CONTRAST, _Clause()
            scale = _AFTER_CONTRAST
            continue
        if token in _NEGATORS:
            clause.negated = _NEGATION_REACH
            continue
        if token in _NOT_ONLY and clause.negated == _NEGATION_REACH:
            clause.negated = 0  # "nicht nur", "not only"
            continue
        if token in _EXCESS:
            total, clause.held, clause.excess = total + clause.held, 0.0, True
            continue
        weight = _weight(token, language)
        if clause.excess:
            clause.excess = False
            if weight is not None or _excess_of(token, capital, language):
                weight = -max(abs(weight or 0.0), 1.0)
        if weight is None:
            if token in _INTENSIFIERS:
                clause.boost = _INTENSITY
            else:
                total, clause.held = total + clause.held, 0.0
                clause.negated = max(clause.negated - 1, 0)
            continue
        value = weight * scale
        if clause.negated:
            value *= _NEGATION_FACTOR
            clause.negated = 0  # a negation turns the one word it reaches
        if token in _INTENSIFIERS:
            total, clause.held, clause.boost = total + clause.held, value, _INTENSITY
            continue
        total += value * clause.boost
        clause.held, clause.boost = 0.0, 1.0
    score = total + clause.held
    if score == 0:
        return 0.0
    return score / math.sqrt(score * score + _SQUASH)
