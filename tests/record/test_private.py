"""Recordings and the catalog hold buyer ids and comments: 0600 files in 0700 folders."""

from __future__ import annotations

import os
import stat
import time
from pathlib import Path

import pytest

from livemon import config, wire
from livemon.hub import Hub

TOKENS = {
    "ingest": "ingest-token-0001",
    "watch": "watch-token-00001",
    "control": "control-token-01",
}
T0 = int(time.time())  # events near the hub's clock (a new room's first ts must be)


@pytest.fixture
def open_umask():
    """A permissive umask (022), so only livemon's own modes can keep files private."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def _modes(root: Path) -> dict[str, int]:
    out = {".": stat.S_IMODE(root.stat().st_mode)}
    for path in root.rglob("*"):
        out[str(path.relative_to(root))] = stat.S_IMODE(path.stat().st_mode)
    return out


async def _record_a_session(record_dir: Path) -> None:
    hub = Hub(config.load(), record_dir, tokens=TOKENS)
    events = [{"type": "comment", "room": "r-1", "ts": T0 + k, "user": f"buyer{k}",
               "text": "hello"} for k in range(5)]  # fmt: skip
    rejects = hub.ingest_frame("a", "r-1", wire.encode_batch(1, events))
    assert rejects == []
    await hub.flush()
    hub._write_catalog()
    await hub.stop()


async def test_a_new_record_dir_is_0700_with_0600_files(tmp_path, open_umask):
    """Every folder a hub records into is 0700 and every file (logs, catalog, WAL) 0600."""
    record_dir = tmp_path / "rec"
    await _record_a_session(record_dir)
    modes = _modes(record_dir)
    logs = [p for p in modes if p.endswith(".lmrec")]
    assert logs and "catalog.db" in modes, modes
    for path, mode in modes.items():
        is_dir = (record_dir / path).is_dir()
        assert mode == (0o700 if is_dir else 0o600), (path, oct(mode))


async def test_recordings_left_open_by_an_older_livemon_are_tightened(tmp_path, open_umask):
    """A record dir, room folder and catalog made world-readable before are private again once
    a hub opens them; an old log it does not reopen sits in a 0700 folder."""
    record_dir = tmp_path / "rec"
    await _record_a_session(record_dir)
    old_logs = {str(p.relative_to(record_dir)) for p in record_dir.rglob("*.lmrec")}
    for path in [record_dir, *record_dir.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    await _record_a_session(record_dir)
    for path, mode in _modes(record_dir).items():
        full = record_dir / path
        if full.is_dir():
            assert mode == 0o700, (path, oct(mode))
        elif path in old_logs:
            assert stat.S_IMODE(full.parent.stat().st_mode) == 0o700, path
        else:
            assert mode == 0o600, (path, oct(mode))
