"""What a reason costs the smiley index, from counts: known-truth data, every figure worked out
by hand (4 faces: weights -100, -33.3, 33.3, 100)."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from hub.services.drivers import measure, rank, sentence, top_reasons, with_effect
from hub.services.reason_effects import effects
from shared.scoring import smiley_weight

FACES = 4
W = {face: smiley_weight(face, FACES) for face in range(1, FACES + 1)}


def mean(counts: dict[int, int]) -> float:
    return sum(W[f] * c for f, c in counts.items()) / sum(counts.values())


def add(*groups: dict[int, int]) -> dict[int, int]:
    total: dict[int, int] = {}
    for group in groups:
        for face, c in group.items():
            total[face] = total.get(face, 0) + c
    return total


# Customers naming no reason, a common mild one (most of them still give the third face) and a
# rare severe one (every one the worst face); nobody names both, every face is asked.
NONE = {4: 408, 3: 272}
QUEUE = {3: 280, 2: 20}
RUDE = {1: 30}
EVERYONE = add(NONE, QUEUE, RUDE)


def reasons(everyone, asked, named, together=None, labels=None):
    """The drivers the hub would show for these counts, ranked."""
    found = effects(FACES, everyone, asked, named, together or {})
    labels = labels or {k: k for k in named}
    plain = [measure("reason", k, labels[k], c, everyone, FACES, question="reason") for k, c in named.items()]
    return rank([with_effect(d, found, labels) for d in plain])


def test_a_gain_is_what_the_index_gains_if_the_reasons_customers_were_as_happy_as_those_without_it():
    found = effects(FACES, EVERYONE, EVERYONE, {"queue": QUEUE, "rude": RUDE})
    n = sum(EVERYONE.values())
    queue, rude = found.effects["queue"], found.effects["rude"]
    assert found.estimable and found.asked == n
    # true gains: share x (index of those naming nothing - index of those naming it)
    assert queue.gain == pytest.approx(300 / n * (mean(NONE) - mean(QUEUE)), rel=1e-4)
    assert rude.gain == pytest.approx(30 / n * (mean(NONE) - mean(RUDE)), rel=1e-4)
    assert queue.gain_low < queue.gain < queue.gain_high
    assert rude.gain_low < rude.gain < rude.gain_high


def test_a_rare_severe_reason_ranks_below_a_common_one_with_a_larger_true_gain():
    # true gains 13.2 (queue) and 5.1 (rude); importance x share still unhappy put rude first
    ranked = reasons(EVERYONE, EVERYONE, {"queue": QUEUE, "rude": RUDE})
    assert [(d.key, d.rank) for d in ranked] == [("queue", 1), ("rude", 2)]
    assert ranked[0].gain == pytest.approx(300 / 1010 * (mean(NONE) - mean(QUEUE)), rel=1e-4)
    assert ranked[1].gain == pytest.approx(30 / 1010 * (mean(NONE) + 100), rel=1e-4)
    assert ranked[0].gain > 13 and 5 < ranked[1].gain < 5.3
    assert [d.key for d in top_reasons(ranked, 3)] == ["queue", "rude"]


def test_a_harmless_reason_that_comes_with_a_harmful_one_gains_nothing():
    # "crowded" is named by a third of those who queue and by a few others, and changes no face
    alone, both, crowded_only = {3: 180, 2: 20}, {3: 90, 2: 10}, {4: 30, 3: 20}
    everyone = add(NONE, alone, both, crowded_only)
    named = {"queue": add(alone, both), "crowded": add(both, crowded_only)}
    found = effects(FACES, everyone, everyone, named, {("crowded", "queue"): both})
    n = sum(everyone.values())
    assert found.effects["crowded"].gain == pytest.approx(0.0, abs=1e-3)
    queue = add(alone, both)
    assert found.effects["queue"].gain == pytest.approx(300 / n * (mean(NONE) - mean(queue)), rel=1e-4)


def test_reasons_named_together_most_of_the_time_are_flagged():
    both, queue_only = {2: 80, 1: 20}, {2: 10}
    everyone = add(NONE, both, queue_only)
    named = {"queue": add(both, queue_only), "crowded": both}
    ranked = reasons(everyone, everyone, named, {("crowded", "queue"): both}, {"queue": "Queue", "crowded": "Crowded"})
    queue = next(d for d in ranked if d.key == "queue")
    assert any("together with “Crowded”" in w for w in queue.warnings)
    assert any("together with “Queue”" in w for w in next(d for d in ranked if d.key == "crowded").warnings)


def test_a_reason_named_by_almost_every_unhappy_customer_is_flagged_as_venting():
    unhappy = {1: 30, 2: 70}
    vent = {1: 28, 2: 62, 3: 5}  # 90 of the 100 unhappy
    everyone = add(NONE, unhappy)
    ranked = reasons(everyone, everyone, {"service": vent, "queue": {2: 30, 3: 10}})
    service = next(d for d in ranked if d.key == "service")
    assert service.warnings and "90 % of the unhappy customers asked" in service.warnings[0]
    assert "may voice their mood" in sentence(service, None)
    assert not next(d for d in ranked if d.key == "queue").warnings


def test_without_happy_faces_asked_there_is_no_gain_only_the_share_among_the_unhappy_asked():
    # the terminal's design: reasons after faces 1-2 only
    everyone = {4: 500, 3: 300, 2: 150, 1: 50}
    asked = {2: 150, 1: 50}
    ranked = reasons(everyone, asked, {"queue": {2: 90, 1: 30}, "stock": {2: 30, 1: 10}})
    queue = ranked[0]
    assert queue.key == "queue" and queue.rank == 1
    assert queue.basis == "named" and queue.gain is None and queue.asked == 200
    assert queue.share == pytest.approx(60.0)
    assert queue.share_low < 60.0 < queue.share_high
    text = sentence(queue, None)
    assert "named by 60 % of the 200 unhappy customers asked" in text
    assert "cannot be estimated" in text and "index points" not in text and "higher" not in text


def test_with_both_designs_each_asked_face_stands_for_all_of_that_face():
    # the phone asks every face, the terminal only 1-2: the same customers per face as when
    # everyone is asked, so the weighted regression finds the same gain
    phone = {"none": {4: 200, 3: 100}, "queue": {3: 100, 2: 50, 1: 10}}
    terminal_unhappy = {"none": {}, "queue": {2: 150, 1: 30}}
    terminal_happy = {4: 600, 3: 500}  # not asked; per face like the phone's: face 3 half queue
    everyone = add(phone["none"], phone["queue"], terminal_unhappy["queue"], terminal_happy)
    asked = add(phone["none"], phone["queue"], terminal_unhappy["queue"])
    named = {"queue": add(phone["queue"], terminal_unhappy["queue"])}
    found = effects(FACES, everyone, asked, named)
    # everyone asked: the terminal's face 3 half queue (250), half none; its face 4 none
    full_queue = {3: 350, 2: 200, 1: 40}
    full = add({4: 800, 3: 350}, full_queue)
    expected = effects(FACES, full, full, {"queue": full_queue}).effects["queue"].gain
    assert found.estimable
    assert found.effects["queue"].gain == pytest.approx(expected, rel=1e-4)


def test_a_gains_interval_holds_the_true_gain_about_95_times_in_100():
    # faces drawn per pattern of reasons, their means additive (none 66.7, A -40, B -80), A
    # met by 30 %, B by 5 %, independently: true gains 0.30 x 40 = 12 and 0.05 x 80 = 4
    faces = {
        (): {4: 0.6, 3: 0.3, 2: 0.1},
        ("a",): {4: 0.3, 3: 0.4, 2: 0.2, 1: 0.1},
        ("b",): {4: 0.1, 3: 0.3, 2: 0.4, 1: 0.2},
        ("a", "b"): {3: 0.2, 2: 0.3, 1: 0.5},
    }
    assert mean({f: round(p * 30) for f, p in faces[("a", "b")].items()}) == pytest.approx(
        66.67 - 120, abs=0.01
    )  # additive
    rng = random.Random(16)
    held = {"a": 0, "b": 0}
    runs = 200
    for _ in range(runs):
        everyone: Counter = Counter()
        named: dict[str, Counter] = {"a": Counter(), "b": Counter()}
        both: Counter = Counter()
        for _ in range(1000):
            met = tuple(k for k, p in (("a", 0.30), ("b", 0.05)) if rng.random() < p)
            face = rng.choices(list(faces[met]), list(faces[met].values()))[0]
            everyone[face] += 1
            for k in met:
                named[k][face] += 1
            if len(met) == 2:
                both[face] += 1
        found = effects(FACES, everyone, everyone, named, {("a", "b"): both}).effects
        for key, truth in (("a", 12.0), ("b", 4.0)):
            held[key] += found[key].gain_low <= truth <= found[key].gain_high
    assert held["a"] / runs >= 0.9 and held["b"] / runs >= 0.9
