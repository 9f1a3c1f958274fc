"""Who this terminal is, and where it keeps its data.

A terminal's data directory (``var/kiosk`` unless told otherwise) holds:

* ``device.pem`` -- its Ed25519 private key, readable by the owner only; it never leaves here;
* ``terminal.json`` -- the enrollment record: the hub's address and the device id the hub gave
  (plus the configuration received at enrollment, for reference);
* ``terminal.db`` -- the local database (kiosk.local_store): responses, outbox, settings,
  among them the live configuration (``config``, ``config_etag``);
* ``demo.db`` -- taps made while the terminal is not enrolled (demo mode). They are kept apart
  so a terminal tried out before enrollment never sends demo taps to a real store.

Files are written to a temporary name, synced and renamed, so a pulled plug leaves either the
old file or the new one.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from shared.crypto import private_key_from_pem, private_key_to_pem

APP_VERSION = "0.1.0"
DEFAULT_DATA_DIR = Path("var/kiosk")


class IdentityError(Exception):
    """The enrollment record or key is missing or damaged."""


@dataclass(frozen=True)
class Identity:
    hub: str
    device_id: str
    key: Ed25519PrivateKey


def key_path(data_dir: Path) -> Path:
    return Path(data_dir) / "device.pem"


def record_path(data_dir: Path) -> Path:
    return Path(data_dir) / "terminal.json"


def database_path(data_dir: Path) -> Path:
    return Path(data_dir) / "terminal.db"


def demo_database_path(data_dir: Path) -> Path:
    return Path(data_dir) / "demo.db"


def is_enrolled(data_dir: Path) -> bool:
    return record_path(data_dir).exists()


def load(data_dir: Path) -> Identity | None:
    """The terminal's identity, or None when it is not enrolled; IdentityError when damaged."""
    record_file, key_file = record_path(data_dir), key_path(data_dir)
    if not record_file.exists():
        return None
    try:
        record = json.loads(record_file.read_text())
        hub, device_id = record["hub"], record["device_id"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise IdentityError(f"{record_file} cannot be read ({exc}); re-enroll this terminal") from None
    try:
        key = private_key_from_pem(key_file.read_bytes())
    except (OSError, ValueError) as exc:
        raise IdentityError(f"{key_file} cannot be read ({exc}); re-enroll this terminal") from None
    return Identity(hub=hub, device_id=device_id, key=key)


def enrollment_config(data_dir: Path) -> dict[str, Any] | None:
    """The configuration received at enrollment (older terminals kept it only here)."""
    try:
        config = json.loads(record_path(data_dir).read_text()).get("config")
    except (OSError, ValueError, AttributeError):
        return None
    return config if isinstance(config, dict) else None


def save(
    data_dir: Path,
    identity: Identity,
    *,
    config: dict[str, Any] | None = None,
    etag: str | None = None,
) -> None:
    """Write the key (0600) and then the enrollment record (its presence means "enrolled"),
    and put the received configuration into the local database's settings."""
    from kiosk.local_store import LocalStore

    data_dir = Path(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    _write_atomically(key_path(data_dir), private_key_to_pem(identity.key), mode=0o600)
    record: dict[str, Any] = {"hub": identity.hub, "device_id": identity.device_id}
    if config is not None:
        record.update(config=config, etag=etag)
        store = LocalStore(database_path(data_dir))
        try:
            store.put(config=config, config_etag=etag)
        finally:
            store.close()
    _write_atomically(record_path(data_dir), json.dumps(record, indent=1).encode(), mode=0o644)


def _write_atomically(path: Path, data: bytes, *, mode: int) -> None:
    temporary = path.with_name(path.name + ".tmp")
    temporary.unlink(missing_ok=True)  # a leftover could have looser permissions than ``mode``
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    os.chmod(temporary, mode)  # O_CREAT's mode is masked by the umask
    os.replace(temporary, path)
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
