"""Standard Webhooks signatures on every outbound webhook, checked by the ``standardwebhooks``
package (an independent verifier) on what a real HTTP receiver got, beside the hub's own
``X-Voxloop-Signature`` that existing receivers keep checking."""

from __future__ import annotations

import base64
import json
from datetime import datetime, timedelta

import pytest
import time_machine
from standardwebhooks import Webhook, WebhookVerificationError

from hub.models import AlertRule
from hub.services.alerts.rules import update_rule
from hub.services.outbox.transports.webhook import standard_key, standard_secret
from tests.hub.alerting import deliver, outbox, rating, send
from tests.hub.conftest import connected
from tests.hub.test_alerts_webhooks import verifies
from tests.support.webhook_receiver import WebhookReceiver


@pytest.fixture
def receiver(app):
    app.config["WEBHOOK_ALLOWED_NETWORKS"] = "127.0.0.1"
    server = WebhookReceiver().start()
    yield server
    server.stop()


def hook(app, clock, receiver, secret: str | None = None) -> AlertRule:
    with connected(app):
        rule = AlertRule.get(AlertRule.key == "very_unhappy")
        rule = update_rule(rule.id, {"webhook_url": receiver.url, "email": False}, now=clock())
        if secret is not None:
            AlertRule.update(webhook_secret=secret).where(AlertRule.id == rule.id).execute()
            rule = AlertRule.get_by_id(rule.id)
        return rule


def one_call(app, clock, terminal, receiver):
    send(terminal, rating(terminal, 1, comment="Kasse zu"))
    assert deliver(app).sent
    (call,) = receiver.calls
    return call


def verified(secret: str, call, at: datetime):
    """The package's own check, at the time the hub sent it (its tolerance reads the wall clock)."""
    with time_machine.travel(at, tick=False):
        return Webhook(secret).verify(call.body, call.headers)


def test_a_webhook_carries_the_standard_webhooks_headers_that_the_package_verifies(
    app, clock, people, terminal, receiver
):
    rule = hook(app, clock, receiver)
    call = one_call(app, clock, terminal, receiver)

    assert call.headers["webhook-id"] == str(outbox(app)[0].id) == call.headers["X-Voxloop-Delivery"]
    assert call.headers["webhook-timestamp"] == str(int(clock().timestamp()))
    assert verified(standard_secret(rule.webhook_secret), call, clock())["event"] == "alert"
    assert verifies(rule.webhook_secret, call)  # the old header still holds for existing receivers


def test_a_hub_made_secret_is_its_utf8_bytes_as_the_standard_key(app, clock, people, terminal, receiver):
    rule = hook(app, clock, receiver)
    call = one_call(app, clock, terminal, receiver)

    wanted = "whsec_" + base64.b64encode(rule.webhook_secret.encode()).decode()
    assert standard_secret(rule.webhook_secret) == wanted
    stamp = datetime.fromtimestamp(int(call.headers["webhook-timestamp"]))
    assert (
        Webhook(wanted).sign(call.headers["webhook-id"], stamp, call.body.decode()) == call.headers["webhook-signature"]
    )


def test_a_whsec_secret_is_read_as_base64_of_the_key(app, clock, people, terminal, receiver):
    key = bytes(range(24))
    secret = "whsec_" + base64.b64encode(key).decode()
    hook(app, clock, receiver, secret=secret)
    call = one_call(app, clock, terminal, receiver)

    assert standard_key(secret) == key
    assert standard_secret(secret) == secret
    assert json.loads(call.body) == verified(secret, call, clock())
    assert verifies(secret, call)  # ours signs with the secret as written


def test_another_secret_a_changed_body_or_an_old_timestamp_do_not_verify(app, clock, people, terminal, receiver):
    rule = hook(app, clock, receiver)
    call = one_call(app, clock, terminal, receiver)
    secret = standard_secret(rule.webhook_secret)

    with pytest.raises(WebhookVerificationError):
        verified(standard_secret("another secret"), call, clock())
    with pytest.raises(WebhookVerificationError):
        verified(secret, type(call)(call.path, call.headers, call.body + b" "), clock())
    with pytest.raises(WebhookVerificationError):
        verified(secret, call, clock() + timedelta(hours=1))  # an hour later: a replay
