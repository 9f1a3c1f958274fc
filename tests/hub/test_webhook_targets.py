"""Webhooks cannot be pointed at internal addresses (loopback, private, link-local, metadata,
their IPv6 forms) unless the operator allows them in WEBHOOK_ALLOWED_NETWORKS: refused when a
rule is saved, and at delivery after the name is resolved, connecting to the checked address."""

from __future__ import annotations

import ipaddress

import pytest

from hub.services.alerts.rules import create_rule
from hub.services.outbox.transports import DeliveryError
from hub.services.outbox.transports.webhook import WebhookSender
from hub.services.webhook_targets import WebhookTargets
from shared.errors import RuleError
from tests.hub.conftest import connected
from tests.support.webhook_receiver import WebhookReceiver

INTERNAL_HOSTS = [
    "127.0.0.1",
    "127.1",
    "2130706433",
    "0x7f000001",
    "localhost",
    "api.localhost",
    "0.0.0.0",  # noqa: S104 (a target refused, not a bind)
    "10.1.2.3",
    "172.16.0.1",
    "192.168.1.1",
    "100.64.0.1",
    "169.254.169.254",
    "[::1]",
    "[::]",
    "[fe80::1]",
    "[fd00:ec2::254]",
    "[::ffff:127.0.0.1]",
    "[::ffff:169.254.169.254]",
]


@pytest.fixture
def receiver():
    server = WebhookReceiver().start()
    yield server
    server.stop()


def port_of(receiver: WebhookReceiver) -> int:
    return receiver.server.server_address[1]


def rule_to(url: str, clock):
    return create_rule(
        {"name": "hook", "kind": "response", "condition": {"rating_at_most": 1}, "webhook_url": url}, now=clock()
    )


@pytest.mark.parametrize("host", INTERNAL_HOSTS)
def test_a_rule_cannot_send_webhooks_to_an_internal_address(app, clock, host):
    with connected(app), pytest.raises(RuleError) as refused:
        rule_to(f"http://{host}:8080/hook", clock)
    assert (refused.value.code, refused.value.status, refused.value.field) == (
        "webhook_address_not_allowed",
        422,
        "webhook_url",
    )
    assert "WEBHOOK_ALLOWED_NETWORKS" in refused.value.detail


def test_a_rule_may_send_to_a_public_name_or_address(app, clock):
    with connected(app):
        assert rule_to("https://hooks.example.org/voxloop", clock).webhook_url == "https://hooks.example.org/voxloop"
        assert rule_to("https://93.184.216.34/voxloop", clock).webhook_url == "https://93.184.216.34/voxloop"


def test_the_operator_may_allow_internal_networks(app, clock):
    app.config["WEBHOOK_ALLOWED_NETWORKS"] = "10.0.0.0/8, ::1"
    with connected(app):
        assert rule_to("http://10.1.2.3/hook", clock).webhook_url == "http://10.1.2.3/hook"
        assert rule_to("http://[::1]/hook", clock).webhook_url == "http://[::1]/hook"
        with pytest.raises(RuleError):
            rule_to("http://192.168.1.1/hook", clock)


def test_an_ipv4_allowance_covers_its_ipv6_mapped_form():
    targets = WebhookTargets.from_setting("127.0.0.1")
    assert targets.permits(ipaddress.ip_address("::ffff:127.0.0.1"))
    assert not targets.permits(ipaddress.ip_address("::ffff:127.0.0.2"))


def resolving_to(*addresses: str):
    return lambda _host, _port: list(addresses)


def test_a_name_that_resolves_to_an_internal_address_at_delivery_is_refused_for_good(receiver):
    sender = WebhookSender(timeout=2, resolver=resolving_to("127.0.0.1"))
    with pytest.raises(DeliveryError) as refused:
        sender.post(f"http://rebound.example:{port_of(receiver)}/hook", b"{}", secret="s", delivery_id="1", now=0)
    assert refused.value.permanent
    assert "internal address" in refused.value.reason
    assert receiver.calls == []


def test_one_internal_address_among_public_ones_is_refused(receiver):
    sender = WebhookSender(timeout=2, resolver=resolving_to("93.184.216.34", "10.0.0.7"))
    with pytest.raises(DeliveryError, match=r"10\.0\.0\.7"):
        sender.post("http://mixed.example/hook", b"{}", secret="s", delivery_id="1", now=0)


def test_delivery_connects_to_the_checked_address_and_names_the_host(receiver):
    # the name resolves nowhere but through this resolver: reaching the receiver proves the
    # connection went to the address that was checked, not to a second lookup
    sender = WebhookSender(
        timeout=2, targets=WebhookTargets.from_setting("127.0.0.1/32"), resolver=resolving_to("127.0.0.1")
    )
    url = f"http://hooks.invalid:{port_of(receiver)}/hook?x=1"
    assert sender.post(url, b"{}", secret="s", delivery_id="7", now=0) == 200
    [call] = receiver.calls
    assert (call.path, call.headers["Host"]) == ("/hook?x=1", f"hooks.invalid:{port_of(receiver)}")
