"""What the agent is told about a case: its category, its priority and a suggested reply.

Computed in the transaction that opens a case, and in the one where a phone follow-up adds
answers to one of its responses (hub/services/alerts/routing.py calls ``classify_cases``); kept
in ``case_classification`` (migration v0026), so the case list filters by it. Responses joining
an open case queue it (``classify_later``, v0037), and the classify job (hub/jobs.py, every
``CLASSIFY_SECONDS``) classifies it once for however many batches joined meanwhile: a busy
store's case is not classified again for every batch.

Category: one of ``CATEGORIES``, from what the case's responses (the latest ``READ_RESPONSES``)
say. Each reason chosen counts 2 for its category (``REASON_CATEGORIES``: the catalog's reason
options), each topic of a comment that is one of a category's keywords counts 1
(``KEYWORDS``: words, compared by their Snowball stem in the comment's language, so "Kassen"
is "Kasse", hub/services/comment_text.py). The category with the most wins; a tie goes to the
one listed first; nothing found is ``other``.

Priority: points for what makes a case urgent, each with its code shown on the case page:

- ``very_unhappy`` 2: the lowest rating of the case is the lowest face or CSAT 1, or NPS 0-3;
  ``unhappy`` 1: the second face or CSAT 2, or NPS 4-6;
- ``contact_requested`` 1: a customer left a contact for a call back;
- ``repeat_customer`` 1: that contact left one of the store's cases of the last year before
  (hub/services/contact_matches.py: the sealed contacts are opened to compare, never stored);
- ``valuable_customer`` 1: a CRM sent a ``customer_value`` of at least ``VALUABLE_CUSTOMER``
  through the cases API (``POST /api/v1/cases/<id>/customer-value``).

3 points or more is ``high``, 1-2 ``normal``, none ``low``: a very unhappy customer who asks
for a call back is high, a very unhappy one alone normal.

Reply: hub/services/reply_suggestions.py in the customer's language: the language the first
comment is written in (``detect_language``), else the language of the page or terminal the
customer answered on, else the hub's; German or English.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask import current_app

from hub.db import stored_time, write_transaction
from hub.i18n import lazy_gettext
from hub.models import Case, CaseClassification, CaseResponse, JSONText
from hub.queries import cases as q
from hub.services.access import Scope
from hub.services.comment_text import comment_terms, detect_language, word_key
from hub.services.contact_matches import case_addresses, matching_cases
from hub.services.reply_suggestions import CATEGORIES, REPLY_LANGUAGES, suggested_reply
from shared.errors import NotFound, RequestError, VoxloopError
from shared.scoring import DETRACTOR_MAX, LOW_FACE_MAX

PRIORITIES = ("high", "normal", "low")
READ_RESPONSES = 50
VALUABLE_CUSTOMER = 1000.0  # a CRM's customer value from which a case is more urgent
HIGH_FROM, NORMAL_FROM = 3, 1

REASON_CATEGORIES = {
    "queue": "checkout",
    "staff": "staff",
    "stock": "availability",
    "price": "prices",
    "cleanliness": "cleanliness",
}
KEYWORDS = {
    "checkout": {
        "de": "kasse schlange warteschlange wartezeit warten anstehen kassierer selbstbedienungskasse",
        "en": "queue till checkout wait waiting line cashier",
    },
    "staff": {
        "de": "personal mitarbeiter mitarbeiterin verkäufer verkäuferin unfreundlich unhöflich freundlich "
        "beratung hilfe",
        "en": "staff employee rude unfriendly friendly impolite service assistant help",
    },
    "availability": {
        "de": "ausverkauft regal vorrat leer sortiment verfügbar fehlt nachschub",
        "en": "stock shelf shelves sold empty available missing restock",
    },
    "prices": {
        "de": "preis teuer teurer angebot rabatt günstig kosten",
        "en": "price prices expensive pricey offer discount cheap cost",
    },
    "cleanliness": {
        "de": "sauber schmutzig dreckig sauberkeit toilette boden müll",
        "en": "clean dirty filthy cleanliness toilet floor mess smell",
    },
}
_KEYS = {
    category: {language: {word_key(w, language) for w in words.split()} for language, words in by_language.items()}
    for category, by_language in KEYWORDS.items()
}

CATEGORY_NAMES = {
    "checkout": lazy_gettext("Checkout and queue"),
    "staff": lazy_gettext("Staff friendliness"),
    "availability": lazy_gettext("Product availability"),
    "prices": lazy_gettext("Prices and offers"),
    "cleanliness": lazy_gettext("Store cleanliness"),
    "other": lazy_gettext("Other"),
}
PRIORITY_NAMES = {"high": lazy_gettext("high"), "normal": lazy_gettext("normal"), "low": lazy_gettext("low")}
POINTS = {"very_unhappy": 2, "unhappy": 1, "contact_requested": 1, "repeat_customer": 1, "valuable_customer": 1}
REASON_NAMES = {
    "very_unhappy": lazy_gettext("very unhappy rating"),
    "unhappy": lazy_gettext("unhappy rating"),
    "contact_requested": lazy_gettext("asked for a call back"),
    "repeat_customer": lazy_gettext("complained here before"),
    "valuable_customer": lazy_gettext("valuable customer (CRM)"),
}


@dataclass
class CaseFacts:
    """What a case's responses say, as classification reads them."""

    reasons: list[str] = field(default_factory=list)  # option ids, every response
    comments: list[tuple[str, str]] = field(default_factory=list)  # (text, page language), newest first
    languages: list[str] = field(default_factory=list)  # page languages, newest first
    lowest: str | None = None  # very_unhappy | unhappy | None
    contact: bool = False


