"""Build the sentiment lexicons of hub/services/lexicons/ from their published sources.

``.venv/bin/python scripts/build_lexicons.py CACHE`` where CACHE holds the unpacked
distributions (``pip download --no-deps --no-binary :all: vaderSentiment==3.3.2`` and
``pip download --no-deps textblob-de==0.4.3``, unpacked). Writes en.tsv and de.tsv: one word
a line, its weight from -3 to 3 (hub/services/comment_text.py's scale). Sources and licences:
hub/services/lexicons/README.md.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "hub" / "services" / "lexicons"
WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")


def english(cache: Path) -> dict[str, float]:
    """VADER's lexicon (means of ten raters, -4..4), words only (no emoticons), scaled by 3/4."""
    path = cache / "vaderSentiment-3.3.2" / "vaderSentiment" / "vader_lexicon.txt"
    weights = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        token, mean, *_ = line.split("\t")
        if WORD.fullmatch(token):
            weights[token.lower()] = round(float(mean) * 0.75, 2)
    return weights


def german(cache: Path) -> dict[str, float]:
    """textblob-de's German polarity lexicon (-1..1), scaled by 2; neutral entries left out."""
    path = cache / "textblob_de" / "data" / "de-sentiment.xml"
    weights = {}
    for attributes in re.findall(r"<word ([^>]*)/>", path.read_text(encoding="utf-8")):
        form = re.search(r'form="([^"]*)"', attributes).group(1)
        polarity = float(re.search(r'polarity="([-0-9.]+)"', attributes).group(1))
        if polarity and WORD.fullmatch(form):
            weights[form.lower()] = round(polarity * 2, 2)
    return weights


def write(path: Path, weights: dict[str, float]) -> None:
    path.write_text("".join(f"{word}\t{weight:g}\n" for word, weight in sorted(weights.items())), encoding="utf-8")


if __name__ == "__main__":
    cache = Path(sys.argv[1])
    write(OUT / "en.tsv", english(cache))
    write(OUT / "de.tsv", german(cache))
