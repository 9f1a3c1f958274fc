"""What each reason of a choice question costs the smiley index, from counts alone (pure).

The question: how much higher would the overall smiley index be if the customers naming a
reason were as happy as comparable customers who do not name it (the same other reasons)?
A regression answers it: over the responses that were *asked* the question, the face's
weight (-100..100) on an intercept and one indicator per option (least squares). The
coefficient ``b`` of a reason is the index difference it makes with the other reasons held
equal; its **gain** is ``-b x`` the share of all rated responses naming it, in index points,
with a 95 % interval (``-b``'s standard error times that share).

Everything the regression needs comes from the rollups (hub/services/rollups.py): the faces
of all rated responses (score_daily), of those asked (score_daily per channel and the
survey's design, ``asked_faces``), of those naming each option (reason_daily) and of those
naming each pair of options (reason_pair_daily), the pairs being what a multiple choice needs
and a single count per option cannot give. Only options of the same question are modelled
together; a response's answers to two choice questions are not paired.

Who was asked. The phone page asks every face; the terminal asks only the unhappy ones
(1-2 of 4 faces, 1-3 of 5, or the question's ``for_ratings``). When a hub has both, the asked
responses over-represent unhappy faces, so each asked response of face ``f`` stands for
``everyone(f) / asked(f)`` responses (inverse probability weights: within a face, those asked
are taken to be like those not asked). When some face was (almost) never asked, as with the
terminal alone, no regression can say what a reason costs against happy customers who were
never asked: then there is no gain, only how often each reason is named among those asked
(``share``, % with its Wilson interval): "most named among unhappy customers".

Warnings, because a regression on survey answers can mislead:

- ``together``: two reasons named together so often (phi correlation >= 0.5 among those
  asked) that their gains cannot be told apart well;
- ``venting``: a reason named by almost every unhappy customer asked (>= 80 %): it may be how
  unhappy people voice their mood rather than a cause, and its gain is then unreliable.

bench/analytics_truth.py checks the ranking against known true gains (docs/performance.md).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from shared.scoring import Z95, mood, smiley_weight, wilson

MIN_ASKED_FACE = 5  # a face counts as asked when at least this many (or all) of it were asked
TOGETHER_PHI = 0.5
VENTING_SHARE = 0.8
MIN_UNHAPPY_FOR_VENTING = 10
RIDGE = 1e-7  # times the number asked, added to each reason's diagonal

FaceCounts = Mapping[int, int]


@dataclass(frozen=True)
class ReasonEffect:
    key: str
    named: int  # rated responses naming it
    share: float | None  # % of those asked naming it
    share_low: float | None
    share_high: float | None
    gain: float | None = None  # index points; None where it cannot be estimated
    gain_low: float | None = None
    gain_high: float | None = None
    # only unhappy faces asked: the index points the customers naming it fall short of those
    # naming none (the never asked among them), reasons named together split by the
    # regression. It orders the reasons; it is no gain (it overstates one: the happy
    # customers who met the reason were never asked), so it is not shown as one.
    attributed: float | None = None

    @property
    def order(self) -> float | None:
        """What orders the reasons: the gain, else the attributed points."""
        return self.gain if self.gain is not None else self.attributed


@dataclass(frozen=True)
class QuestionEffects:
    estimable: bool  # gains (True) or only shares among those asked (False)
    asked: int  # rated responses asked the question
    asked_faces: tuple[int, ...]  # the faces that were asked
    effects: dict[str, ReasonEffect] = field(default_factory=dict)
    together: tuple[tuple[str, str, float], ...] = ()  # (option, other, phi)
    venting: tuple[tuple[str, float], ...] = ()  # (option, % of unhappy asked naming it)


def asked_faces(faces: int, for_ratings: object = None) -> frozenset[int]:
    """The faces the terminal asks a choice question after: its ``for_ratings``, else every
    face but the best two (kiosk/visit.py). The phone page asks every face."""
    if isinstance(for_ratings, list | tuple):
        return frozenset(int(f) for f in for_ratings if isinstance(f, int) and 1 <= f <= faces)
    return frozenset(range(1, faces - 1))


def _solve(matrix: list[list[float]], rhs: list[list[float]]) -> list[list[float]] | None:
    """``matrix^-1 rhs`` by Gauss-Jordan with partial pivoting; None when singular."""
    size = len(matrix)
    a = [row[:] + extra[:] for row, extra in zip(matrix, rhs, strict=True)]
    scale = max((abs(a[i][i]) for i in range(size)), default=1.0) or 1.0
    for col in range(size):
        pivot = max(range(col, size), key=lambda r: abs(a[r][col]))
        if abs(a[pivot][col]) <= 1e-10 * scale:
            return None
        a[col], a[pivot] = a[pivot], a[col]
        head = a[col][col]
        a[col] = [v / head for v in a[col]]
        for r in range(size):
            if r != col and a[r][col]:
                factor = a[r][col]
                a[r] = [v - factor * p for v, p in zip(a[r], a[col], strict=True)]
    return [row[size:] for row in a]


@dataclass(frozen=True)
class _Sums:
    """Weighted sums over the asked responses, per face: what least squares needs."""

    weight: dict[int, float]  # per face
    asked: dict[int, float]
    y: dict[int, float]  # face weight

    def moment(self, counts: FaceCounts, power: int = 1, times_y: int = 0) -> float:
        return sum(self.weight[f] ** power * c * self.y[f] ** times_y for f, c in counts.items() if f in self.weight)


def _pair(together: Mapping[tuple[str, str], FaceCounts], a: str, b: str) -> FaceCounts:
    if a == b:
        return {}
    return together.get((a, b)) or together.get((b, a)) or {}


def _normal_equations(
    keys: list[str], sums: _Sums, named: Mapping[str, FaceCounts], together: Mapping[tuple[str, str], FaceCounts]
) -> tuple[list[list[float]], list[list[float]], list[float]]:
    """X'WX (with the vanishing ridge), X'W^2X and X'Wy over an intercept and the options."""

    def cell(i: int, j: int, power: int) -> float:
        if i == 0 and j == 0:
            return sums.moment(sums.asked, power)
        if i == 0 or j == 0 or i == j:
            return sums.moment(named[keys[max(i, j) - 1]], power)
        return sums.moment(_pair(together, keys[i - 1], keys[j - 1]), power)

    size = len(keys) + 1
    m1 = [[cell(i, j, 1) for j in range(size)] for i in range(size)]
    for i in range(1, size):  # a vanishing ridge: reasons that cannot be told apart share their effect
        m1[i][i] += RIDGE * m1[0][0]
    m2 = [[cell(i, j, 2) for j in range(size)] for i in range(size)]
    xy = [sums.moment(sums.asked, 1, 1)] + [sums.moment(named[k], 1, 1) for k in keys]
    return m1, m2, xy


