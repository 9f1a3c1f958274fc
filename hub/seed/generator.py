"""A realistic fleet and its feedback, made up deterministically from a seed (no I/O).

What the data holds, so dashboards, driver analysis, themes and signals have something true
to find:

* Stores in regions (Germany, Austria, Switzerland, the UK) with their time zones, opening
  hours (a station store opens every day, a mall store from ten), and their own traits: a
  volume, a base quality (a few clearly better or worse than the rest), how often the tills
  back up, how warm the staff is, how many customers use the phone poster instead of the
  terminal, how many write in English.
* Volume by season (December busiest, a summer dip), weekday (Saturday busiest, closed on
  Sunday unless the store opens) and hour of day (a lunch and an after-work peak inside the
  opening hours).
* Scores driven by what happened: a customer meets a queue (far likelier at peak hours and in
  December, and at stores whose tills back up), friendly staff, empty shelves, a dirty shop or
  high prices; those experiences move a latent satisfaction that becomes the smiley face.
  So the reason ``queue`` is chosen mostly with faces 1-2 and pulls the index down (most at
  peak hours), ``staff`` comes with happy faces. That is the planted driver.
* Open tills per store and hour: the store plans them by how busy the hour is (1-5), and in
  about one open hour in five it is short of one to three (illness, breaks); the queue's
  chance grows with planned / open tills (the average about as it was), so the
  ``open_tills`` measure (``Generator.tills``, loaded by ``voxloop demo run``) drives the
  queues the way hub/services/measure_links.py should find.
* NPS follows the face, comments (German or English) are built from phrases that match the
  chosen reasons and the mood ("Wartezeit an der Kasse", "long queue at the till").
* A few terminal responses are flagged ``suspect`` (a child pressing faces): random face,
  nothing else.
* With ``plant_drop``, one store's quality falls sharply in the last ten days, for signals.

Everything comes from ``random.Random`` instances seeded from the plan's seed, store and day,
so the same plan gives the same responses, ids included.
"""

from __future__ import annotations

import bisect
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from shared.ids import uuid7
from shared.protocol import format_time

DROP_DAYS = 10  # the planted drop covers the plan's last ten days
SURVEY_KEY = "exit"
SURVEY_VERSION = 1
FACES = 4  # the default survey's smiley
TERMINAL_TOUCHPOINT = "exit"
PHONE_TOUCHPOINT = "poster"

_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

# region, time zone, locale of its German speakers (None: English only), cities, districts
_REGIONS: tuple[tuple[str, str, str | None, tuple[str, ...], tuple[str, ...]], ...] = (
    (
        "Nord",
        "Europe/Berlin",
        "de-DE",
        ("Hamburg", "Bremen", "Hannover", "Kiel", "Lübeck", "Rostock", "Oldenburg", "Osnabrück"),
        ("Zentrum", "Hauptbahnhof", "Nord", "Süd", "Altstadt", "Einkaufszentrum"),
    ),
    (
        "Ost",
        "Europe/Berlin",
        "de-DE",
        ("Berlin", "Leipzig", "Dresden", "Potsdam", "Erfurt", "Magdeburg", "Chemnitz", "Halle"),
        ("Mitte", "Hauptbahnhof", "Nord", "Ost", "Altstadt", "Einkaufszentrum"),
    ),
    (
        "West",
        "Europe/Berlin",
        "de-DE",
        ("Köln", "Düsseldorf", "Dortmund", "Essen", "Bonn", "Münster", "Aachen", "Bochum"),
        ("Zentrum", "Hauptbahnhof", "Nord", "West", "Altstadt", "Einkaufszentrum"),
    ),
    (
        "Süd",
        "Europe/Berlin",
        "de-DE",
        ("München", "Stuttgart", "Nürnberg", "Augsburg", "Freiburg", "Regensburg", "Ulm", "Würzburg"),
        ("Zentrum", "Hauptbahnhof", "Süd", "West", "Altstadt", "Einkaufszentrum"),
    ),
    ("Österreich", "Europe/Vienna", "de-AT", ("Wien", "Graz", "Linz", "Salzburg"), ("Innere Stadt", "Westbahnhof")),
    ("Schweiz", "Europe/Zurich", "de-CH", ("Zürich", "Basel", "Bern"), ("City", "Hauptbahnhof")),
    ("UK", "Europe/London", None, ("London", "Manchester", "Leeds"), ("Central", "Station", "Retail Park")),
)
# how many stores of a fleet each region gets, by share
_REGION_SHARES = (0.2, 0.2, 0.2, 0.2, 0.08, 0.06, 0.06)

