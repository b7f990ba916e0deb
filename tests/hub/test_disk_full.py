"""A full disk: the hub keeps serving, acks nothing it could not write, and resumes by itself.

The OS error is injected where the log meets the OS (``os.write`` on a log
file writes part of its bytes, then fails with ENOSPC, as a file system
does when it fills up mid-write); a second test fills a real, small tmpfs
when this machine lets the test mount one.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import subprocess
from pathlib import Path

import pytest

from livemon import config
from livemon.hub import Hub
from tests.hub.conftest import FullDisk

TOKENS = {"ingest": "ti", "watch": "tw", "control": "tc"}


def recorded_likes(record_dir: Path) -> int:
    """Likes in the whole records of room r1's logs under ``record_dir`` (what a restart folds)."""
    from livemon import replay

    return sum(
        sum(e.n for e in events)
        for path in record_dir.rglob("*.lmrec")
        for _, kind, _, events in replay.records(path, "r1")
        if kind == "events"
    )


async def until(predicate, timeout: float = 5.0) -> None:
    """Wait until ``predicate()`` holds, polling; fail after ``timeout`` seconds."""
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.02)


async def test_disk_full_keeps_bytes_acks_nothing_alerts_and_resumes(
    raw, hub, tmp_path, monkeypatch, caplog
):
    """A failed write keeps its bytes and acks nothing past the durable record; a crit `disk`
    alert reaches every console, the log says it once, and acks resume when space returns."""
    disk = FullDisk(monkeypatch)
    feed = await raw.adapter("feed", ("r1",))
    await feed.events(1, [raw.like(raw.t0 + k / 10, 1) for k in range(100)])
    await feed.wait_ack(100)
    watcher = await raw.console("/watch")
    controller = await raw.console("/control")

    caplog.set_level(logging.WARNING, logger="livemon.hub")
    disk.full = True
    await feed.events(101, [raw.like(raw.t0 + 10 + k / 10, 2) for k in range(100)])
    for console in (watcher, controller):
        alert = await console.recv_op("alert", kind="disk")
        assert alert["severity"] == "crit" and alert["state"] == "open"
        assert "No space left on device" in alert["detail"]
    await until(lambda: disk.failures >= 3)  # several ticks tried and failed
    await feed.drain(0.3)
    assert feed.acked == 100, "nothing past the last durable record is acked"
    assert recorded_likes(tmp_path) == 100, "the log holds whole records only"
    # Still serving: a new console connects and sees every event taken, and the alert.
    snap = await raw.snapshot("r1")
    assert snap["metrics"]["likes"] == 100 + 200
    assert [a["kind"] for a in snap["alerts"]] == ["disk"]
    said = [r for r in caplog.records if "cannot write the recording" in r.getMessage()]
    assert len(said) == 1 and not any(r.exc_info for r in caplog.records)

    disk.full = False
    await feed.wait_ack(200)
    resolved = await watcher.recv_op("alert", kind="disk", state="resolved")
    assert resolved["id"] == alert["id"]
    assert recorded_likes(tmp_path) == 300, "every held byte was written, once, in order"
    assert (await raw.snapshot("r1"))["alerts"] == []


async def test_restart_after_disk_full_folds_exact_totals(raw, hub, tmp_path, monkeypatch):
    """What was written after the disk came back folds, on restart, into exactly the totals
    acked: no record is lost, torn or doubled by the failed writes."""
    disk = FullDisk(monkeypatch)
    feed = await raw.adapter("feed", ("r1",))
    await feed.events(1, [raw.like(raw.t0, 1)])
    await feed.wait_ack(1)
    disk.full = True
    for k in range(5):  # several frames queue up behind the failing writes
        await feed.events(2 + k * 10, [raw.like(raw.t0 + 1 + k, 10) for _ in range(10)])
    await until(lambda: disk.failures >= 2)
    assert feed.acked == 1
    disk.full = False
    await feed.wait_ack(51)
    # A hub started on the same record dir folds what is on disk (a restart).
    again = Hub(config.load(), tmp_path, tokens=TOKENS)
    try:
        assert again.durable == {"feed": 51}
        assert again.engine.rooms["r1"].likes == 1 + 500
    finally:
        again.recorder.close(end=False)
        again.catalog.close()


@pytest.fixture
def tmpfs(tmp_path):
    """A 1 MiB tmpfs mounted for the test (skipped where mounting is not allowed)."""
    where = tmp_path / "small-disk"
    where.mkdir()
    if shutil.which("mount") is None:
        pytest.skip("no mount command")
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(where)],
        capture_output=True, timeout=10,
    )  # fmt: skip
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    yield where
    subprocess.run(["umount", "-l", str(where)], capture_output=True, timeout=10)


async def test_real_full_tmpfs_keeps_serving_and_resumes(tmpfs):
    """On a tmpfs filled to the last byte the hub acks nothing new, stays up, and writes
    everything held once a filler file is removed."""
    from tests.hub.conftest import adapter, console, snapshot

    hub = Hub(config.load(), tmpfs, tokens=TOKENS)
    await hub.start("127.0.0.1", 0)
    try:
        feed = await adapter(hub, "feed", ("r1",))
        await feed.events(1, [{"type": "like", "room": "r1", "ts": 1.767e9, "n": 1}])
        await feed.wait_ack(1)
        watcher = await console(hub)
        filler = tmpfs / "filler"
        with open(filler, "wb") as f:  # take every free block
            try:
                while True:
                    f.write(b"\0" * 65536)
                    f.flush()
            except OSError:
                pass
        text = "x" * 900
        batch = [{"type": "comment", "room": "r1", "ts": 1.767e9 + 1, "user": "u", "text": text}]
        for k in range(40):  # ~40 KiB: more than any block left
            await feed.events(2 + k, batch)
        alert = await watcher.recv_op("alert", kind="disk")
        assert alert["severity"] == "crit"
        await feed.drain(0.3)
        assert feed.acked == 1
        assert (await snapshot(hub))["metrics"]["comments"] == 40
        filler.unlink()
        await feed.wait_ack(41)
        await watcher.recv_op("alert", kind="disk", state="resolved")
        await feed.ws.close()
        await watcher.ws.close()
    finally:
        await hub.stop(end_session=False)  # left open, as a crash leaves it: the next hub resumes
    again = Hub(config.load(), tmpfs, tokens=TOKENS)
    try:
        assert again.engine.rooms["r1"].comments == 40
        assert again.engine.rooms["r1"].likes == 1
    finally:
        again.recorder.close(end=False)
        again.catalog.close()
