"""A disk that loses power: a SQLite VFS (APSW) over the real files that records every write,
truncate, sync and delete in order, and rebuilds the files as a power cut at any point of
that record would leave them.

A file keeps what was written to it up to its last sync; writes after that are in the
drive's cache and may be gone. ``survivors(at, rng)`` writes the files as they would be found
after a cut just after ``at`` recorded operations: what was synced, plus (with an ``rng``) a
random prefix of each file's unsynced writes, the part of the cache that happened to reach
the disk. The shared-memory index (``-shm``) is not recorded: SQLite rebuilds it from the WAL
when it opens a database after a crash.

APSW from PyPI carries its own SQLite, so the store under test runs on an APSW connection
(peewee's ``playhouse.apsw_ext.APSWDatabase``) with its own settings; the recovery is then
checked with Python's sqlite3, as the terminal opens its database after a restart.
"""

from __future__ import annotations

import os
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import apsw


@dataclass
class _File:
    synced: bytearray = field(default_factory=bytearray)
    unsynced: list[tuple[str, int, bytes]] = field(default_factory=list)  # (op, offset or size, data)


def _apply(content: bytearray, op: tuple[str, int, bytes]) -> None:
    kind, where, data = op
    if kind == "truncate":
        del content[where:]
        return
    if len(content) < where:
        content.extend(b"\0" * (where - len(content)))
    content[where : where + len(data)] = data


class PowerCutDisk:
    """Register once per process under ``name``; ``log`` holds (file, op, offset, data)."""

    def __init__(self, name: str = "powercut") -> None:
        self.name = name
        self.log: list[tuple[str, str, int, bytes]] = []
        self.vfs = _RecordingVFS(name, self)

    def unregister(self) -> None:
        self.vfs.unregister()

    def survivors(self, at: int, target: Path, rng: random.Random | None = None) -> None:
        """Write into ``target`` the files a power cut after ``at`` recorded operations leaves."""
        files: dict[str, _File] = {}
        for path, op, where, data in self.log[:at]:
            if op == "open":
                files.setdefault(path, _File())
            elif op == "delete":
                files.pop(path, None)
            elif op == "sync":
                state = files.setdefault(path, _File())
                for pending in state.unsynced:
                    _apply(state.synced, pending)
                state.unsynced.clear()
            else:
                files.setdefault(path, _File()).unsynced.append((op, where, data))
        target.mkdir(parents=True, exist_ok=True)
        for path, state in files.items():
            content = bytearray(state.synced)
            reached = rng.randint(0, len(state.unsynced)) if rng is not None else 0
            for pending in state.unsynced[:reached]:
                _apply(content, pending)
            (target / os.path.basename(path)).write_bytes(bytes(content))


class _RecordingVFS(apsw.VFS):
    def __init__(self, name: str, disk: PowerCutDisk) -> None:
        self.disk = disk
        super().__init__(name, "")

    def xOpen(self, name: Any, flags: list[int]) -> apsw.VFSFile:
        path = name.filename() if isinstance(name, apsw.URIFilename) else name
        return _RecordingFile(self.disk, path, name, flags)

    def xDelete(self, filename: str, syncdir: bool) -> None:
        self.disk.log.append((filename, "delete", 0, b""))
        super().xDelete(filename, syncdir)


class _RecordingFile(apsw.VFSFile):
    def __init__(self, disk: PowerCutDisk, path: str | None, name: Any, flags: list[int]) -> None:
        super().__init__("", name, flags)
        self.disk = disk
        self.path = path
        if path is not None:
            disk.log.append((path, "open", 0, b""))

    def _record(self, op: str, where: int = 0, data: bytes = b"") -> None:
        if self.path is not None:
            self.disk.log.append((self.path, op, where, data))

    def xWrite(self, data: bytes, offset: int) -> None:
        self._record("write", offset, bytes(data))
        super().xWrite(data, offset)

    def xTruncate(self, size: int) -> None:
        self._record("truncate", size)
        super().xTruncate(size)

    def xSync(self, flags: int) -> None:
        super().xSync(flags)
        self._record("sync")