# opening hours by the kind of place (local time): {weekday: [[open, close]]}
_STANDARD = {day: [["08:00", "20:00"]] for day in _WEEKDAYS[:6]}
_CITY = {day: [["09:00", "21:00"]] for day in _WEEKDAYS[:6]}
_MALL = {day: [["10:00", "20:00"]] for day in _WEEKDAYS[:6]}
_STATION = {day: [["06:00", "22:00"]] for day in _WEEKDAYS}
_UK = {**{day: [["08:00", "22:00"]] for day in _WEEKDAYS[:6]}, "sun": [["10:00", "16:00"]]}


def _hours_for(region: str, district: str) -> dict[str, list[list[str]]]:
    if region == "UK":
        return _UK
    if "bahnhof" in district.lower():
        return _STATION
    if district == "Einkaufszentrum":
        return _MALL
    if district in ("Zentrum", "Mitte", "Altstadt", "Innere Stadt", "City"):
        return _CITY
    return _STANDARD


# shoppers by local hour (how busy the shop is), on weekdays and on Saturdays
_HOUR_WEIGHT = {
    6: 0.35, 7: 0.55, 8: 0.6, 9: 0.7, 10: 0.85, 11: 1.05, 12: 1.4, 13: 1.3, 14: 0.95,
    15: 0.95, 16: 1.15, 17: 1.55, 18: 1.6, 19: 1.15, 20: 0.7, 21: 0.45,
}  # fmt: skip
_SATURDAY_WEIGHT = {
    6: 0.3, 7: 0.45, 8: 0.65, 9: 0.95, 10: 1.3, 11: 1.6, 12: 1.65, 13: 1.5, 14: 1.3,
    15: 1.15, 16: 1.0, 17: 0.9, 18: 0.75, 19: 0.55, 20: 0.4, 21: 0.3,
}  # fmt: skip
_WEEKDAY_VOLUME = (0.85, 0.9, 0.95, 1.0, 1.2, 1.4, 0.7)  # Mon..Sun (Sunday: only where open)
_MONTH_VOLUME = (0.85, 0.88, 0.95, 1.0, 1.0, 0.95, 0.82, 0.8, 0.97, 1.02, 1.15, 1.45)  # Jan..Dec
_MONTH_MOOD = (-0.05, 0, 0.05, 0.08, 0.1, 0.1, 0.05, 0.05, 0.05, 0, -0.05, -0.12)  # grey days, Christmas rush

# latent satisfaction -> face (four faces): below the first threshold face 1, and so on
_FACE_THRESHOLDS = (-1.45, -0.5, 0.55)
# what each experience does to satisfaction
_EFFECT = {"queue": -1.7, "staff": 0.9, "stock": -0.95, "cleanliness": -0.8, "price": -0.35}
_NPS_MEAN = {1: 2.0, 2: 4.8, 3: 7.4, 4: 9.1}

