"""Scores from counts per answer value, with n and a 95 % interval."""

from __future__ import annotations

import math
from itertools import combinations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.scoring import (
    EMPTY,
    Score,
    csat,
    is_low_rating,
    mean,
    mood,
    nps,
    nps_group,
    nps_groups,
    share,
    smiley_index,
    smiley_weight,
    wilson,
)

approx = pytest.approx


def width(score: Score) -> float:
    return score.high - score.low


# --- NPS ------------------------------------------------------------------------------------


def test_nps_of_5_promoters_3_passives_2_detractors_is_30():
    score = nps({10: 3, 9: 2, 8: 2, 7: 1, 6: 1, 0: 1})
    assert score.value == approx(30.0)
    assert score.n == 10


def test_nps_counts_9_as_promoter_7_and_8_as_passive_and_6_as_detractor():
    assert nps({9: 1}).value == 100.0
    assert nps({8: 1, 7: 1}).value == 0.0
    assert nps({6: 1}).value == -100.0
    assert nps({9: 1, 6: 1}).value == 0.0


def test_nps_of_only_promoters_is_100_and_of_only_detractors_is_minus_100():
    assert nps({10: 7, 9: 3}).value == 100.0
    assert nps({0: 4, 3: 4, 6: 2}).value == -100.0


def test_nps_interval_is_the_adjusted_wald_interval():
    # n = 10 + 1.5; p+ = 5.75 / 11.5 = 0.5; p- = 2.75 / 11.5; centre 0.2609;
    # variance (p+ + p- - centre^2) / 11.5 = 0.05835; half = 1.96 * 0.2416 = 0.4735
    score = nps({10: 5, 8: 3, 0: 2})
    assert score.low == approx(-21.259, abs=1e-3)
    assert score.high == approx(73.433, abs=1e-3)


def test_nps_interval_is_clipped_to_the_scale():
    score = nps({10: 1})
    assert (score.value, score.high) == (100.0, 100.0)
    assert -100.0 <= score.low < 100.0


# --- CSAT and share -------------------------------------------------------------------------


def test_csat_is_the_share_of_4_and_5():
    score = csat({5: 4, 4: 2, 3: 1, 2: 2, 1: 1})
    assert score.value == approx(60.0)
    assert score.n == 10


def test_csat_interval_is_the_wilson_interval_in_percent():
    # Wilson 95 % for 6 of 10: 0.3127 .. 0.8318
    score = csat({5: 4, 4: 2, 3: 1, 2: 2, 1: 1})
    assert score.low == approx(31.267, abs=1e-3)
    assert score.high == approx(83.182, abs=1e-3)


def test_csat_of_only_unsatisfied_answers_is_0_with_an_interval_starting_at_0():
    score = csat({1: 2, 2: 1, 3: 4})
    assert (score.value, score.low) == (0.0, 0.0)
    assert score.high > 0.0


def test_share_counts_the_given_values():
    score = share({1: 2, 2: 3, 3: 5}, {3})
    assert score.value == approx(50.0)
    assert score.n == 10
    assert score.low < 50.0 < score.high


# --- Wilson ---------------------------------------------------------------------------------


def test_wilson_of_8_out_of_10_matches_the_textbook_value():
    low, high = wilson(8, 10)
    assert low == approx(0.4902, abs=1e-4)
    assert high == approx(0.9433, abs=1e-4)


def test_wilson_of_0_successes_starts_exactly_at_0():
    low, high = wilson(0, 10)
    assert low == 0.0
    assert high == approx(0.2775, abs=1e-4)


@pytest.mark.parametrize("n", [1, 3, 6, 7, 10, 1000])
def test_wilson_interval_holds_the_proportion_at_both_extremes(n):
    assert wilson(0, n)[0] == 0.0
    assert wilson(n, n)[1] == 1.0


