"""The terminal's identity on disk: the private key (owner-only), the enrollment record, and
the configuration received at enrollment put into the local database."""

from __future__ import annotations

import json
import os

import pytest

from kiosk import identity
from kiosk.local_store import LocalStore
from shared.crypto import new_private_key, public_key_text


@pytest.fixture
def me():
    return identity.Identity(hub="https://hub.example", device_id="dev_abc123", key=new_private_key())


def test_an_identity_saved_is_the_identity_loaded(tmp_path, me):
    identity.save(tmp_path / "kiosk", me)

    loaded = identity.load(tmp_path / "kiosk")

    assert (loaded.hub, loaded.device_id) == (me.hub, me.device_id)
    assert public_key_text(loaded.key) == public_key_text(me.key)


def test_the_private_key_is_readable_by_the_owner_only_whatever_the_umask(tmp_path, me):
    previous = os.umask(0)
    try:
        identity.save(tmp_path / "kiosk", me)
    finally:
        os.umask(previous)

    assert (tmp_path / "kiosk" / "device.pem").stat().st_mode & 0o777 == 0o600


def test_the_enrollment_record_names_the_hub_and_the_device(tmp_path, me):
    identity.save(tmp_path / "kiosk", me)

    assert json.loads((tmp_path / "kiosk" / "terminal.json").read_text()) == {
        "hub": "https://hub.example",
        "device_id": "dev_abc123",
    }


def test_the_configuration_received_at_enrollment_goes_into_the_local_settings(tmp_path, me, config):
    identity.save(tmp_path / "kiosk", me, config=config, etag='"abc"')

    store = LocalStore(identity.database_path(tmp_path / "kiosk"))
    assert (store.get("config"), store.get("config_etag")) == (config, '"abc"')
    store.close()


def test_a_data_dir_without_a_record_is_not_enrolled(tmp_path):
    assert identity.load(tmp_path) is None
    assert not identity.is_enrolled(tmp_path)


@pytest.mark.parametrize("damage", ["record", "key"])
def test_a_damaged_identity_says_what_is_wrong(tmp_path, me, damage):
    identity.save(tmp_path, me)
    (tmp_path / ("terminal.json" if damage == "record" else "device.pem")).write_text("{half a fi")

    with pytest.raises(identity.IdentityError, match="re-enroll"):
        identity.load(tmp_path)


def test_no_temporary_files_are_left_behind(tmp_path, me, config):
    identity.save(tmp_path, me, config=config)

    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith("terminal.db")) == [
        "device.pem",
        "terminal.json",
    ]