# comments: an opener by face, then a phrase per chosen reason (negative for faces 1-2)
_OPENERS = {
    "de": {
        1: ("Sehr enttäuscht.", "Leider ein schlechter Einkauf heute.", "Das war nichts."),
        2: ("Nicht so gut heute.", "Geht so.", "Da ist noch Luft nach oben."),
        3: ("Ganz okay.", "Im Großen und Ganzen gut.", "Passt."),
        4: ("Super Einkauf!", "Alles bestens.", "Sehr zufrieden, danke!"),
    },
    "en": {
        1: ("Really disappointed.", "Bad visit today.", "Not acceptable."),
        2: ("Not great today.", "Could be better.", "So-so."),
        3: ("Fine overall.", "Okay visit.", "Pretty good."),
        4: ("Great visit!", "All good, thanks!", "Very happy, thank you!"),
    },
}
_PHRASES = {
    "de": {
        ("queue", False): (
            "Viel zu lange Wartezeit an der Kasse.",
            "Lange Schlange, nur eine Kasse offen.",
            "Die Wartezeit an der Kasse war eine Zumutung.",
        ),
        ("queue", True): ("Kaum Wartezeit an der Kasse.", "Schnell an der Kasse dran."),
        ("staff", True): ("Sehr freundliche Mitarbeiter.", "Freundliche Beratung an der Theke.", "Nettes Personal."),
        ("staff", False): ("Unfreundliches Personal.", "Niemand hatte Zeit für eine Frage."),
        ("stock", False): ("Die Milch war schon wieder aus.", "Leere Regale, Brot ausverkauft."),
        ("stock", True): ("Alles da, was ich gesucht habe.",),
        ("cleanliness", False): ("Der Boden war schmutzig.", "Unordentlich und schmutzig im Laden."),
        ("cleanliness", True): ("Sauber und ordentlich.",),
        ("price", False): ("Die Preise sind zu hoch.", "Leider wieder teurer geworden."),
        ("price", True): ("Gute Angebote diese Woche.",),
    },
    "en": {
        ("queue", False): (
            "Long queue at the till.",
            "Waited ages in the queue, only one till open.",
            "The waiting time at the checkout was far too long.",
        ),
        ("queue", True): ("No queue at the till.", "Quick at the checkout."),
        ("staff", True): ("Very friendly staff.", "Helpful staff at the counter.", "Lovely staff."),
        ("staff", False): ("Unfriendly staff.", "Nobody had time to help."),
        ("stock", False): ("Milk was sold out again.", "Empty shelves, no bread left."),
        ("stock", True): ("Found everything I needed.",),
        ("cleanliness", False): ("Dirty floors.", "The shop was messy and dirty."),
        ("cleanliness", True): ("Clean and tidy shop.",),
        ("price", False): ("Prices are too high.", "Everything got more expensive again."),
        ("price", True): ("Good offers this week.",),
    },
}


@dataclass(frozen=True)
class Plan:
    """What to seed: ``stores`` stores, ``days`` days up to ``end`` (inclusive), about
    ``per_day`` responses per store and calendar day on average."""

    stores: int = 100
    days: int = 365
    per_day: int = 274
    seed: int = 1
    end: date = field(default_factory=lambda: datetime.now(UTC).date() - timedelta(days=1))
    plant_drop: bool = False

    @property
    def start(self) -> date:
        return self.end - timedelta(days=self.days - 1)

    @property
    def expected(self) -> int:
        return self.stores * self.days * self.per_day


@dataclass(frozen=True)
class SeedStore:
    """A store of the seeded fleet and the traits that shape its feedback."""

    index: int
    code: str
    name: str
    region: str
    time_zone: str
    opening_hours: dict[str, list[list[str]]]
    languages: tuple[str, ...]
    german_locale: str | None  # None: English only
    volume: float  # relative to the fleet (mean 1)
    quality: float  # base satisfaction (latent scale)
    queue_risk: float  # how often the tills back up (1: typical)
    staff_warmth: float  # chance of a friendly-staff moment
    phone_share: float  # share of responses from the phone poster
    english_share: float

    def hours_open(self, weekday: int) -> list[int]:
        """The local hours (0-23) in which the store is open on ``weekday`` (0 = Monday)."""
        hours: list[int] = []
        for opens, closes in self.opening_hours.get(_WEEKDAYS[weekday], []):
            hours += range(int(opens[:2]), int(closes[:2]))
        return hours


class SeedResponse:
    """One seeded response, with everything the writer needs (times are aware UTC)."""

    __slots__ = (
        "captured_at",
        "channel",
        "comment",
        "day",
        "face",
        "hour",
        "id",
        "locale",
        "nps",
        "reasons",
        "received_at",
        "seq",
        "store",
        "suspect",
    )

    def __init__(
        self,
        id: str,
        store: int,
        channel: str,
        captured_at: datetime,
        received_at: datetime,
        day: date,
        hour: int,
        locale: str,
        face: int,
        reasons: tuple[str, ...],
        nps: int | None,
        comment: str | None,
        suspect: bool,
        seq: int | None = None,
    ) -> None:
        self.id = id
        self.store = store  # index into the fleet
        self.channel = channel
        self.captured_at = captured_at
        self.received_at = received_at
        self.day = day  # store-local
        self.hour = hour  # store-local
        self.locale = locale
        self.face = face
        self.reasons = reasons
        self.nps = nps
        self.comment = comment
        self.suspect = suspect
        self.seq = seq  # terminal responses: numbered per terminal once the day is ordered

    @property
    def touchpoint(self) -> str:
        return TERMINAL_TOUCHPOINT if self.channel == "kiosk" else PHONE_TOUCHPOINT

    def answers(self) -> list[tuple[str, str, int | None, str | None]]:
        """(question, kind, number, text) in the order the protocol stores answers."""
        rows: list[tuple[str, str, int | None, str | None]] = [("rating", "smiley", self.face, None)]
        rows += [("reason", "choice", None, option) for option in self.reasons]
        if self.nps is not None:
            rows.append(("nps", "nps", self.nps, None))
        if self.comment is not None:
            rows.append(("comment", "text", None, self.comment))
        return rows

    def wire(self, store_code: str) -> dict[str, Any]:
        """The response as a terminal or the phone page would send it (protocol version 1)."""
        answers: list[dict[str, Any]] = [{"question": "rating", "kind": "smiley", "value": self.face}]
        if self.reasons:
            answers.append({"question": "reason", "kind": "choice", "value": list(self.reasons)})
        if self.nps is not None:
            answers.append({"question": "nps", "kind": "nps", "value": self.nps})
        if self.comment is not None:
            answers.append({"question": "comment", "kind": "text", "value": self.comment})
        item: dict[str, Any] = {
            "id": self.id,
            "v": 1,
            "channel": self.channel,
            "store": store_code,
            "touchpoint": self.touchpoint,
            "survey": SURVEY_KEY,
            "survey_version": SURVEY_VERSION,
            "captured_at": format_time(self.captured_at),
            "locale": self.locale,
            "answers": answers,
        }
        if self.seq is not None:
            item["seq"] = self.seq
        if self.suspect:
            item["flags"] = ["suspect"]
        return item


