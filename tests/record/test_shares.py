"""A frame of several rooms: each room's log holds only its own events, and folds back exactly."""

from __future__ import annotations

from pathlib import Path

from livemon import config, replay, wire
from livemon.hub import Hub
from livemon.record import log
from livemon.record.recorder import room_dir_name

TOKENS = {"ingest": "ingest-token-0001", "watch": "watch-token-00001",
          "control": "control-token-01"}  # fmt: skip
T0 = 1_767_225_600


def _events(first: int, count: int) -> list[dict]:
    """Likes alternating over rooms a, b and c, one per 0.1 s (likes have no id to
    de-duplicate them: only the seqs keep a resend from counting twice)."""
    return [{"type": "like", "room": "abc"[k % 3], "ts": T0 + k / 10, "n": 1 + k % 2}
            for k in range(first, first + count)]  # fmt: skip


def _numbers(hub: Hub) -> dict[str, int]:
    return {r: s.likes for r, s in sorted(hub.engine.rooms.items())}


def _assert_each_room_replays_to(record_dir: Path, live: dict[str, int]) -> None:
    """Replaying each room's log under ``record_dir`` alone gives the live numbers."""
    for room in "abc":
        (path,) = (record_dir / room_dir_name(room)).glob("*.lmrec")
        again = Hub(config.load(), record_dir / f"replay-{room}", tokens=TOKENS)
        again.session = "replay"
        for _ in replay.fold(again, path, room):
            pass
        assert _numbers(again)[room] == live[room]


async def test_multi_room_frames_are_split_per_room_and_resume_exactly(tmp_path: Path) -> None:
    """Each log gets its room's share only; a resent overlap is dropped on resume and replay."""
    hub = Hub(config.load(), tmp_path, tokens=TOKENS)
    assert hub.ingest_frame("mux", None, wire.encode_batch(1, _events(0, 30))) == []
    # A resend after a reconnect overlaps seqs 21-30, then carries on to 45.
    assert hub.ingest_frame("mux", None, wire.encode_batch(21, _events(20, 25))) == []
    live = _numbers(hub)
    assert live["a"] == 22 and sum(live.values()) == sum(1 + k % 2 for k in range(45))
    await hub.flush()
    await hub.stop(end_session=False)

    for room in "abc":
        (path,) = (tmp_path / room_dir_name(room)).glob("*.lmrec")
        for _, rec in log.read(path):
            parsed = wire.decode_batch(rec[4])
            assert parsed is not None and {e.room for e in parsed[1]} == {room}
    _assert_each_room_replays_to(tmp_path, live)

    resumed = Hub(config.load(), tmp_path, tokens=TOKENS)
    await resumed.start("127.0.0.1", 0)
    try:
        assert _numbers(resumed) == live and resumed.held["mux"] == 45
    finally:
        await resumed.stop()


async def test_shares_of_consecutive_frames_are_one_record_per_room_per_tick(
    tmp_path: Path,
) -> None:
    """Consecutive frames of one adapter leave one record per room until the next flush; a
    second adapter's frame and a command start new ones; replay and resume count exactly."""
    hub = Hub(config.load(), tmp_path, tokens=TOKENS)
    for k in range(4):  # seqs 1-40 from "mux", 10 a frame, no flush between
        assert (
            hub.ingest_frame("mux", None, wire.encode_batch(1 + 10 * k, _events(10 * k, 10))) == []
        )
    assert hub.ingest_frame("other", None, wire.encode_batch(1, _events(40, 6))) == []
    mark = {"id": "c1", "action": "mark", "args": {"label": "x"}}
    hub.recorder.append_command("a", mark, {"ok": True}, None)
    assert hub.ingest_frame("mux", None, wire.encode_batch(41, _events(46, 9))) == []
    live = _numbers(hub)
    assert sum(live.values()) == sum(1 + k % 2 for k in range(55))
    await hub.flush()
    await hub.stop(end_session=False)

    (path,) = (tmp_path / room_dir_name("a")).glob("*.lmrec")
    records = [rec for _, rec in log.read(path)]
    kinds = [(rec[0], rec[1] if rec[0] == log.EVENTS else None) for rec in records]
    assert kinds == [(log.EVENTS, "mux"), (log.EVENTS, "other"), (log.COMMAND, None),
                     (log.EVENTS, "mux")]  # fmt: skip
    assert (records[0][2], records[0][3]) == (1, 40), "four frames, one record"
    assert log.frame_positions(records[0]) == [k for k in range(40) if k % 3 == 0]
    _assert_each_room_replays_to(tmp_path, live)

    resumed = Hub(config.load(), tmp_path, tokens=TOKENS)
    await resumed.start("127.0.0.1", 0)
    try:
        assert _numbers(resumed) == live
        assert (resumed.held["mux"], resumed.held["other"]) == (49, 6)
    finally:
        await resumed.stop()