@pytest.mark.parametrize("n", [0, -1])
def test_wilson_needs_a_positive_n(n):
    with pytest.raises(ValueError, match="n > 0"):
        wilson(0, n)


# --- mean -----------------------------------------------------------------------------------


def test_mean_of_1_to_5_once_each_is_3_with_its_normal_interval():
    # sample variance 2.5; half width 1.96 * sqrt(2.5 / 5) = 1.3859
    score = mean({1: 1, 2: 1, 3: 1, 4: 1, 5: 1})
    assert score.value == approx(3.0)
    assert score.n == 5
    assert score.low == approx(1.6141, abs=1e-4)
    assert score.high == approx(4.3859, abs=1e-4)


def test_mean_of_one_answer_has_no_interval():
    assert mean({4: 1}) == Score(4.0, 1, None, None)


def test_mean_of_identical_answers_has_a_zero_width_interval():
    score = mean({2: 3})
    assert (score.value, score.low, score.high) == (2.0, 2.0, 2.0)


# --- smiley ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "weight"),
    [(1, -100.0), (2, -50.0), (3, 0.0), (4, 50.0), (5, 100.0)],
)
def test_smiley_weights_on_5_faces_run_from_minus_100_to_100_evenly(value, weight):
    assert smiley_weight(value, 5) == approx(weight)


@pytest.mark.parametrize(
    ("value", "weight"),
    [(1, -100.0), (2, -100.0 / 3), (3, 100.0 / 3), (4, 100.0)],
)
def test_smiley_weights_on_4_faces_run_from_minus_100_to_100_evenly(value, weight):
    assert smiley_weight(value, 4) == approx(weight)


@pytest.mark.parametrize(("value", "faces"), [(0, 5), (6, 5), (5, 4), (-1, 4), (1, 1), (1, 0)])
def test_smiley_weight_refuses_a_face_off_the_scale(value, faces):
    with pytest.raises(ValueError, match="face"):
        smiley_weight(value, faces)


@pytest.mark.parametrize("faces", [4, 5])
def test_smiley_index_of_all_top_faces_is_100_with_an_interval_below(faces):
    score = smiley_index({faces: 12}, faces)
    assert (score.value, score.n, score.high) == (100.0, 12, 100.0)
    assert 50.0 < score.low < 70.0  # 12 of 12 cannot rule out an index of 60


@pytest.mark.parametrize("faces", [4, 5])
def test_smiley_index_of_all_bottom_faces_is_minus_100(faces):
    assert smiley_index({1: 3}, faces).value == -100.0


def test_smiley_index_weighs_opposite_faces_equally():
    assert smiley_index({1: 1, 5: 1}, 5).value == approx(0.0)
    assert smiley_index({2: 1, 4: 1}, 5).value == approx(0.0)
    assert smiley_index({2: 1, 3: 1}, 4).value == approx(0.0)


def test_smiley_index_defaults_to_5_faces():
    assert smiley_index({4: 1}).value == 50.0


def test_smiley_index_interval_is_clipped_to_the_scale():
    # mean 0, sample sd 141.4, half width 1.96 * 100 = 196: clipped to -100..100
    score = smiley_index({1: 1, 5: 1}, 5)
    assert (score.low, score.high) == (-100.0, 100.0)


def test_smiley_index_of_one_answer_has_an_interval_around_it():
    score = smiley_index({3: 1}, 5)
    assert (score.value, score.n) == (0.0, 1)
    assert score.low < 0.0 < score.high


@pytest.mark.parametrize("faces", [4, 5])
@pytest.mark.parametrize("n", [1, 2, 5, 30, 1000])
def test_smiley_index_interval_is_never_of_zero_width_when_every_face_agrees(faces, n):
    for face in range(1, faces + 1):
        score = smiley_index({face: n}, faces)
        assert score.high - score.low > 0.0
        assert score.low <= score.value <= score.high


