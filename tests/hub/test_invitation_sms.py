"""Invitations by SMS: queued by the invitations job in the outbox and sent through the hub's
SMS provider (a recording double: the gateway is the edge voxloop does not own), once, retried
while the gateway is down, failed visibly without a provider; the number sealed and forgotten
like an email address; on SQLite and PostgreSQL."""

from __future__ import annotations

import re

import pytest

from hub.jobs import deliverer_for
from hub.models import OutboxMessage
from hub.services.invitation_sms import deliver_sms
from hub.services.outbox.transports.sms import sms_provider
from tests.hub.conftest import connected, rows
from tests.hub.invitation_steps import ask, post, run_job, stored
from tests.hub.test_api_tokens import make
from tests.support.sms import RecordingSms

NUMBER = "+4915112345678"


@pytest.fixture
def token(app, clock, people):
    return make(app, clock, people["mia"], "invitations:write")


@pytest.fixture
def gateway(app):
    provider = RecordingSms()
    app.extensions["voxloop_sms"] = provider
    return provider


def _deliver(app):
    deliverer = deliverer_for(app, worker="test-worker")
    with connected(app):
        return deliver_sms(
            app.config["CLOCK"](), provider=sms_provider(app), links=deliverer.links, worker="test-worker"
        )


def _invite(app, client, clock, token, reference="S-1", **extra):
    made = post(client, token, ask(clock, reference, address=NUMBER, channel="sms", **extra))
    assert made.status_code == 201, made.get_json()
    clock.advance(hours=1)
    assert len(run_job(app).queued) == 1
    return made.get_json()["id"]


def test_an_sms_invitation_goes_out_once_with_its_links(app, client, clock, token, gateway):
    public_id = _invite(app, client, clock, token, language="de")
    assert len(_deliver(app).sent) == 1
    assert _deliver(app).sent == []
    [(number, text)] = gateway.sent
    assert number == NUMBER
    assert text.startswith("Berlin Mitte bittet um Ihr Feedback: ")
    link = re.search(r"(\S+/invite/\S+)", text).group(1)
    assert client.get(link[link.index("/invite/") :]).status_code == 303
    assert "/unsubscribe/" in text
    assert stored(app, public_id).opened_at is not None


def test_the_reminder_goes_by_sms_too_and_then_the_number_is_forgotten(app, client, clock, token, gateway):
    public_id = _invite(app, client, clock, token)
    _deliver(app)
    clock.advance(hours=72)
    assert len(run_job(app).reminded) == 1
    assert len(_deliver(app).sent) == 1
    assert len(gateway.sent) == 2
    run_job(app)
    assert stored(app, public_id).address_sealed is None
    assert NUMBER not in repr(
        rows(app, "SELECT * FROM invitation") + rows(app, "SELECT recipient, payload FROM outbox_message")
    )


def test_a_gateway_that_is_down_delays_the_text_and_loses_nothing(app, client, clock, token, gateway):
    _invite(app, client, clock, token)
    gateway.down = True
    assert len(_deliver(app).retrying) == 1
    gateway.down = False
    assert _deliver(app).sent == []  # not due yet: the backoff
    clock.advance(minutes=1)
    assert len(_deliver(app).sent) == 1
    assert len(gateway.sent) == 1


def test_without_a_provider_the_text_fails_visibly(app, client, clock, token):
    _invite(app, client, clock, token)
    run = _deliver(app)
    assert len(run.failed) == 1
    with connected(app):
        message = OutboxMessage.get_by_id(run.failed[0])
    assert (message.state, message.last_error) == ("failed", "no SMS provider is configured")