def _spread(sums: _Sums, counts: FaceCounts) -> float:
    """The weighted standard deviation of the face weights of ``counts``, with one
    pseudo-response at each end of the scale (as the smiley index's interval has), so a few
    customers who all gave one face do not make a reason look certain."""
    weight = sums.moment(counts, 1)
    n = sum(c for f, c in counts.items() if f in sums.weight)
    if n < 1 or weight <= 0:
        return 0.0
    pseudo = weight / n  # each end weighs as an average response
    ends = (min(sums.y.values()), max(sums.y.values()))
    total = weight + 2 * pseudo
    centre = (sums.moment(counts, 1, 1) + pseudo * sum(ends)) / total
    square = (sums.moment(counts, 1, 2) + pseudo * sum(e * e for e in ends)) / total
    return math.sqrt(max(square - centre * centre, 0.0) * (n + 2) / (n + 1))


def _regression(
    keys: list[str], sums: _Sums, named: Mapping[str, FaceCounts], together: Mapping[tuple[str, str], FaceCounts]
) -> tuple[dict[str, float], dict[str, float]] | None:
    """Coefficients and standard errors per option: weighted least squares with an
    intercept, and the sandwich ``M^-1 (S M2 S) M^-1`` with M2 built with squared weights and
    S the spread of each row's responses (the residual sd for the intercept, the sd of the
    faces of those naming the option for an option: a reason's customers may vary more or
    less than the rest; the per-response residuals a textbook sandwich uses are not in the
    rollups). Where options cannot be told apart (every one asked named exactly one of them,
    or two always come together) the vanishing ridge splits their effect evenly, and their
    standard errors grow accordingly; otherwise it changes nothing that is printed."""

    m1, m2, xy = _normal_equations(keys, sums, named, together)
    size = len(keys) + 1
    inverse = _solve(m1, [[1.0 if i == j else 0.0 for j in range(size)] for i in range(size)])
    if inverse is None:
        return None
    beta = [sum(inverse[i][j] * xy[j] for j in range(size)) for i in range(size)]
    total_weight = sums.moment(sums.asked, 1)
    asked = sum(sums.asked.values())
    residual = sums.moment(sums.asked, 1, 2) - sum(b * v for b, v in zip(beta, xy, strict=True))
    s2 = max(residual, 0.0) / total_weight * asked / max(asked - size, 1)
    spread = [math.sqrt(s2)] + [_spread(sums, named[k]) for k in keys]
    meat = [[m2[i][j] * spread[i] * spread[j] for j in range(size)] for i in range(size)]
    middle = [[sum(meat[i][k] * inverse[k][j] for k in range(size)) for j in range(size)] for i in range(size)]
    variance = [sum(inverse[i][k] * middle[k][i] for k in range(size)) for i in range(size)]
    coef = {k: beta[i + 1] for i, k in enumerate(keys)}
    se = {k: math.sqrt(max(variance[i + 1], 0.0)) for i, k in enumerate(keys)}
    return coef, se


