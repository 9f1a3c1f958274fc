"""Words too wide for their box, broken where a reader expects it.

German compounds ("Warenverfügbarkeit", "Synchronisierung") are often wider than a button on a
small screen. ``break_long_words`` cuts such a word at its syllables, as the language's
hyphenation dictionary (pyphen's, the ones LibreOffice uses) has them, adds the hyphen and a line
break, and leaves every word that fits as it is. Codes and addresses (a device id, a hub URL)
break after their own separators. No Kivy in here: the label that measures the text
(``kiosk.fitting_label``) hands in what fits.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

import pyphen

# after these a word may break without an added hyphen: "Terminal-|Status", "https://|hub.example",
# "ConnectionPool(|host="
SEPARATORS = "-/._:@(=,"


@cache
def dictionary(language: str) -> pyphen.Pyphen | None:
    """pyphen's hyphenation patterns for ``language`` ("de", "en", "fr", ...), or None."""
    code = pyphen.language_fallback(language.replace("-", "_")) if language else None
    # at least 3 letters before a break and 4 after it: "Selbstbedienungs-kassen", never "-sen"
    return pyphen.Pyphen(lang=code, left=3, right=4) if code else None


def break_points(word: str, language: str) -> list[tuple[int, bool]]:
    """Where ``word`` may break: (position, whether a hyphen is added there), in order."""
    points = {i + 1: False for i, char in enumerate(word[:-1]) if char in SEPARATORS}
    hyphens = dictionary(language)
    if hyphens is not None:
        for position in hyphens.positions(word):
            if word[position - 1] not in SEPARATORS and word[position] not in SEPARATORS:
                points.setdefault(int(position), True)
    return sorted(points.items())


def break_word(word: str, fits: Callable[[str], bool], language: str) -> list[str]:
    """``word`` as lines that each fit: the longest piece that fits at every step. A piece that
    cannot be made to fit (no break point is short enough) is the shortest there is."""
    lines: list[str] = []
    while not fits(word):
        pieces = [(word[:at] + ("-" if hyphen else ""), at) for at, hyphen in break_points(word, language)]
        if not pieces:
            break
        fitting = [piece for piece in pieces if fits(piece[0])]
        line, at = fitting[-1] if fitting else pieces[0]
        lines.append(line)
        word = word[at:]
    return [*lines, word]


def break_long_words(text: str, fits: Callable[[str], bool], language: str) -> str:
    """``text`` with every word for which ``fits(word)`` is false broken into lines (a hyphen
    and a line break at each break); spaces and line breaks between words are kept."""
    lines = []
    for line in text.split("\n"):
        words = []
        for word in line.split(" "):
            words.append(word if not word or fits(word) else "\n".join(break_word(word, fits, language)))
        lines.append(" ".join(words))
    return "\n".join(lines)
