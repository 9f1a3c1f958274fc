"""The sync worker against a fake transport: what it sends, how it reads the hub's answers,
when it tries again. (The same worker against a real hub process: test_sync_against_hub.py.)"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
import requests

from kiosk.sync_worker import Backoff
from tests.kiosk.conftest import make_worker
from tests.kiosk.fake_transport import (
    ETAG,
    HUB_NOW,
    FakeTransport,
    Reply,
    acknowledge,
    config_reply,
    html,
    problem,
    within_skew,
)

NOW = HUB_NOW


# --- sending -------------------------------------------------------------------------------


def test_a_round_sends_all_pending_responses_oldest_first_in_batches(store, capture):
    taps = capture(250)
    transport = FakeTransport(acknowledge())

    outcome = make_worker(store, transport, batch_size=100).run_once(NOW)

    assert [len(s.responses) for s in transport.syncs] == [100, 100, 50]
    assert [item["seq"] for s in transport.syncs for item in s.responses] == list(range(1, 251))
    assert [item["id"] for s in transport.syncs for item in s.responses] == [t.id for t in taps]
    assert (outcome.ok, outcome.sent, outcome.delivered, outcome.pending) == (True, 250, 250, 0)


def test_acknowledged_responses_are_marked_delivered_and_not_sent_again(store, capture):
    capture(3)
    transport = FakeTransport(acknowledge())
    worker = make_worker(store, transport)
    worker.run_once(NOW)

    worker.run_once(NOW + timedelta(minutes=1))

    assert store.counts() == {"pending": 0, "delivered": 3, "quarantined": 0}
    assert transport.syncs[-1].responses == []


def test_a_duplicate_counts_as_delivered(store, capture):
    capture(4)

    outcome = make_worker(store, FakeTransport(acknowledge("duplicate"))).run_once(NOW)

    assert outcome.delivered == 4
    assert store.counts()["delivered"] == 4


def test_every_batch_carries_the_heartbeat(store, capture):
    capture(5)
    store.put(last_error="unreachable: earlier")
    transport = FakeTransport(acknowledge(by_seq={2: "invalid"}), acknowledge())
    worker = make_worker(store, transport, app_version="9.9.9")
    worker.run_once(NOW)
    capture(2, start=NOW + timedelta(hours=1))

    worker.run_once(NOW + timedelta(hours=1))

    assert transport.syncs[0].json["heartbeat"] == {
        "queue_depth": 5,
        "app_version": "9.9.9",
        "quarantined": 0,
        "last_error": "unreachable: earlier",
        "last_seq": 5,
    }
    assert transport.syncs[1].json["heartbeat"] == {
        "queue_depth": 2,
        "app_version": "9.9.9",
        "quarantined": 1,
        "last_seq": 7,
    }


def test_with_nothing_pending_a_round_sends_the_heartbeat_alone(store):
    transport = FakeTransport(acknowledge())

    outcome = make_worker(store, transport).run_once(NOW)

    assert outcome.ok
    assert [s.json for s in transport.syncs] == [
        {
            "v": 1,
            "responses": [],
            "heartbeat": {"queue_depth": 0, "app_version": "0.1.0", "quarantined": 0, "last_seq": 0},
        }
    ]


def test_batches_are_signed_requests_to_the_sync_endpoint(store, capture):
    capture(1)
    transport = FakeTransport(acknowledge())

    make_worker(store, transport).run_once(NOW)

    sent = transport.syncs[0]
    assert (sent.method, sent.url) == ("POST", "http://hub.test/api/v1/sync")
    assert {"Signature", "Signature-Input", "Content-Digest"} <= sent.headers.keys()
    assert 'keyid="dev_test_0001"' in sent.headers["Signature-Input"]


# --- the hub's per-item results ------------------------------------------------------------


@pytest.mark.parametrize("refusal", ["invalid", "conflict"])
def test_a_refused_response_is_quarantined_and_never_sent_again(store, capture, refusal):
    taps = capture(3)
    transport = FakeTransport(acknowledge(by_seq={2: refusal}), acknowledge())
    worker = make_worker(store, transport)
    worker.run_once(NOW)

    worker.run_once(NOW + timedelta(minutes=1))

    assert store.counts() == {"pending": 0, "delivered": 2, "quarantined": 1}
    assert [q["id"] for q in store.quarantined()] == [taps[1].id]
    assert transport.syncs[-1].responses == []


def test_the_quarantine_keeps_the_hubs_reason(store, capture):
    capture(1)

    make_worker(store, FakeTransport(acknowledge("invalid"))).run_once(NOW)

    (item,) = store.quarantined()
    assert item["code"] == "value_out_of_range"
    assert "9 is outside 1..4" in item["detail"]


def test_what_the_hub_reports_missing_is_sent_again_from_the_delivered_responses(store, capture):
    capture(10)
    worker = make_worker(store, FakeTransport(acknowledge()))
    worker.run_once(NOW)
    transport = FakeTransport(acknowledge(missing=[[3, 5], [9, 9]]), acknowledge())
    worker = make_worker(store, transport)

    outcome = worker.run_once(NOW + timedelta(days=1))

    assert [item["seq"] for item in transport.syncs[1].responses] == [3, 4, 5, 9]
    assert (outcome.requeued, outcome.pending) == (4, 0)
    assert store.counts()["delivered"] == 10


def test_missing_ranges_never_bring_back_quarantined_responses(store, capture):
    capture(3)
    make_worker(store, FakeTransport(acknowledge(by_seq={2: "invalid"}))).run_once(NOW)
    transport = FakeTransport(acknowledge(missing=[[2, 2]]))

    outcome = make_worker(store, transport).run_once(NOW + timedelta(minutes=1))

    assert outcome.requeued == 0
    assert store.counts() == {"pending": 0, "delivered": 2, "quarantined": 1}


def test_what_the_hub_asks_for_and_will_never_come_is_named_unavailable_in_one_more_batch(store, capture):
    capture(6)
    make_worker(store, FakeTransport(acknowledge(by_seq={2: "invalid", 5: "conflict"}))).run_once(NOW)
    store.prune_delivered(NOW + timedelta(days=40))  # 1, 3, 4 and 6 are forgotten
    transport = FakeTransport(acknowledge(missing=[[1, 2], [4, 5]]), acknowledge())

    outcome = make_worker(store, transport).run_once(NOW + timedelta(days=40))

    assert outcome.ok and len(transport.syncs) == 2
    assert "unavailable" not in transport.syncs[0].json["heartbeat"]
    assert transport.syncs[1].json["heartbeat"]["unavailable"] == [[1, 2], [4, 5]]


def test_a_hub_that_asks_again_for_what_was_named_unavailable_gets_no_endless_batches(store, capture):
    capture(3)
    make_worker(store, FakeTransport(acknowledge(by_seq={2: "invalid"}))).run_once(NOW)
    transport = FakeTransport(acknowledge(missing=[[2, 2]]))  # a hub that does not read ``unavailable``

    outcome = make_worker(store, transport).run_once(NOW + timedelta(minutes=1))

    assert outcome.ok and len(transport.syncs) == 2
    assert [sent.json["heartbeat"].get("unavailable") for sent in transport.syncs] == [None, [[2, 2]]]


# --- failures ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "code"),
    [
        (requests.ConnectionError("Connection refused"), "unreachable"),
        (requests.Timeout("read timed out"), "unreachable"),
        (problem(500, "internal_error"), "internal_error"),
        (problem(503, "database_unavailable"), "database_unavailable"),
        (html(502), "bad_answer"),
        (Reply(200, text="<html>captive portal login</html>"), "bad_answer"),
        (Reply(200, {"hello": "world"}), "bad_answer"),
        (Reply(200, {"results": [], "missing": []}), "bad_answer"),
    ],
    ids=["refused", "timeout", "500", "503", "502-html", "200-html", "200-other-json", "200-no-results"],
)
def test_a_failed_round_keeps_every_response_pending_and_records_the_error(store, capture, answer, code):
    capture(3)
    worker = make_worker(store, FakeTransport(answer))

    outcome = worker.run_once(NOW)

    assert not outcome.ok
    assert outcome.error.startswith(code + ":")
    assert store.get("last_error") == outcome.error
    assert store.counts() == {"pending": 3, "delivered": 0, "quarantined": 0}


def test_results_for_other_ids_mark_nothing(store, capture):
    capture(2)

    other_ids = Reply(200, {"results": [{"id": "x", "status": "accepted"}] * 2, "missing": [], "config_etag": ETAG})

    outcome = make_worker(store, FakeTransport(other_ids)).run_once(NOW)

    assert outcome.error.startswith("bad_answer:")
    assert store.counts()["pending"] == 2


def test_a_round_that_fails_midway_keeps_what_was_acknowledged_before(store, capture):
    capture(250)
    transport = FakeTransport(acknowledge(), requests.ConnectionError("reset"))

    outcome = make_worker(store, transport, batch_size=100).run_once(NOW)

    assert (outcome.ok, outcome.delivered, outcome.pending) == (False, 100, 150)


def test_the_backoff_grows_exponentially_with_full_jitter_up_to_its_cap(store):
    worker = make_worker(
        store,
        FakeTransport(requests.ConnectionError("down")),
        rng=random.Random(42),
        backoff=Backoff(base=2.0, cap=60.0),
    )
    expected_rng = random.Random(42)

    delays = [worker.run_once(NOW + timedelta(hours=i)).retry_in_seconds for i in range(9)]

    bounds = [2, 4, 8, 16, 32, 60, 60, 60, 60]
    assert delays == [expected_rng.uniform(0, bound) for bound in bounds]
    assert all(0 <= delay <= bound for delay, bound in zip(delays, bounds, strict=True))
    assert len({round(d / b, 6) for d, b in zip(delays, bounds, strict=True)}) == 9  # jittered, not fixed


def test_tick_waits_out_the_backoff_before_trying_again(store):
    transport = FakeTransport(requests.ConnectionError("down"))
    worker = make_worker(store, transport)
    delay = worker.tick(NOW).retry_in_seconds

    assert worker.tick(NOW + timedelta(seconds=delay * 0.99)) is None
    assert len(transport.sent) == 1
    assert worker.tick(NOW + timedelta(seconds=delay)) is not None
    assert len(transport.sent) == 2


def test_a_trigger_makes_a_round_due_at_once_even_during_backoff(store):
    transport = FakeTransport(requests.ConnectionError("down"), acknowledge())
    worker = make_worker(store, transport, backoff=Backoff(base=60, cap=60), rng=random.Random(1))
    worker.tick(NOW)

    worker.trigger()

    assert worker.tick(NOW + timedelta(milliseconds=1)).ok


def test_a_success_resets_the_backoff(store):
    transport = FakeTransport(*[requests.ConnectionError("down")] * 5, acknowledge(), requests.ConnectionError("down"))
    worker = make_worker(store, transport, backoff=Backoff(base=2.0, cap=60.0))
    for i in range(5):
        worker.run_once(NOW + timedelta(hours=i))
    worker.run_once(NOW + timedelta(hours=6))

    after = worker.run_once(NOW + timedelta(hours=7))

    assert after.retry_in_seconds <= 2.0
    assert worker.failures == 1


def test_after_a_success_the_next_round_waits_for_the_configured_interval(store, config):
    store.put(config={**config, "kiosk": {**config["kiosk"], "sync_interval_seconds": 45}})
    transport = FakeTransport(acknowledge())
    worker = make_worker(store, transport)
    worker.tick(NOW)

    assert worker.tick(NOW + timedelta(seconds=44)) is None
    assert worker.tick(NOW + timedelta(seconds=45)).ok


def test_a_clock_set_back_by_years_does_not_postpone_syncing(store):
    transport = FakeTransport(acknowledge())
    worker = make_worker(store, transport)
    worker.tick(NOW)

    assert worker.tick(datetime(1970, 1, 1, tzinfo=UTC)) is not None


# --- revocation ----------------------------------------------------------------------------


def test_a_revoked_terminal_stops_sending_for_good_and_keeps_its_responses(store, capture, tmp_path):
    capture(3)
    transport = FakeTransport(problem(403, "revoked_device"), acknowledge())
    worker = make_worker(store, transport)

    outcome = worker.run_once(NOW)
    worker.trigger()
    later = [worker.tick(NOW + timedelta(days=d)) for d in (1, 30)]
    restarted = make_worker(store, transport).tick(NOW + timedelta(days=31))

    assert outcome.revoked and not outcome.ok
    assert later == [None, None] and restarted is None
    assert len(transport.sent) == 1
    assert store.get("revoked") is True
    assert store.counts() == {"pending": 3, "delivered": 0, "quarantined": 0}


# --- the clock -----------------------------------------------------------------------------


def test_a_stale_created_refusal_teaches_the_offset_and_the_batch_is_signed_again(store, capture):
    boot = datetime(1970, 1, 1, 0, 5, tzinfo=UTC)  # a terminal that lost its clock
    capture(3, start=boot)
    transport = FakeTransport(within_skew(acknowledge(), HUB_NOW), hub_clock=lambda: HUB_NOW)

    outcome = make_worker(store, transport).run_once(boot)

    assert outcome.ok and outcome.delivered == 3
    assert transport.syncs[0].created == int(boot.timestamp())
    assert abs(transport.syncs[1].created - HUB_NOW.timestamp()) <= 2
    assert store.get("clock_offset_seconds") == pytest.approx((HUB_NOW - boot).total_seconds(), abs=2)


def test_the_learned_offset_signs_the_next_rounds_right_the_first_time(store):
    boot, hub_now = datetime(1970, 1, 1, tzinfo=UTC), [HUB_NOW]
    transport = FakeTransport(lambda sent: within_skew(acknowledge(), hub_now[0])(sent), hub_clock=lambda: hub_now[0])
    make_worker(store, transport).run_once(boot)

    hub_now[0] += timedelta(seconds=30)
    make_worker(store, transport).run_once(boot + timedelta(seconds=30))  # a restart in between

    assert len(transport.syncs) == 3
    assert abs(transport.syncs[2].created - hub_now[0].timestamp()) <= 2


def test_a_stale_created_refusal_is_signed_again_only_once(store, capture):
    capture(1)
    transport = FakeTransport(problem(401, "stale_created"))

    outcome = make_worker(store, transport).run_once(NOW)

    assert len(transport.sent) == 2
    assert outcome.error.startswith("stale_created:")
    assert store.counts()["pending"] == 1


def test_the_hub_time_in_an_answer_sets_the_clock_offset(store):
    transport = FakeTransport(acknowledge(hub_time=NOW + timedelta(seconds=42.5)))

    make_worker(store, transport).run_once(NOW)

    assert store.get("clock_offset_seconds") == pytest.approx(42.5, abs=0.1)


# --- configuration -------------------------------------------------------------------------


def test_a_new_config_etag_fetches_the_configuration_and_applies_it(store, config):
    new = {**config, "store": {**config["store"], "name": "Berlin Mitte (renovated)"}}
    transport = FakeTransport(acknowledge(config_etag='"config-2"'), config_reply(new, '"config-2"'))
    seen = []
    worker = make_worker(store, transport, on_config_change=seen.append)

    outcome = worker.run_once(NOW)

    fetch = transport.sent[-1]
    assert (fetch.method, fetch.path, fetch.headers["If-None-Match"]) == ("GET", "/api/v1/config", ETAG)
    assert outcome.config_changed
    assert seen == [new]
    assert (store.get("config"), store.get("config_etag")) == (new, '"config-2"')


def test_an_unchanged_config_etag_fetches_nothing(store):
    transport = FakeTransport(acknowledge(config_etag=ETAG))

    make_worker(store, transport).run_once(NOW)

    assert [s.path for s in transport.sent] == ["/api/v1/sync"]


@pytest.mark.parametrize(
    "corrupted",
    [
        [],
        {"store": {"code": "B001"}, "touchpoint": {"code": "exit"}},
        {
            "store": {"code": "B001"},
            "touchpoint": {"code": "exit"},
            "survey": {"key": "exit", "version": 1, "questions": [{"id": "x", "kind": "?"}]},
        },
        "config",
    ],
    ids=["a-list", "no-survey", "broken-survey", "a-string"],
)
def test_a_corrupted_configuration_is_refused_and_the_old_one_kept(store, config, corrupted):
    transport = FakeTransport(acknowledge(config_etag='"config-2"'), config_reply(corrupted, '"config-2"'))
    seen = []

    outcome = make_worker(store, transport, on_config_change=seen.append).run_once(NOW)

    assert outcome.ok and not outcome.config_changed
    assert outcome.error.startswith("config_refused:")
    assert store.get("last_error") == outcome.error
    assert (store.get("config"), store.get("config_etag"), seen) == (config, ETAG, [])


def test_a_configuration_answer_that_is_not_json_is_refused(store, config):
    transport = FakeTransport(acknowledge(config_etag='"config-2"'), Reply(200, text="<html>", headers={"ETag": "x"}))

    outcome = make_worker(store, transport).run_once(NOW)

    assert outcome.error.startswith("config not fetched: bad_answer")
    assert store.get("config") == config


def test_a_refused_configuration_is_asked_for_again_at_the_next_round(store, config):
    new = {**config, "phone_url": "https://hub.example/m/new"}
    transport = FakeTransport(
        acknowledge(config_etag='"config-2"'),
        config_reply([]),
        acknowledge(config_etag='"config-2"'),
        config_reply(new),
    )
    worker = make_worker(store, transport)
    worker.run_once(NOW)

    outcome = worker.run_once(NOW + timedelta(minutes=1))

    assert outcome.config_changed and outcome.error is None
    assert store.get("config") == new
    assert store.get("last_error") is None


def test_a_config_listener_that_fails_does_not_fail_the_round(store, config):
    transport = FakeTransport(acknowledge(config_etag='"config-2"'), config_reply(config))

    def broken(_config):
        raise RuntimeError("the UI is having a bad day")

    outcome = make_worker(store, transport, on_config_change=broken).run_once(NOW)

    assert outcome.ok and outcome.config_changed


# --- retention -----------------------------------------------------------------------------


def test_delivered_responses_are_forgotten_after_30_days_quarantined_ones_kept(store, capture):
    capture(3, start=NOW - timedelta(days=40))
    make_worker(store, FakeTransport(acknowledge(by_seq={2: "invalid"}))).run_once(NOW - timedelta(days=40))
    capture(1, start=NOW - timedelta(days=2))
    make_worker(store, FakeTransport(acknowledge())).run_once(NOW - timedelta(days=2))

    make_worker(store, FakeTransport(acknowledge())).run_once(NOW)

    assert {(r["response"]["seq"], r["state"]) for r in store.export()} == {(2, "quarantined"), (4, "delivered")}