async def test_a_share_checked_against_the_hub_clock_is_a_record_of_its_own(
    tmp_path: Path,
) -> None:
    """A frame with an event rejected for a ts too far ahead keeps the hub's clock in each
    room's record of it, so it is not merged with its neighbours and replay rejects alike."""
    hub = Hub(config.load(), tmp_path, tokens=TOKENS)
    wall = T0 + 100.0
    far = {"type": "like", "room": "a", "ts": T0 + 10 * 365 * 86400, "n": 50}
    frames = [_events(0, 10), [*_events(10, 10), far], _events(20, 10)]
    seq = 1
    for events in frames:
        rejects = hub.ingest_frame("mux", None, wire.encode_batch(seq, events), wall=wall)
        if events[-1] is far:
            assert [k for k, _ in rejects] == [21] and "ahead of both" in rejects[0][1]
        else:
            assert rejects == []
        seq += len(events)
    live = _numbers(hub)
    await hub.flush()
    await hub.stop(end_session=False)

    (path,) = (tmp_path / room_dir_name("a")).glob("*.lmrec")
    records = [rec for _, rec in log.read(path) if rec[0] == log.EVENTS]
    assert [(rec[2], rec[3], log.frame_wall(rec)) for rec in records] == [
        (1, 10, float("inf")), (11, 11, wall), (22, 10, float("inf"))
    ]  # fmt: skip
    _assert_each_room_replays_to(tmp_path, live)
    assert live["a"] == sum(1 + k % 2 for k in range(30) if k % 3 == 0)


async def test_a_run_of_frames_notes_each_rooms_clock_before_the_next_frame_is_folded(
    tmp_path: Path,
) -> None:
    """Frames of several rooms waiting as one run become records whose seek rows carry the
    seconds they reached, not those of a later single-room frame that ended the run."""
    hub = Hub(config.load(), tmp_path, tokens=TOKENS)
    assert hub.ingest_frame("mux", None, wire.encode_batch(1, _events(0, 15))) == []  # T0..T0+1
    assert hub.ingest_frame("mux", None, wire.encode_batch(16, _events(15, 15))) == []  # ..T0+2
    later = [{"type": "like", "room": "a", "ts": T0 + 100.5, "n": 7}]
    assert hub.ingest_frame("mux", None, wire.encode_batch(31, later)) == []
    live = _numbers(hub)
    await hub.flush()
    session = hub.session
    await hub.stop(end_session=False)

    db = hub.catalog.__class__(tmp_path).db
    seeks = {
        room: [(s["second"], s["offset"]) for s in db.query(
            "select second, offset from seek where session = ? and room = ? order by second",
            [session, room])]
        for room in "abc"
    }  # fmt: skip
    assert [sec for sec, _ in seeks["a"]] == [T0 + 2, T0 + 100]
    assert [sec for sec, _ in seeks["b"]] == [T0 + 2] == [sec for sec, _ in seeks["c"]]
    (path,) = (tmp_path / room_dir_name("a")).glob("*.lmrec")
    records = [(offset, rec[2], rec[3]) for offset, rec in log.read(path)]
    assert [(seq, count) for _, seq, count in records] == [(1, 30), (31, 1)]
    assert [offset for offset, _, _ in records] == [offset for _, offset in seeks["a"]]
    _assert_each_room_replays_to(tmp_path, live)
