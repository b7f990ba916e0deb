"""Room ids: validated per event, never file names, logs opened before counting, capped per hub."""

from __future__ import annotations

import errno
import logging
from pathlib import Path

from livemon import config
from livemon.hub import Hub
from livemon.record import Catalog, Recorder
from livemon.record.recorder import room_dir_name

TOKENS = {"ingest": "ti", "watch": "tw", "control": "tc"}
T0 = 1_767_225_600.0


def like(room: str, k: float = 0, n: int = 1) -> dict:
    return {"type": "like", "room": room, "ts": T0 + k, "n": n}


def restarted(record_dir: Path) -> Hub:
    """A hub started on ``record_dir`` (folds back what is there); close with ``closed``."""
    return Hub(config.load(), record_dir, tokens=TOKENS)


def closed(hub: Hub) -> None:
    hub.recorder.close(end=False)
    hub.catalog.close()


async def test_bad_room_ids_are_rejected_per_event_and_never_name_a_file(raw, hub, tmp_path):
    """A 300-character id, `..`, `r/1` and a space are rejected alone with the reason; valid
    rooms beside them (`r_1`, a Chinese id) are counted, acked and recorded inside the dir."""
    feed = await raw.adapter("feed", ("r_1",))
    bad = ["x" * 300, "..", "r/1", "a b", ""]
    good = ["r_1", "直播间-7"]
    last = await feed.events(1, [like(r, 0, 3) for r in bad + good])
    await feed.wait_ack(last)
    assert sorted(feed.rejects) == [1, 2, 3, 4, 5]
    assert feed.rejects[1] == f"event.room {'x' * 40!r} must be at most 128 characters"
    assert feed.rejects[2].endswith("must be letters, digits and . _ : @ - starting with a "
                                    "letter or digit")  # fmt: skip
    for room in good:
        assert (await raw.snapshot(room))["metrics"]["likes"] == 3
    logs = sorted(p.relative_to(tmp_path).parts[0] for p in tmp_path.parent.rglob("*.lmrec")
                  if tmp_path in p.parents or p.parent == tmp_path)  # fmt: skip
    assert logs == sorted(room_dir_name(r) for r in good)
    assert not list(tmp_path.parent.glob("*.lmrec")), "nothing written above the record dir"

    again = restarted(tmp_path)
    try:
        assert sorted(again.engine.rooms) == sorted(good)
        assert again.engine.rooms["r_1"].likes == 3
    finally:
        closed(again)


async def test_rooms_differing_only_in_case_or_punctuation_get_their_own_logs(raw, tmp_path):
    """`Room`, `room`, `r_1` and `r-1` are four rooms with four logs (no two share a file)."""
    feed = await raw.adapter("feed", ())
    rooms = ["Room", "room", "r_1", "r-1"]
    last = await feed.events(1, [like(r, k, k + 1) for k, r in enumerate(rooms)])
    await feed.wait_ack(last)
    assert feed.rejects == {}
    assert len({p.parent for p in tmp_path.rglob("*.lmrec")}) == 4
    again = restarted(tmp_path)
    try:
        assert {r: again.engine.rooms[r].likes for r in rooms} == {
            "Room": 1, "room": 2, "r_1": 3, "r-1": 4}  # fmt: skip
    finally:
        closed(again)


async def test_log_is_opened_before_anything_of_the_frame_is_counted(raw, hub, monkeypatch):
    """While a new room's log cannot be opened, its frame is neither counted nor acked; once
    it can, the frame is taken exactly once."""
    feed = await raw.adapter("feed", ("r1",))
    await feed.events(1, [like("r1", 0, 1)])
    await feed.wait_ack(1)
    real = Recorder.writer
    failing = {"new"}

    def writer(self, room):
        if room in failing:
            raise OSError(errno.ENAMETOOLONG, "File name too long")
        return real(self, room)

    monkeypatch.setattr(Recorder, "writer", writer)
    await feed.events(2, [like("r1", 1, 10), like("new", 1, 100)])
    await feed.drain(0.4)
    assert feed.acked == 1 and "new" not in hub.engine.rooms
    assert (await raw.snapshot("r1"))["metrics"]["likes"] == 1, "nothing of the frame counted"
    failing.clear()
    await feed.wait_ack(3)
    assert (await raw.snapshot("r1"))["metrics"]["likes"] == 11
    assert (await raw.snapshot("new"))["metrics"]["likes"] == 100


async def test_unopenable_catalog_row_is_reported_and_skipped_at_start(tmp_path, caplog):
    """A hub whose open session has a log that cannot be read (a name too long, bad bytes)
    starts anyway, folds the other rooms, says which was skipped, and records that room anew."""
    hub = restarted(tmp_path)
    hub.ingest_frame("feed", None, _frame(1, [like("a", 0, 1), like("b", 0, 2), like("c", 0, 4)]))
    hub.recorder.flush()
    closed(hub)  # a crash: the session stays open
    catalog = Catalog(tmp_path)
    rows = {r["room"]: r for r in catalog.sessions()}
    Path(rows["b"]["path"]).write_bytes(b"not a livemon log at all")
    catalog.update_session(rows["c"]["session"], "c", path=str(tmp_path / ("c" * 300)))
    catalog.close()

    caplog.set_level(logging.ERROR)
    again = restarted(tmp_path)
    try:
        assert again.session == rows["a"]["session"]
        assert again.engine.rooms["a"].likes == 1
        assert "b" not in again.engine.rooms and "c" not in again.engine.rooms
        said = " ".join(r.getMessage() for r in caplog.records)
        assert "room 'b'" in said and "room 'c'" in said and "skipped" in said
        again.ingest_frame("feed", None, _frame(4, [like("b", 1, 8), like("c", 1, 16)]))
        again.recorder.flush()
    finally:
        closed(again)
    third = restarted(tmp_path)
    try:
        assert (third.engine.rooms["b"].likes, third.engine.rooms["c"].likes) == (8, 16)
    finally:
        closed(third)


async def test_rooms_per_hub_are_capped(tmp_path):
    """With `[hub] max_rooms = 2`, events of a third new room are rejected, saying the cap."""
    from tests.hub.conftest import adapter, snapshot

    hub = Hub(config.load(sets=["hub.max_rooms=2"]), tmp_path, tokens=TOKENS)
    await hub.start("127.0.0.1", 0)
    try:
        feed = await adapter(hub, "feed", ())
        last = await feed.events(1, [like("a"), like("b"), like("c", 0, 5), like("a", 1)])
        await feed.wait_ack(last)
        assert list(feed.rejects) == [3]
        assert "past this hub's 2 rooms ([hub] max_rooms)" in feed.rejects[3]
        assert (await snapshot(hub, "a"))["metrics"]["likes"] == 2
        assert sorted(hub.engine.rooms) == ["a", "b"]
        await feed.ws.close()
    finally:
        await hub.stop()


def _frame(seq: int, events: list[dict]) -> bytes:
    from livemon import wire

    return wire.encode_batch(seq, events)
