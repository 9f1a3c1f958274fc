"""Helpers for the alert and case specifications: people, bad ratings, delivery runs.

Fixtures that use these live in each test module (tests/hub/test_alerts*.py,
tests/hub/test_cases*.py); the SMTP server and webhook receiver are in tests/support.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from typing import Any

from flask import Flask

from hub.clock import now
from hub.db import database
from hub.jobs import deliverer_for
from hub.models import Case, OutboxMessage, Region, Store, User, UserRegion, UserStore
from hub.services.alerts.escalation import escalate_due
from hub.services.alerts.rule_book import forget_book
from hub.services.outbox.delivery import DeliveryRun, RetryPolicy
from tests.hub.conftest import Clock, TestTerminal, connected
from tests.support.mail import Inbox


def add_person(
    email: str,
    name: str,
    role: str,
    password_hash: str,
    clock: Clock,
    *,
    stores: Iterable[Any] = (),
    regions: Iterable[Any] = (),
    active: bool = True,
) -> User:
    user = User.create(
        email=email,
        name=name,
        role=role,
        password_hash=password_hash,
        active=active,
        created_at=clock().replace(tzinfo=None),
    )
    for store in stores:
        UserStore.create(user=user, store=store)
    for region in regions:
        UserRegion.create(user=user, region=region)
    return user


def staff(app: Flask, clock: Clock, password_hash: str, store: Any, other_store: Any) -> dict[str, User]:
    """B001 (region North) with store manager Mia and regional manager Rolf; H002 (region
    South) with store manager Hans; an HQ analyst Ana; the HQ admin made by `hub init`."""
    with connected(app):
        north = Region.create(name="North")
        south = Region.create(name="South")
        Store.update(region=north).where(Store.id == store.id).execute()
        Store.update(region=south).where(Store.id == other_store.id).execute()
        people = {
            "mia": add_person("mia@example.org", "Mia Manager", "store_manager", password_hash, clock, stores=[store]),
            "hans": add_person(
                "hans@example.org", "Hans Hamburg", "store_manager", password_hash, clock, stores=[other_store]
            ),
            "rolf": add_person(
                "rolf@example.org", "Rolf Regional", "regional_manager", password_hash, clock, regions=[north]
            ),
            "ana": add_person("ana@example.org", "Ana Analyst", "hq_analyst", password_hash, clock),
            "admin": User.get(User.email == "admin@example.org"),
        }
        forget_book()
    return people


def rating(
    terminal: TestTerminal,
    value: int,
    *,
    comment: str | None = None,
    contact: str | None = None,
    reasons: Iterable[str] = (),
) -> dict[str, Any]:
    """A terminal response with a smiley rating (1 = very unhappy on the default 4 faces)."""
    answers: list[dict[str, Any]] = [{"question": "rating", "kind": "smiley", "value": value}]
    if reasons:
        answers.append({"question": "reason", "kind": "choice", "value": list(reasons)})
    if comment is not None:
        answers.append({"question": "comment", "kind": "text", "value": comment})
    item = terminal.response(rating=value, answers=answers)
    if contact is not None:
        item["contact"] = {"address": contact, "consent": True}
    return item


def send(terminal: TestTerminal, *items: dict[str, Any]) -> dict[str, Any]:
    answer = terminal.post_batch(list(items))
    assert answer.status_code == 200, answer.get_data(as_text=True)
    body = answer.get_json()
    assert {r["status"] for r in body["results"]} <= {"accepted", "duplicate"}, body
    return body


def use_inbox(app: Flask, inbox: Inbox, timeout: float = 2) -> None:
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=inbox.port, SMTP_TIMEOUT_SECONDS=timeout)


def deliver(app: Flask, *, worker: str = "test-worker", policy: RetryPolicy | None = None) -> DeliveryRun:
    """One run of the delivery job at the app's clock."""
    deliverer = deliverer_for(app, worker=worker)
    if policy is not None:
        from dataclasses import replace

        deliverer = replace(deliverer, policy=policy)
    with connected(app):
        return deliverer.deliver_all_due(app.config["CLOCK"]())


def escalate(app: Flask) -> int:
    with connected(app):
        return escalate_due(app.config["CLOCK"]())


def sign_in_as(client: Any, user: User) -> str:
    """A signed-in session for ``user`` without the (slow, separately tested) password check;
    returns the session's CSRF token."""
    token = secrets.token_urlsafe(32)
    with client.application.app_context():
        signed_in_at = now().timestamp()
    with client.session_transaction() as session:
        session["user_id"] = user.id
        session["csrf"] = token
        session["version"] = user.session_version  # as start_session names it (hub/auth/guard.py)
        session["started"] = session["seen"] = signed_in_at
    return token


def outbox(app: Flask) -> list[OutboxMessage]:
    with connected(app):
        return list(OutboxMessage.select().order_by(OutboxMessage.id))


def sql(app: Flask, statement: str, params: tuple = ()) -> list[tuple]:
    with connected(app):
        return database.execute_sql(statement.replace("?", database.param), params).fetchall()


def newest_case_after_bad_rating(app: Flask, terminal: TestTerminal, comment: str) -> int:
    """Send a rating of 1 with ``comment`` from ``terminal``; the id of the newest case then."""
    send(terminal, rating(terminal, 1, comment=comment))
    with connected(app):
        return Case.select().order_by(Case.id.desc()).get().id