def _fit(
    keys: list[str], sums: _Sums, named: Mapping[str, FaceCounts], together: Mapping[tuple[str, str], FaceCounts]
) -> tuple[dict[str, float], dict[str, float]]:
    """The regression over as many options as can be told apart: an option that cannot (always
    named with another, or by everyone asked) is left out, last ones first."""
    keys = list(keys)
    while keys:
        found = _regression(keys, sums, named, together)
        if found is not None:
            return found
        keys.pop()
    return {}, {}


def _phi(n: int, a: int, b: int, ab: int) -> float | None:
    spread = a * (n - a) * b * (n - b)
    return (n * ab - a * b) / math.sqrt(spread) if spread > 0 else None


def _warnings(
    keys: list[str], asked: dict[int, int], named: Mapping[str, FaceCounts],
    together: Mapping[tuple[str, str], FaceCounts], faces: int,
) -> tuple[tuple, tuple]:  # fmt: skip
    n = sum(asked.values())
    count = {k: sum(named[k].values()) for k in keys}
    pairs = []
    for i, a in enumerate(keys):
        for b in keys[i + 1 :]:
            ab = sum(_pair(together, a, b).values())
            phi = _phi(n, count[a], count[b], ab)
            if phi is not None and phi >= TOGETHER_PHI and ab >= MIN_ASKED_FACE:
                pairs.append((a, b, round(phi, 2)))
    unhappy = sum(c for f, c in asked.items() if mood(f, faces) == "negative")
    venting = []
    if unhappy >= MIN_UNHAPPY_FOR_VENTING:
        for k in keys:
            share = sum(c for f, c in named[k].items() if mood(f, faces) == "negative") / unhappy
            if share >= VENTING_SHARE:
                venting.append((k, round(100.0 * share, 1)))
    return tuple(pairs), tuple(venting)


