"""A hub killed between two rooms' logs: the resume tells the adapter what every log holds.

A tick writes the room logs one after the other. A hub killed after one
room's log got a frame's events but before another's did leaves the first
log ahead; the adapter was acknowledged neither. The hub is "killed" here
in-process (its ticks cancelled, nothing closed or written) while the log of
room r2 cannot be written (``os.write`` fails on it), then a new hub is
started on the same record dir, and the adapter does what docs/protocol.md
says: numbers its next event ``acked_seq + 1``.
"""

from __future__ import annotations

import asyncio
import errno
import os

import pytest

from livemon import config
from livemon.hub import Hub
from livemon.record.recorder import acked_path, committed_seqs, room_dir_name
from tests.hub.conftest import T0, TOKENS, adapter, like, snapshot


class FailingRoomLog:
    """``os.write`` that fails with ENOSPC on the log of one room while ``on``."""

    def __init__(self, monkeypatch, room: str) -> None:
        self.on = True
        self.failures = 0
        folder = f"/{room_dir_name(room)}/"
        real = os.write

        def write(fd: int, data) -> int:
            if self.on and folder in os.readlink(f"/proc/self/fd/{fd}"):
                self.failures += 1
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            return real(fd, data)

        monkeypatch.setattr(os, "write", write)


async def kill(hub: Hub) -> None:
    """Stop ``hub`` as kill -9 would: no more ticks, no flush, no session end."""
    async with asyncio.timeout(5), hub._flush_lock:  # a tick's writes in flight end first
        for task in hub._tasks:
            task.cancel()
        await asyncio.gather(*hub._tasks, return_exceptions=True)
    assert hub._server is not None
    hub._server.close()
    await asyncio.wait_for(hub._server.wait_closed(), 5)


async def likes(hub: Hub) -> dict[str, int]:
    return {room: (await snapshot(hub, room))["metrics"]["likes"] for room in ("r1", "r2")}


@pytest.mark.parametrize("first_rooms", [("r1", "r2"), ("r1",)], ids=["both", "r2-new"])
async def test_a_room_log_left_behind_at_a_kill_is_sent_again_and_counted_once(
    tmp_path, monkeypatch, first_rooms
):
    """After a kill that left r1's log ahead of r2's, the welcome's acked_seq is the last seq
    acknowledged (not r1's), and the resend from acked_seq + 1 fills r2 and counts in r1
    nothing twice, live and on the next resume alike; also when the adapter's first event
    of r2 is in the frame the kill cut."""
    hub = Hub(config.load(), tmp_path, tokens=TOKENS)
    await hub.start("127.0.0.1", 0)
    feed = await adapter(hub, "feed", ("r1", "r2"))
    acked = await feed.events(1, [like(T0, 1, room) for room in first_rooms])
    await feed.wait_ack(acked)
    failing = FailingRoomLog(monkeypatch, "r2")
    second = [like(T0 + 1, 10, "r1"), like(T0 + 1, 10, "r2")]
    last = await feed.events(acked + 1, second)
    async with asyncio.timeout(5):
        while failing.failures < 2:  # r1's log written, r2's refused, tick after tick
            await asyncio.sleep(0.02)
    assert feed.acked == acked
    await kill(hub)
    failing.on = False
    want = {"r1": 11, "r2": 10 + len(first_rooms) - 1}

    again = Hub(config.load(), tmp_path, tokens=TOKENS)
    await again.start("127.0.0.1", 0)
    try:
        back = await adapter(again, "feed", ("r1", "r2"))
        acked_seq = back.seen[0]["acked_seq"]
        assert acked_seq == acked, "the welcome must not say the cut frame is durable"
        await back.events(acked_seq + 1, second)
        await back.wait_ack(last)
        assert await likes(again) == want
        await back.ws.close()
    finally:
        await again.stop(end_session=False)
    resumed = Hub(config.load(), tmp_path, tokens=TOKENS)
    try:
        assert resumed.durable == {"feed": last}
        assert {r: s.likes for r, s in resumed.engine.rooms.items()} == want
    finally:
        resumed.recorder.close()
        resumed.catalog.close()
    assert not acked_path(tmp_path, resumed.session).exists(), "an ended session keeps none"


async def test_the_acked_file_follows_only_adapters_of_several_rooms(raw, hub, tmp_path):
    """An adapter whose events all go to one room's log adds nothing to the acked file tick
    after tick (that log says what it holds); one of two rooms adds its seqs."""
    path = acked_path(tmp_path, hub.session)
    single = await raw.adapter("single", ("r1",))
    for k in range(5):  # five frames, each acked: five ticks
        await single.events(1 + k, [like(T0 + k, 1, "r1")])
        await single.wait_ack(1 + k)
    size = path.stat().st_size
    assert committed_seqs(tmp_path, hub.session) == {}
    double = await raw.adapter("double", ("r1", "r2"))
    await double.events(1, [like(T0, 1, "r1"), like(T0, 1, "r2")])
    await double.wait_ack(2)
    assert path.stat().st_size > size
    assert committed_seqs(tmp_path, hub.session) == {"double": 2}


async def test_an_unreadable_acked_file_is_set_aside_and_ingest_goes_on(tmp_path):
    """An acked file that is no livemon log (bad magic) is kept aside as .bad on resume; the
    hub resumes from the room logs and takes and acks frames as before (it closed every
    feed with 1011)."""
    hub = Hub(config.load(), tmp_path, tokens=TOKENS)
    await hub.start("127.0.0.1", 0)
    feed = await adapter(hub, "feed", ("r1",))
    await feed.events(1, [like(T0, 1, "r1")])
    await feed.wait_ack(1)
    await kill(hub)
    path = acked_path(tmp_path, hub.session)
    path.write_bytes(b"not a log at all")

    again = Hub(config.load(), tmp_path, tokens=TOKENS)
    await again.start("127.0.0.1", 0)
    try:
        back = await adapter(again, "feed", ("r1",))
        assert back.seen[0]["acked_seq"] == 1
        await back.events(2, [like(T0 + 1, 1, "r1")])
        await back.wait_ack(2)
        assert path.with_name(path.name + ".bad").read_bytes() == b"not a log at all"
        await back.ws.close()
    finally:
        await again.stop()