def fleet(plan: Plan) -> list[SeedStore]:
    """The plan's stores: codes S001.., spread over the regions, each with its own traits."""
    rng = random.Random(f"voxloop-seed:{plan.seed}:fleet")
    counts = _region_counts(plan.stores)
    stores: list[SeedStore] = []
    for (region, zone, german, cities, districts), count in zip(_REGIONS, counts, strict=True):
        places = [(city, district) for district in districts for city in cities]
        for k in range(count):
            city, district = places[k % len(places)]
            suffix = f" {k // len(places) + 1}" if k >= len(places) else ""
            index = len(stores)
            english = 1.0 if german is None else rng.uniform(0.06, 0.2)
            stores.append(
                SeedStore(
                    index=index,
                    code=f"S{index + 1:03d}",
                    name=f"{city} {district}{suffix}",
                    region=region,
                    time_zone=zone,
                    opening_hours=_hours_for(region, district),
                    languages=("en",) if german is None else ("de", "en"),
                    german_locale=german,
                    volume=rng.lognormvariate(0, 0.35),
                    quality=rng.gauss(0.25, 0.22),
                    queue_risk=rng.lognormvariate(0, 0.35),
                    staff_warmth=rng.uniform(0.12, 0.35),
                    phone_share=rng.uniform(0.08, 0.25),
                    english_share=english,
                )
            )
    mean_volume = sum(s.volume for s in stores) / len(stores)
    stores = [_replace(s, volume=s.volume / mean_volume) for s in stores]
    # a few stores clearly better, a few clearly worse than the rest (not by chance: by design)
    order = list(range(len(stores)))
    rng.shuffle(order)
    best, worst = order[: max(1, len(stores) // 20)], order[max(1, len(stores) // 20) : max(2, len(stores) // 10)]
    for i in best:
        stores[i] = _replace(stores[i], quality=stores[i].quality + 0.75, queue_risk=stores[i].queue_risk * 0.5)
    for i in worst:
        stores[i] = _replace(stores[i], quality=stores[i].quality - 0.6, queue_risk=stores[i].queue_risk * 1.8)
    return stores


def drop_store(plan: Plan, stores: list[SeedStore]) -> SeedStore | None:
    """The store whose scores fall in the last days when the plan plants a drop."""
    if not plan.plant_drop:
        return None
    return stores[random.Random(f"voxloop-seed:{plan.seed}:drop").randrange(len(stores))]


def _replace(store: SeedStore, **changes: Any) -> SeedStore:
    return SeedStore(**{**store.__dict__, **changes})


def _region_counts(total: int) -> list[int]:
    """Stores per region by share, at least one per region while there are stores to give."""
    counts = [int(total * share) for share in _REGION_SHARES]
    i = 0
    while sum(counts) < total:
        counts[i % len(counts)] += 1
        i += 1
    return counts


class _DayShape:
    """For one store and weekday: when shoppers come (cumulative weights over the open hours)
    and how busy each hour is (0..1), which drives the queues."""

    def __init__(self, store: SeedStore, weekday: int) -> None:
        weights = _SATURDAY_WEIGHT if weekday == 5 else _HOUR_WEIGHT
        self.hours = store.hours_open(weekday)
        shares = [weights.get(h, 0.3) for h in self.hours]
        top = max(shares, default=1.0)
        self.busy = [w / top for w in shares]
        self.cumulative = []
        running = 0.0
        for w in shares:
            running += w
            self.cumulative.append(running)

    def pick(self, r: float) -> int:
        """An index into ``hours`` for a uniform ``r`` in [0, 1)."""
        return min(bisect.bisect_right(self.cumulative, r * self.cumulative[-1]), len(self.hours) - 1)


SHORT_SHARE = 0.2  # open hours short of planned tills
PRESSURE_NORM = 1.28  # the mean of planned / open tills over the hours: the queues' average stays


def staffing(plan_seed: int, store: int, day: date, shape: _DayShape) -> dict[int, tuple[int, float]]:
    """(open tills, queue pressure) per open local hour of a store's day, from a generator of
    its own, so the responses' draws stay as they were: the tills planned by how busy the hour
    is (1-5), in SHORT_SHARE of the hours one to three fewer (at least one); the pressure is
    planned / open tills over PRESSURE_NORM."""
    rng = random.Random(f"voxloop-tills:{plan_seed}:{store}:{day.toordinal()}")
    found = {}
    for hour, busy in zip(shape.hours, shape.busy, strict=True):
        planned = 1 + round(4 * busy)
        tills = max(1, planned - 1 - int(rng.random() * 3)) if rng.random() < SHORT_SHARE else planned
        found[hour] = (tills, planned / tills / PRESSURE_NORM)
    return found


class Generator:
    """The plan's responses, day by day, with each terminal's sequence numbers running on."""

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.stores = fleet(plan)
        self.drop = drop_store(plan, self.stores)
        self._shapes = [[_DayShape(s, w) for w in range(7)] for s in self.stores]
        self._zones = [ZoneInfo(s.time_zone) for s in self.stores]
        self._seq = [0] * len(self.stores)
        self._norm = [self._volume_norm(s) for s in self.stores]

    def last_seq(self, store_index: int) -> int:
        """The sequence number of the store terminal's latest response so far."""
        return self._seq[store_index]

    def tills(self, store: SeedStore, day: date) -> dict[int, int]:
        """The open tills per open local hour of the store's day (what drove its queues)."""
        shape = self._shapes[store.index][day.weekday()]
        return {hour: tills for hour, (tills, _) in staffing(self.plan.seed, store.index, day, shape).items()}

    def _volume_norm(self, store: SeedStore) -> float:
        """Mean of the day factors over the plan, so a store averages ``per_day`` x its volume."""
        total = 0.0
        for i in range(self.plan.days):
            day = self.plan.start + timedelta(days=i)
            if store.hours_open(day.weekday()):
                total += _MONTH_VOLUME[day.month - 1] * _WEEKDAY_VOLUME[day.weekday()]
        return total / self.plan.days or 1.0

    def days(self) -> Iterator[tuple[date, list[SeedResponse]]]:
        """(day, that day's responses of every store, ordered by id) for every day of the plan."""
        for i in range(self.plan.days):
            day = self.plan.start + timedelta(days=i)
            responses: list[SeedResponse] = []
            for store in self.stores:
                responses += self.store_day(store, day)
            responses.sort(key=lambda r: r.id)
            yield day, responses

    def store_day(self, store: SeedStore, day: date) -> list[SeedResponse]:
        """One store's responses on one local day, in order of capture."""
        plan = self.plan
        shape = self._shapes[store.index][day.weekday()]
        if not shape.hours:
            return []
        rng = random.Random(f"voxloop-seed:{plan.seed}:{store.index}:{day.toordinal()}")
        expected = (
            plan.per_day
            * store.volume
            * _MONTH_VOLUME[day.month - 1]
            * _WEEKDAY_VOLUME[day.weekday()]
            / self._norm[store.index]
        )
        count = max(0, round(rng.gauss(expected, math.sqrt(expected) + 0.04 * expected)))
        # local midnight as the store's offset at noon sees it: opening hours never span a DST
        # switch (those happen at night), so local hour h is this instant plus h hours
        midnight = datetime(day.year, day.month, day.day, 12, tzinfo=self._zones[store.index]).astimezone(
            UTC
        ) - timedelta(hours=12)
        december = day.month == 12
        mood = store.quality + _MONTH_MOOD[day.month - 1]
        if self.drop is not None and store.index == self.drop.index and (plan.end - day).days < DROP_DAYS:
            mood -= 1.4
        queue_base = 0.075 * store.queue_risk * (1.45 if december else 1.0)
        stock_rate = 0.05 * (1.35 if december else 1.0)
        german = store.german_locale
        staffed = staffing(plan.seed, store.index, day, shape)
        found: list[tuple[float, SeedResponse]] = []
        r = rng.random
        for _ in range(count):
            slot = shape.pick(r())
            hour = shape.hours[slot]
            busy = shape.busy[slot]
            seconds = hour * 3600 + r() * 3600
            captured = midnight + timedelta(seconds=seconds)
            phone = r() < store.phone_share
            english = german is None or r() < store.english_share
            queue = queue_base * staffed[hour][1]  # short of tills: the queue backs up more often
            response = self._response(
                rng, store, mood, busy, queue, stock_rate, phone, english, captured, day, hour, german
            )
            found.append((seconds, response))
        found.sort(key=lambda pair: pair[0])
        responses = [response for _, response in found]
        for response in responses:
            if response.channel == "kiosk":
                self._seq[store.index] += 1
                response.seq = self._seq[store.index]
        return responses

    def _response(
        self,
        rng: random.Random,
        store: SeedStore,
        mood: float,
        busy: float,
        queue_base: float,
        stock_rate: float,
        phone: bool,
        english: bool,
        captured: datetime,
        day: date,
        hour: int,
        german: str | None,
    ) -> SeedResponse:
        r = rng.random
        captured = captured.replace(microsecond=captured.microsecond // 1000 * 1000)  # the wire keeps ms
        received = captured + timedelta(seconds=0.4 + r() * (3 if phone else 90))
        rid = uuid7(captured, rng.getrandbits(80).to_bytes(10, "big"))
        language = "en" if english else "de"
        locale = "en-GB" if english else german
        if not phone and r() < 0.004:  # a child pressing faces: a random face and nothing else
            return SeedResponse(
                id=rid, store=store.index, channel="kiosk", captured_at=captured, received_at=received, day=day,
                hour=hour, locale=locale, face=1 + int(r() * FACES), reasons=(), nps=None, comment=None,
                suspect=True, seq=None,
            )  # fmt: skip
        happened = []
        if r() < queue_base * (0.1 + 3.5 * busy * busy):  # the tills back up when the shop is full
            happened.append("queue")
        if r() < store.staff_warmth:
            happened.append("staff")
        if r() < stock_rate:
            happened.append("stock")
        if r() < 0.03:
            happened.append("cleanliness")
        if r() < 0.07:
            happened.append("price")
        latent = mood + rng.gauss(0, 0.9)
        for what in happened:
            latent += _EFFECT[what]
        face = 1 + bisect.bisect_right(_FACE_THRESHOLDS, latent)
        reasons: tuple[str, ...] = ()
        if r() < (0.75 if phone else 0.6 if face <= 2 else 0.4):
            chosen = [what for what in happened if r() < (0.85 if what == "queue" else 0.65)]
            if not chosen:
                pool = ("price", "stock", "queue") if face <= 2 else ("staff", "cleanliness", "price")
                chosen = [pool[int(r() * len(pool))]]
            reasons = tuple(chosen)
        nps = None
        if r() < (0.9 if phone else 0.35):
            nps = min(10, max(0, round(rng.gauss(_NPS_MEAN[face] + 0.4 * store.quality, 1.3))))
        comment = None
        if r() < (0.5 if phone else 0.1 + (0.12 if face == 1 else 0)):
            comment = _comment(rng, language, face, reasons)
        return SeedResponse(
            id=rid, store=store.index, channel="qr" if phone else "kiosk", captured_at=captured,
            received_at=received, day=day, hour=hour, locale=locale, face=face, reasons=reasons, nps=nps,
            comment=comment, suspect=False, seq=None,
        )  # fmt: skip


def _comment(rng: random.Random, language: str, face: int, reasons: tuple[str, ...]) -> str:
    """An opener for the mood and a phrase for each reason, in the customer's language."""
    openers = _OPENERS[language][face]
    parts = [openers[int(rng.random() * len(openers))]]
    happy = face > FACES // 2
    for reason in reasons:
        phrases = _PHRASES[language].get((reason, happy))
        if phrases:
            parts.append(phrases[int(rng.random() * len(phrases))])
    return " ".join(parts)