def effects(
    faces: int,
    everyone: FaceCounts,
    asked: FaceCounts,
    named: Mapping[str, FaceCounts],
    together: Mapping[tuple[str, str], FaceCounts] | None = None,
    answered: FaceCounts | None = None,
) -> QuestionEffects:
    """Each option's gain (or, where it cannot be estimated, its share among those asked).

    ``everyone``: faces of all rated responses; ``asked``: of those asked the question (by
    the design); ``named``: of those naming each option; ``together``: of those naming both
    options of a pair (absent: never together); ``answered``: of those naming any option
    (a response that answered was asked, whatever the design says)."""
    together = together or {}
    named = {k: _on_scale(v, faces) for k, v in named.items()}
    asked_now = _asked(faces, everyone, asked, named, answered or {})
    total_asked = sum(asked_now.values())
    present = [f for f in range(1, faces + 1) if everyone.get(f, 0) > 0]
    estimable = _every_face_asked(present, everyone, asked_now)
    keys = [k for k in named if sum(named[k].values()) > 0]
    pairs, venting = _warnings(keys, asked_now, named, together, faces)
    weight = {f: everyone[f] / asked_now[f] for f in asked_now}
    face_weight = {f: smiley_weight(f, faces) for f in range(1, faces + 1)}
    if estimable:
        sums = _Sums(weight, asked_now, face_weight)
    else:  # every rated response in the regression, those not asked naming none
        sums = _Sums(dict.fromkeys(present, 1.0), {f: everyone[f] for f in present}, face_weight)
    coef, se = _fit(keys, sums, named, together) if keys else ({}, {})
    rated = sum(everyone.get(f, 0) for f in present)
    found = {
        key: _effect(key, counts, asked_now, coef, se, rated, weight if estimable else None)
        for key, counts in named.items()
    }
    return QuestionEffects(estimable, total_asked, tuple(sorted(asked_now)), found, pairs, venting)


def _on_scale(counts: FaceCounts, faces: int) -> dict[int, int]:
    return {f: c for f, c in counts.items() if isinstance(f, int) and 1 <= f <= faces and c > 0}


def _every_face_asked(present: list[int], everyone: FaceCounts, asked: Mapping[int, int]) -> bool:
    """Whether each face given was asked (``MIN_ASKED_FACE`` of it, or all): then gains can
    be estimated."""
    return bool(present) and all(asked.get(f, 0) >= min(MIN_ASKED_FACE, everyone[f]) for f in present)


def _asked(
    faces: int, everyone: FaceCounts, asked: FaceCounts, named: Mapping[str, FaceCounts], answered: FaceCounts
) -> dict[int, int]:
    """Per face, how many were asked: at least as the design says and as many as answered,
    at most all of that face."""
    found = {}
    for f in range(1, faces + 1):
        lower = max(asked.get(f, 0), answered.get(f, 0), *(v.get(f, 0) for v in named.values()))
        if min(everyone.get(f, 0), lower) > 0:
            found[f] = min(everyone.get(f, 0), lower)
    return found


def _effect(
    key: str, counts: FaceCounts, asked: Mapping[int, int], coef: Mapping[str, float], se: Mapping[str, float],
    rated: int, weight: Mapping[int, float] | None,
) -> ReasonEffect:  # fmt: skip
    """One option's figures: its share among those asked, and its gain (``weight``: the
    faces' weights, when gains can be estimated) or its attributed points. The gain's
    interval holds the uncertainty of both its factors (delta method): the coefficient's, and
    the share naming it, binomial within each face asked."""
    n = sum(counts.values())
    total = sum(asked.values())
    share = low = high = None
    if total:
        lo, hi = wilson(min(n, total), total)
        share, low, high = 100.0 * n / total, 100.0 * lo, 100.0 * hi
    if key not in coef or not rated:
        return ReasonEffect(key, n, share, low, high)
    if weight is None:
        return ReasonEffect(key, n, share, low, high, attributed=-coef[key] * n / rated)
    portion = sum(weight.get(f, 0.0) * c for f, c in counts.items()) / rated
    portion_var = sum(weight.get(f, 0.0) ** 2 * c * (1 - c / asked[f]) for f, c in counts.items() if f in asked)
    gain = -coef[key] * portion
    half = Z95 * math.sqrt((se[key] * portion) ** 2 + coef[key] ** 2 * portion_var / rated**2)
    return ReasonEffect(key, n, share, low, high, gain, gain - half, gain + half)