def _level(kind: str, number: int | None) -> str | None:
    if number is None:
        return None
    if kind in ("smiley", "csat"):
        return "very_unhappy" if number <= 1 else "unhappy" if number <= LOW_FACE_MAX else None
    if kind == "nps":
        return "very_unhappy" if number <= 3 else "unhappy" if number <= DETRACTOR_MAX else None
    return None


def _worse(a: str | None, b: str | None) -> str | None:
    return "very_unhappy" if "very_unhappy" in (a, b) else a or b


def case_facts(case_id: int) -> CaseFacts:
    """The facts of the case's latest ``READ_RESPONSES`` responses (one statement)."""
    facts = CaseFacts()
    locale: dict[str, str] = {}  # response id -> page language, newest first
    comments: list[tuple[int, str, str]] = []
    for response_id, page, has_contact, kind, number, text in q.latest_answers(case_id, READ_RESPONSES):
        rid = str(response_id)
        if rid not in locale:
            locale[rid] = (page or "")[:2].lower()
            facts.contact = facts.contact or bool(has_contact)
        if kind is None:
            continue  # a response without answers
        if kind == "choice" and text:
            facts.reasons.append(text)
        elif kind == "text" and text and text.strip():
            comments.append((len(locale) - 1, text, locale[rid]))
        else:
            facts.lowest = _worse(facts.lowest, _level(kind, number))
    facts.languages = list(locale.values())
    facts.comments = [(text, lang) for _, text, lang in sorted(comments, key=lambda c: c[0])]
    return facts


def language_of(facts: CaseFacts, fallback: str) -> str:
    """The customer's language: the first comment's, else their page's, else ``fallback``."""
    for lang in facts.languages:
        if lang in REPLY_LANGUAGES:
            fallback = lang
            break
    if facts.comments:
        text, page = facts.comments[0]
        return detect_language(text, page if page in REPLY_LANGUAGES else fallback)
    return fallback if fallback in REPLY_LANGUAGES else "en"


def category_of(reasons: Iterable[str], comments: Iterable[tuple[str, str]], fallback: str) -> str:
    """The category the reasons (2 each) and the comments' keyword topics (1 each) point to."""
    score = dict.fromkeys(CATEGORIES, 0)
    for reason in reasons:
        if reason in REASON_CATEGORIES:
            score[REASON_CATEGORIES[reason]] += 2
    for text, page in comments:
        language = detect_language(text, page if page in REPLY_LANGUAGES else fallback)
        terms = set(comment_terms(text, language))
        for category, keys in _KEYS.items():
            score[category] += len(terms & keys.get(language, set()))
    best = max(score.values())
    return next(c for c in CATEGORIES if score[c] == best) if best else "other"


def priority_of(lowest: str | None, contact: bool, repeat: bool, customer_value: float | None) -> tuple[str, list[str]]:
    """The priority and the codes of what raised it (see the module's docstring)."""
    reasons = [lowest] if lowest else []
    reasons += ["contact_requested"] if contact else []
    reasons += ["repeat_customer"] if repeat else []
    reasons += ["valuable_customer"] if customer_value is not None and customer_value >= VALUABLE_CUSTOMER else []
    points = sum(POINTS[r] for r in reasons)
    return ("high" if points >= HIGH_FROM else "normal" if points >= NORMAL_FROM else "low"), reasons


def _fallback_language() -> str:
    return str(current_app.config.get("LANGUAGE", "de"))


def classify_case(case_id: int, *, now: datetime, contact_key: bytes | None) -> CaseClassification:
    """Compute and store the case's classification, keeping a customer value sent before. Call
    inside the write transaction that opened or changed the case."""
    _classify(case_id, now=now, contact_key=contact_key)
    return CaseClassification.get(CaseClassification.case == case_id)


