"""Words too wide for their box break at a syllable, with a hyphen (kiosk/hyphenation.py); codes
and addresses at their own separators; words that fit are left alone. Width here is counted in
characters; the terminal's labels measure it in pixels of their font."""

from __future__ import annotations

from kiosk.hyphenation import break_long_words, break_word


def at_most(characters: int):
    return lambda text: len(text) <= characters


def test_words_that_fit_are_left_as_they_are():
    assert break_long_words("Wartezeit an der Kasse", at_most(10), "de") == "Wartezeit an der Kasse"


def test_a_german_compound_breaks_at_a_syllable_with_a_hyphen():
    assert break_long_words("Warenverfügbarkeit", at_most(14), "de") == "Warenverfüg-\nbarkeit"
    assert break_long_words("Selbstbedienungskassen", at_most(20), "de") == "Selbstbedienungs-\nkassen"


def test_a_word_breaks_as_often_as_it_must_each_line_fitting():
    lines = break_word("Selbstbedienungskassen", at_most(8), "de")
    assert "".join(line.removesuffix("-") for line in lines) == "Selbstbedienungskassen"
    assert all(len(line) <= 8 for line in lines)
    assert all(line.endswith("-") for line in lines[:-1])


def test_no_break_leaves_fewer_than_four_letters_behind():
    assert break_long_words("Selbstbedienungskassen", at_most(21), "de") == "Selbstbedienungs-\nkassen"


def test_english_words_break_by_english_rules():
    assert break_long_words("Cleanliness", at_most(7), "en") == "Clean-\nliness"


def test_a_word_with_a_hyphen_breaks_there_without_another():
    assert break_long_words("Terminal-Status", at_most(10), "de") == "Terminal-\nStatus"


def test_codes_and_addresses_break_at_their_separators_only_without_a_language():
    assert break_long_words("https://hub.example.org/api", at_most(12), "") == "https://hub.\nexample.org/\napi"
    device = "0192f4c8-3b7a-7e21-9c4d-8f0a6b2e1d35"
    assert break_long_words(device, at_most(15), "") == "0192f4c8-3b7a-\n7e21-9c4d-\n8f0a6b2e1d35"


def test_a_word_without_a_break_point_stays_whole():
    assert break_long_words("0192f4c83b7a", at_most(5), "") == "0192f4c83b7a"


def test_the_spaces_and_line_breaks_between_words_are_kept():
    text = "Bitte  Warenverfügbarkeit\nprüfen"
    assert break_long_words(text, at_most(14), "de") == "Bitte  Warenverfüg-\nbarkeit\nprüfen"


def test_a_language_pyphen_does_not_know_breaks_at_separators_only():
    assert break_long_words("Warenverfügbarkeit", at_most(14), "xx") == "Warenverfügbarkeit"