def compositions(n: int, parts: int):
    """Every way to split n answers over ``parts`` faces (stars and bars)."""
    for bars in combinations(range(n + parts - 1), parts - 1):
        edges = (-1, *bars, n + parts - 1)
        yield [edges[i + 1] - edges[i] - 1 for i in range(parts)]


def exact_coverage(probabilities: dict[int, float], n: int, faces: int) -> float:
    """The chance that the interval of n answers drawn from ``probabilities`` holds the true
    index: every sample enumerated with its multinomial probability (no simulation)."""
    truth = sum(p * smiley_weight(face, faces) for face, p in probabilities.items())
    covered = 0.0
    log_n = math.lgamma(n + 1)
    for split in compositions(n, faces):
        counts = {face: c for face, c in zip(range(1, faces + 1), split, strict=True) if c}
        if any(probabilities.get(face, 0.0) == 0.0 for face in counts):
            continue
        log_p = log_n + sum(c * math.log(probabilities[f]) - math.lgamma(c + 1) for f, c in counts.items())
        score = smiley_index(counts, faces)
        if score.low <= truth <= score.high:
            covered += math.exp(log_p)
    return covered


@pytest.mark.parametrize("n", [20, 30])
def test_smiley_index_interval_covers_the_true_index_at_least_93_percent_when_most_give_the_top_face(n):
    # 80 % top face: the plain normal interval covered 0.86-0.88 here
    probabilities = {5: 0.80, 4: 0.10, 3: 0.05, 2: 0.03, 1: 0.02}
    assert exact_coverage(probabilities, n, 5) >= 0.93


@pytest.mark.parametrize(
    "probabilities",
    [{4: 0.8, 3: 0.1, 2: 0.05, 1: 0.05}, {1: 0.25, 2: 0.25, 3: 0.25, 4: 0.25}, {1: 0.4, 4: 0.6}],
    ids=["top-heavy", "even", "split"],
)
def test_smiley_index_interval_covers_the_true_index_near_95_percent_at_n_20_on_4_faces(probabilities):
    assert 0.93 <= exact_coverage(probabilities, 20, 4) <= 0.995


def test_smiley_index_refuses_a_face_the_scale_does_not_have():
    with pytest.raises(ValueError):
        smiley_index({5: 1}, 4)


# --- empty ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "score",
    [
        lambda counts: nps(counts),
        lambda counts: csat(counts),
        lambda counts: share(counts, {1}),
        lambda counts: mean(counts),
        lambda counts: smiley_index(counts, 5),
    ],
    ids=["nps", "csat", "share", "mean", "smiley"],
)
@pytest.mark.parametrize("counts", [{}, {3: 0}], ids=["no-values", "zero-counts"])
def test_no_answers_give_the_empty_score(score, counts):
    assert score(counts) == EMPTY


def test_the_empty_score_has_n_0_and_nothing_else():
    assert EMPTY.as_dict() == {"value": None, "n": 0, "low": None, "high": None}


def test_score_as_dict_names_every_field():
    assert Score(30.0, 10, -21.3, 73.4).as_dict() == {"value": 30.0, "n": 10, "low": -21.3, "high": 73.4}


# --- intervals narrow as n grows --------------------------------------------------------------


def scaled(counts: dict[int, int], factor: int) -> dict[int, int]:
    return {value: count * factor for value, count in counts.items()}


@pytest.mark.parametrize(
    ("score", "counts"),
    [
        (nps, {10: 5, 8: 3, 0: 2}),
        (csat, {5: 4, 4: 2, 3: 1, 2: 2, 1: 1}),
        (mean, {1: 1, 2: 1, 3: 1, 4: 1, 5: 1}),
        (smiley_index, {1: 2, 2: 3, 3: 1, 4: 3, 5: 1}),
    ],
    ids=["nps", "csat", "mean", "smiley"],
)
def test_intervals_narrow_as_n_grows_with_the_same_mix(score, counts):
    widths = [width(score(scaled(counts, factor))) for factor in (1, 2, 4, 16, 256)]
    values = {round(score(scaled(counts, factor)).value, 9) for factor in (1, 2, 4, 16, 256)}
    assert len(values) == 1
    assert widths == sorted(widths, reverse=True)
    assert len(set(widths)) == len(widths)


