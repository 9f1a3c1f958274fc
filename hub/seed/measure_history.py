"""Hours of feedback with a planted link to open tills, made up from a seed (no I/O): what
tests/hub/test_measure_links.py sends through the hub and bench/measure_links.py measures
the statistics of hub/services/measure_links.py on.

Every store is open 08:00-20:00 local time. In each hour it has some tills open (1-5) and a
measure unrelated to anything (``noise``, 0-100). Each response of the hour (a 4-face
smiley, 1 = worst) is drawn from one of four kinds of experience, exclusive:

* a queue, with probability QUEUE_FEW when at most FEW_TILLS tills are open, QUEUE_MANY
  otherwise: faces QUEUE_FACES, and it names ``queue`` ("waiting at the till") with
  probability NAMES_QUEUE;
* a friendly word from staff, likelier in the quiet morning hours (when fewer tills are
  open, so a comparison that ignores the hour of day is misled): faces STAFF_FACES;
* a bad day of the store (a share drawn per store and day: hours of a day go together);
* otherwise an ordinary visit: faces PLAIN_FACES.

The expected smiley index is additive in these probabilities, so the planted difference
between the hours with at most FEW_TILLS tills and the others is the same in every hour:
``PLANTED_INDEX`` points, and ``PLANTED_QUEUE_SHARE`` percentage points of responses naming
the queue; the noise measure's is 0.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

from shared.scoring import smiley_weight

FACES = 4
HOURS = range(8, 20)
FEW_TILLS = 2  # "fewer than 3 tills open"
QUEUE_FEW, QUEUE_MANY = 0.40, 0.12
NAMES_QUEUE = 0.8
QUEUE_FACES = (0.45, 0.35, 0.15, 0.05)
STAFF_FACES = (0.0, 0.05, 0.25, 0.70)
PLAIN_FACES = (0.05, 0.15, 0.45, 0.35)
BAD_DAY_FACES = (0.40, 0.40, 0.15, 0.05)
# tills: quiet mornings have fewer open (P of 1, 2, 3, 4, 5 tills)
TILLS_MORNING = (0.30, 0.40, 0.15, 0.10, 0.05)
TILLS_LATER = (0.10, 0.20, 0.30, 0.25, 0.15)
STAFF_MORNING, STAFF_LATER = 0.30, 0.10


def _mean(faces: tuple[float, ...]) -> float:
    return sum(p * smiley_weight(f, FACES) for f, p in enumerate(faces, start=1))


PLANTED_INDEX = (QUEUE_FEW - QUEUE_MANY) * (_mean(QUEUE_FACES) - _mean(PLAIN_FACES))
PLANTED_QUEUE_SHARE = 100.0 * (QUEUE_FEW - QUEUE_MANY) * NAMES_QUEUE


@dataclass(frozen=True)
class Hour:
    """One store-local hour: its measures and its responses as (face, names the queue)."""

    store: int
    day: date
    hour: int
    tills: int
    noise: float
    responses: tuple[tuple[int, bool], ...]


def _pick(rng: random.Random, weights: tuple[float, ...]) -> int:
    return rng.choices(range(1, len(weights) + 1), weights)[0]


def hours(*, seed: int, stores: int, first: date, days: int, per_hour: float = 4.0) -> Iterator[Hour]:
    """Every open hour of every store and day, the same for the same arguments."""
    rng = random.Random(seed)
    for store in range(stores):
        for d in range(days):
            day = first + timedelta(days=d)
            bad_day = rng.uniform(0.0, 0.12)
            for hour in HOURS:
                morning = hour < 11
                tills = _pick(rng, TILLS_MORNING if morning else TILLS_LATER)
                queue = QUEUE_FEW if tills <= FEW_TILLS else QUEUE_MANY
                staff = STAFF_MORNING if morning else STAFF_LATER
                count = max(0, round(rng.gauss(per_hour * (0.6 if morning else 1.2), 1.5)))
                responses = []
                for _ in range(count):
                    r = rng.random()
                    if r < queue:
                        responses.append((_pick(rng, QUEUE_FACES), rng.random() < NAMES_QUEUE))
                    elif r < queue + staff:
                        responses.append((_pick(rng, STAFF_FACES), False))
                    elif r < queue + staff + bad_day:
                        responses.append((_pick(rng, BAD_DAY_FACES), False))
                    else:
                        responses.append((_pick(rng, PLAIN_FACES), False))
                yield Hour(store, day, hour, tills, round(rng.uniform(0, 100), 1), tuple(responses))