def _classify(case_id: int, *, now: datetime, contact_key: bytes | None) -> None:
    header = q.case_header(case_id)
    if header is None:
        raise Case.DoesNotExist(f"there is no case {case_id}")
    store_id, opened_at, store_name, value = header
    facts = case_facts(case_id)
    fallback = _fallback_language()
    repeat = False
    if facts.contact and contact_key is not None:
        mine = case_addresses(case_id, contact_key, latest=READ_RESPONSES)
        repeat = bool(matching_cases(store_id, case_id, stored_time(opened_at), mine, contact_key, opened_before=True))
    language = language_of(facts, fallback)
    category = category_of(facts.reasons, facts.comments, language)
    priority, why = priority_of(facts.lowest, facts.contact, repeat, value)
    fields = {
        "category": category,
        "priority": priority,
        "priority_reasons": JSONText().db_value(why),
        "language": language,
        "suggested_reply": suggested_reply(category, language, store_name),
    }
    q.save_classification(case_id, fields, now)


def _contact_key() -> bytes:
    from hub.state import state  # imported here: hub.state imports the catalog, which imports routing

    return state().contact_key


def classify_cases(case_ids: Sequence[int], *, now: datetime) -> None:
    """Classify each case (routing's hook: in the transaction that opened or changed them)."""
    key = _contact_key()
    for case_id in dict.fromkeys(case_ids):
        _classify(case_id, now=now, contact_key=key)


CLASSIFY_SECONDS = 5  # the classify job's interval: how long a joined case's classification may lag
QUEUE_BATCH = 200  # cases the job classifies per run at most


def classify_later(case_ids: Sequence[int], *, now: datetime) -> None:
    """Queue cases that responses joined for the classify job (routing's hook, in the
    transaction that attached the responses)."""
    for case_id in dict.fromkeys(case_ids):
        q.queue_classification(case_id, now)


def classify_queued(now: datetime, limit: int = QUEUE_BATCH) -> int:
    """The classify job: each queued case classified in a transaction of its own that takes it
    off the queue; returns how many were classified."""
    key = _contact_key()
    done = 0
    for case_id in q.queued_cases(limit):
        with write_transaction():
            if q.take_queued(case_id):
                _classify(case_id, now=now, contact_key=key)
                done += 1
    return done


def reclassify_cases_of(response_ids: Iterable[str], *, now: datetime) -> None:
    """Classify again the cases that hold these responses (their answers may have grown)."""
    wanted = list(response_ids)
    if wanted:
        held = CaseResponse.select(CaseResponse.case).where(CaseResponse.response.in_(wanted)).tuples()
        classify_cases([row[0] for row in held], now=now)


def classified(query: Any, *, category: str | None, priority: str | None) -> Any:
    """``query`` of cases narrowed to those of ``category`` and ``priority`` (None: any)."""
    if category is not None and category not in CATEGORIES:
        raise RequestError("malformed_request", f"category must be one of {', '.join(CATEGORIES)}")
    if priority is not None and priority not in PRIORITIES:
        raise RequestError("malformed_request", f"priority must be one of {', '.join(PRIORITIES)}")
    wanted = CaseClassification.select(CaseClassification.case)
    if category is not None:
        wanted = wanted.where(CaseClassification.category == category)
    if priority is not None:
        wanted = wanted.where(CaseClassification.priority == priority)
    return query if category is None and priority is None else query.where(Case.id.in_(wanted))


def classification(case_id: int) -> CaseClassification | None:
    return CaseClassification.get_or_none(CaseClassification.case == case_id)


def classifications(case_ids: Iterable[int]) -> dict[int, CaseClassification]:
    wanted = list(set(case_ids))
    if not wanted:
        return {}
    return {c.case_id: c for c in CaseClassification.select().where(CaseClassification.case.in_(wanted))}


def classification_as_dict(found: CaseClassification | None) -> dict[str, Any] | None:
    """What the cases API says of a case's classification (None before it was computed)."""
    if found is None:
        return None
    return {
        "category": found.category,
        "priority": found.priority,
        "priority_reasons": list(found.priority_reasons or []),
        "language": found.language,
        "suggested_reply": found.suggested_reply,
        "customer_value": found.customer_value,
    }


def set_customer_value(scope: Scope, case_id: int, value: object, *, now: datetime) -> CaseClassification:
    """Keep the customer value a CRM sent (a number of at least 0, or null to forget it) and
    compute the case's priority again with it."""
    if value is not None and (isinstance(value, bool) or not isinstance(value, int | float) or value < 0):
        raise RequestError("malformed_request", "customer_value must be a number of at least 0, or null")
    case = Case.get_or_none(Case.id == case_id)
    if case is None or not scope.sees(case.store_id):
        raise NotFound("not_found", f"there is no case {case_id}")
    if not scope.can_act_on_cases:
        raise VoxloopError("forbidden", "HQ analysts read cases; they do not work them")
    with write_transaction():
        CaseClassification.insert(
            case=case_id,
            category="other",
            priority="low",
            priority_reasons=[],
            language="en",
            suggested_reply="",
            customer_value=value,
            computed_at=now.replace(tzinfo=None),
        ).on_conflict(
            conflict_target=[CaseClassification.case], update={CaseClassification.customer_value: value}
        ).execute()
        return classify_case(case_id, now=now, contact_key=_contact_key())
