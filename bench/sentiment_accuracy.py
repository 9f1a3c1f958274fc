"""Comment sentiment against people's ratings: coverage and accuracy on external labelled sets.

``.venv/bin/python -m bench.sentiment_accuracy [--cache var/bench-cache]``

The labelled sets are the ground truth of Hutto and Gilbert (ICWSM 2014): 4,200 tweets, 3,708
Amazon review snippets, 10,605 movie review snippets and 5,190 New York Times editorial
snippets, each rated by about 20 people from -4 to +4 (the mean is the truth). They ship in
the source distribution of the vaderSentiment package on PyPI (MIT licence), which this
bench downloads once with pip into ``--cache`` (never committed). The same distribution holds
VADER itself, run here as the reference next to ours.

Per set: coverage (the share of texts that get any score other than 0), accuracy on the
texts people clearly rated one way (|mean| >= 0.5): the sign is right among those scored, and
among all of them (a text without a score counts as missed), and Pearson's r between score
and rating over every text.

German: no labelled German comment set ships in a package on PyPI that we found (the German
sets of the literature are downloads from their authors or need a licence to use), so German
is not measured here; tests/hub/test_comment_text.py holds German known-truth sentences.
"""

from __future__ import annotations

import argparse
import importlib.util
import math
import subprocess
import sys
import tarfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from hub.services.comment_text import comment_sentiment

PACKAGE = "vaderSentiment==3.3.2"
SETS = {
    "tweets": "tweets_GroundTruth.txt",
    "Amazon reviews": "amazonReviewSnippets_GroundTruth.txt",
    "movie reviews": "movieReviewSnippets_GroundTruth.txt",
    "NYT editorials": "nytEditorialSnippets_GroundTruth.txt",
}
CLEAR = 0.5  # a mean rating at least this far from 0 is clearly positive or negative


def fetch(cache: Path) -> Path:
    """The unpacked source distribution of vaderSentiment (downloaded with pip the first time)."""
    root = cache / "vaderSentiment-3.3.2"
    truth = root / "additional_resources" / "hutto_ICWSM_2014"
    if truth.is_dir():
        return root
    cache.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:", PACKAGE, "-d", str(cache)],
        check=True,
        capture_output=True,
    )
    with tarfile.open(cache / "vaderSentiment-3.3.2.tar.gz") as sdist:
        sdist.extractall(cache, filter="data")
    with tarfile.open(root / "additional_resources" / "hutto_ICWSM_2014.tar.gz") as inner:
        inner.extractall(root / "additional_resources", filter="data")
    return root


def labelled(root: Path, name: str) -> list[tuple[float, str]]:
    """(mean rating, text) of one set."""
    path = root / "additional_resources" / "hutto_ICWSM_2014" / SETS[name]
    rows = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        parts = line.split("\t", 2)
        if len(parts) == 3:
            rows.append((float(parts[1]), parts[2]))
    return rows


def vader(root: Path) -> Callable[[str], float]:
    """VADER's compound score, from the downloaded distribution."""
    spec = importlib.util.spec_from_file_location("vader_reference", root / "vaderSentiment" / "vaderSentiment.py")
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    analyzer = module.SentimentIntensityAnalyzer()
    return lambda text: analyzer.polarity_scores(text)["compound"]


def pearson(xs: Sequence[float], ys: Sequence[float]) -> float:
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
    sxx = sum((x - mx) ** 2 for x in xs)
    syy = sum((y - my) ** 2 for y in ys)
    return sxy / math.sqrt(sxx * syy) if sxx and syy else math.nan


def measure(rows: list[tuple[float, str]], score: Callable[[str], float]) -> dict[str, float]:
    scores = [score(text) for _, text in rows]
    clear = [(truth, s) for (truth, _), s in zip(rows, scores, strict=True) if abs(truth) >= CLEAR]
    scored = [(truth, s) for truth, s in clear if s != 0]
    right = sum((truth > 0) == (s > 0) for truth, s in scored)
    return {
        "n": len(rows),
        "coverage": sum(s != 0 for s in scores) / len(rows),
        "clear": len(clear),
        "accuracy_scored": right / len(scored) if scored else math.nan,
        "accuracy_all": right / len(clear) if clear else math.nan,
        "r": pearson([truth for truth, _ in rows], scores),
    }


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=Path("var/bench-cache"))
    args = parser.parse_args(argv)
    began = time.perf_counter()
    root = fetch(args.cache)
    reference = vader(root)
    ours: Callable[[str], float] = lambda text: comment_sentiment(text, "en")  # noqa: E731
    print(f"English labelled sets of {PACKAGE} (Hutto and Gilbert 2014); clearly rated: |mean| >= {CLEAR}")
    print(
        f"\n{'set':16} {'scorer':8} {'n':>6} {'coverage':>9} {'clear':>6} {'acc. scored':>12} {'acc. all':>9} {'r':>6}"
    )
    for name in SETS:
        rows = labelled(root, name)
        for label, score in (("voxloop", ours), ("VADER", reference)):
            m = measure(rows, score)
            print(
                f"{name:16} {label:8} {m['n']:6d} {100 * m['coverage']:8.1f}% {m['clear']:6d} "
                f"{100 * m['accuracy_scored']:11.1f}% {100 * m['accuracy_all']:8.1f}% {m['r']:6.3f}"
            )
    print("\nGerman: no labelled German set ships in a PyPI package that we found; not measured.")
    print(f"\n{time.perf_counter() - began:.1f} s")


if __name__ == "__main__":
    main()