# --- properties -----------------------------------------------------------------------------

counts_0_10 = st.dictionaries(st.integers(0, 10), st.integers(0, 10_000), max_size=11)
counts_1_5 = st.dictionaries(st.integers(1, 5), st.integers(0, 10_000), max_size=5)


def assert_holds_value_within(score: Score, low: float, high: float) -> None:
    if score.n == 0:
        assert score == EMPTY
        return
    assert low <= score.value <= high
    if score.low is not None:
        assert low <= score.low <= score.value <= score.high <= high


@given(counts_0_10)
def test_nps_interval_holds_the_value_within_the_scale(counts):
    assert_holds_value_within(nps(counts), -100.0, 100.0)


@given(counts_1_5)
def test_csat_interval_holds_the_value_within_the_scale(counts):
    assert_holds_value_within(csat(counts), 0.0, 100.0)


@given(counts_0_10, st.sets(st.integers(0, 10)))
def test_share_interval_holds_the_value_within_the_scale(counts, positive):
    assert_holds_value_within(share(counts, positive), 0.0, 100.0)


@st.composite
def smiley_counts(draw) -> tuple[int, dict[int, int]]:
    faces = draw(st.sampled_from([4, 5]))
    return faces, draw(st.dictionaries(st.integers(1, faces), st.integers(0, 10_000)))


@given(smiley_counts())
def test_smiley_interval_holds_the_value_within_the_scale(faces_and_counts):
    faces, counts = faces_and_counts
    assert_holds_value_within(smiley_index(counts, faces), -100.0, 100.0)


@given(st.dictionaries(st.integers(-1000, 1000), st.integers(0, 10_000)))
def test_mean_interval_holds_the_value(counts):
    score = mean(counts)
    if score.n == 0:
        assert score == EMPTY
    elif score.n == 1:
        assert score.low is None and score.high is None
    else:
        assert score.low <= score.value <= score.high


@given(st.integers(1, 100_000).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_wilson_interval_holds_the_proportion_within_0_and_1(successes_and_n):
    successes, n = successes_and_n
    low, high = wilson(successes, n)
    assert 0.0 <= low <= successes / n <= high <= 1.0


# --- the groups both sides agree on -----------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "group"),
    [(0, "detractor"), (6, "detractor"), (7, "passive"), (8, "passive"), (9, "promoter"), (10, "promoter")],
)
def test_nps_groups_are_detractors_0_to_6_passives_7_8_promoters_9_10(value, group):
    assert nps_group(value) == group


def test_nps_groups_count_answers_per_group():
    assert nps_groups({0: 2, 6: 1, 7: 4, 9: 3, 10: 1}) == {"promoters": 4, "passives": 4, "detractors": 3}


@pytest.mark.parametrize(
    ("faces", "moods"),
    [
        (4, ["negative", "negative", "positive", "positive"]),
        (5, ["negative", "negative", None, "positive", "positive"]),
    ],
)
def test_a_faces_mood_is_its_half_of_the_scale(faces, moods):
    assert [mood(face, faces) for face in range(1, faces + 1)] == moods
    assert mood(None, faces) is None


@pytest.mark.parametrize(
    ("kind", "value", "low"),
    [
        ("smiley", 1, True),
        ("smiley", 2, True),
        ("smiley", 3, False),
        ("nps", 6, True),
        ("nps", 7, False),
        ("csat", 1, False),
        ("smiley", True, False),
        ("smiley", "1", False),
        (None, 1, False),
    ],
)
def test_a_low_rating_is_a_face_of_1_or_2_or_an_nps_of_0_to_6(kind, value, low):
    assert is_low_rating(kind, value) is low
