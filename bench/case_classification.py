"""Case classification: how often the comment alone names the category its customer meant,
and what classifying costs the sync that opens or joins a case.

``.venv/bin/python -m bench.case_classification [--seed 20261202] [--batches 40] [--size 10]``

Accuracy: the demo seed's complaint comments (hub/seed/generator.py: an opener by face and a
phrase per reason, German and English), each with the reason it was written for as the truth,
classified from the comment alone (no reason chosen, as on a page without the reason
question); with the reason chosen the category is that reason's by rule. Printed per
category and language: how many were right, and what the wrong ones became.

Cost: a temporary SQLite hub and an enrolled terminal (signed sync through the app, as a
terminal sends it) send ``--batches`` batches of ``--size`` very unhappy responses with a
reason, a comment and an email address, all joining one open case (so each batch reclassifies
a case that grows to 50 read responses and opens the sealed contacts of earlier cases), once
with classification and once with routing's hook replaced by nothing, alternating batch by
batch in the same run. The figures are the median and p95 of a batch's sync and their ratio.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from bench.scratch_hub import scratch_hub
from hub.db import database
from hub.seed import generator
from hub.services import catalog
from hub.services.alerts import routing
from hub.services.case_classification import category_of
from tests.hub.conftest import Clock, enroll_terminal

REASON_CATEGORY = {"queue": "checkout", "staff": "staff", "stock": "availability", "price": "prices"}
REASON_CATEGORY["cleanliness"] = "cleanliness"


def accuracy(rng: random.Random, per_phrase: int) -> None:
    """Comment-only classification of the seed's complaint comments against their reason."""
    print("comment alone -> category, on the demo seed's complaint comments")
    for language in ("de", "en"):
        for reason, category in REASON_CATEGORY.items():
            phrases = generator._PHRASES[language][(reason, False)]
            right, wrong = 0, {}
            for phrase in phrases:
                for _ in range(per_phrase):
                    opener = rng.choice(generator._OPENERS[language][rng.choice((1, 2))])
                    found = category_of([], [(f"{opener} {phrase}", language)], language)
                    if found == category:
                        right += 1
                    else:
                        wrong[found] = wrong.get(found, 0) + 1
            total = len(phrases) * per_phrase
            off = ", ".join(f"{k} {v}" for k, v in sorted(wrong.items())) or "-"
            print(f"  {language} {reason:<12} {right:>4}/{total:<4} right   wrong: {off}")


def _batch(terminal: Any, size: int) -> list[dict[str, Any]]:
    items = []
    for i in range(size):
        answers = [
            {"question": "rating", "kind": "smiley", "value": 1},
            {"question": "reason", "kind": "choice", "value": ["queue"]},
            {"question": "comment", "kind": "text", "value": "Lange Schlange an der Kasse, nur eine offen."},
        ]
        item = terminal.response(rating=1, answers=answers)
        item["contact"] = {"address": f"kunde{i % 7}@example.com", "consent": True}
        items.append(item)
    return items


def cost(batches: int, size: int) -> None:
    clock = Clock(datetime(2026, 11, 23, 9, 0, tzinfo=UTC))
    with scratch_hub(clock(), CLOCK=clock, LANGUAGE="en") as app:
        with app.app_context():
            database.connect(reuse_if_open=True)
            catalog.add_store("B001", "Berlin Mitte", time_zone="Europe/Berlin", now=clock())
            catalog.add_touchpoint("B001", "exit", "Exit")
            database.close()
        client = app.test_client()
        terminal = enroll_terminal(app, client, clock, "B001")
        hook = routing.classify_cases
        times: dict[bool, list[float]] = {True: [], False: []}
        for number in range(2 * batches):
            classify = number % 2 == 0
            routing.classify_cases = hook if classify else (lambda case_ids, *, now: None)
            items = _batch(terminal, size)
            clock.advance(seconds=30)
            began = time.perf_counter()
            answer = terminal.post_batch(items)
            times[classify].append(1000 * (time.perf_counter() - began))
            assert answer.status_code == 200, answer.get_data(as_text=True)
        routing.classify_cases = hook
    print(f"\nsync of {size} very unhappy responses joining one case (SQLite, {batches} batches each, alternating)")
    for classify in (False, True):
        found = sorted(times[classify])
        p95 = found[min(len(found) - 1, int(0.95 * len(found)))]
        label = "with" if classify else "without"
        print(f"  {label} classification: median {statistics.median(found):.1f} ms, p95 {p95:.1f} ms")
    ratio = statistics.median(times[True]) / statistics.median(times[False])
    print(f"  ratio of medians: {ratio:.2f}")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=20261202)
    parser.add_argument("--per-phrase", type=int, default=20)
    parser.add_argument("--batches", type=int, default=40)
    parser.add_argument("--size", type=int, default=10)
    args = parser.parse_args(argv)
    accuracy(random.Random(args.seed), args.per_phrase)
    cost(args.batches, args.size)


if __name__ == "__main__":
    main()
