"""Determinism: a replay gives the live run's alerts and numbers at any speed and after any
seek, a seek restores exactly the state a replay from the start reaches, and crash recovery
folds commands (acks included) the way replay does."""

from __future__ import annotations

import asyncio
import math
import random
import shutil
import sqlite3
from collections import deque
from pathlib import Path
from typing import Any

import msgspec
import pytest

from livemon import config, keyframes, replay
from livemon.hub import Hub
from livemon.player import Player
from tests.review.conftest import ROOM, TOKENS, Live


def change_key(ts: float, alert: dict[str, Any]) -> tuple:
    """What must match between runs: the alert, its state change and when."""
    return (
        alert["id"],
        alert["kind"],
        alert["sku"],
        alert["since"],
        alert["state"],
        alert["severity"],
        ts,
    )


def live_changes(live: Live) -> list[tuple]:
    return [change_key(a["ts"], a) for a in live.alerts]


def play(
    live: Live, speed: float | None, index: keyframes.Index | None = None, script=None
) -> tuple[list[tuple], dict[str, Any]]:
    """Play the live recording into a scratch hub; the alert changes and the final snapshot."""
    hub, scratch = keyframes.scratch_hub(config.load())
    changes: list[tuple] = []

    def step(*_: Any) -> None:
        changes.extend(change_key(ts, a) for ts, a in hub.take_alert_changes())

    player = Player(hub, live.log, ROOM, speed, index, on_step=step)

    async def go() -> None:
        await player.run()
        if script is not None:
            await script(player, changes)

    asyncio.run(asyncio.wait_for(go(), 60))
    step()
    snapshot = hub.snapshot(ROOM)
    hub.catalog.close()
    scratch.cleanup()
    return changes, snapshot


@pytest.mark.parametrize("speed", [None, 3000.0, 900.0])
def test_replay_gives_the_live_alerts_and_metrics_at_every_speed(live: Live, speed) -> None:
    """Unpaced and paced, the replay raises, escalates, acks and clears every alert of the live
    run at the same event times, and ends on the live numbers."""
    changes, snapshot = play(live, speed)
    expected = live_changes(live)
    assert len(expected) >= 4 and any(c[4] == "acked" for c in expected)
    assert changes == expected
    assert snapshot["metrics"] == live.snapshot["metrics"]
    assert snapshot["products"] == live.snapshot["products"]
    assert snapshot["host"] == live.snapshot["host"] == "Mei"
    assert snapshot["alerts"] == live.snapshot["alerts"]


def test_after_any_seek_the_replay_goes_on_as_live(live: Live) -> None:
    """Seeking back or forward (by keyframe or from the start) and playing on gives the live
    run's later alert changes and its final numbers."""
    index = keyframes.build(live.log, ROOM, config.load(), every_s=120)
    first = index.first_ts
    expected = live_changes(live)
    rng = random.Random(3)
    for minute in [2.0, 29.0, *(rng.uniform(0, 30) for _ in range(2))]:

        async def back_and_on(player: Player, changes: list, minute=minute) -> None:
            changes.clear()
            player.goto(first + minute * 60)  # after the end: a seek back
            assert changes == []  # what the seek folded is not news
            await player.run()

        for with_index in (index, None):
            changes, snapshot = play(live, None, with_index, back_and_on)
            assert changes == expected[len(expected) - len(changes) :], minute
            later = [c for c in expected if c[6] > first + minute * 60 + 10]
            assert len(changes) >= len(later)
            assert snapshot["metrics"] == live.snapshot["metrics"]
            assert snapshot["alerts"] == live.snapshot["alerts"]


def plain(obj: Any, seen: dict[int, Any] | None = None) -> Any:
    """Any state as plain, comparable data (sets sorted, floats by repr, code left out)."""
    seen = {} if seen is None else seen
    if obj is None or isinstance(obj, bool | int | str | bytes):
        return obj
    if isinstance(obj, float):
        return repr(obj)
    if callable(obj):
        return "<code>"
    if isinstance(obj, msgspec.Struct):
        return plain(msgspec.to_builtins(obj), seen)
    if id(obj) in seen:
        return "<seen>"
    seen[id(obj)] = obj  # kept alive, so that no temporary reuses its id
    if isinstance(obj, dict):
        return [(plain(k, seen), plain(v, seen)) for k, v in obj.items()]
    if isinstance(obj, list | tuple | deque):
        return [plain(v, seen) for v in obj]
    if isinstance(obj, set | frozenset):
        return sorted(repr(plain(v, seen)) for v in obj)
    state = obj.__getstate__() if hasattr(obj, "__getstate__") else None
    if isinstance(state, dict):
        seen[-id(state)] = state  # kept alive too, under a key no object id takes
    else:
        slots = [s for c in type(obj).__mro__ for s in getattr(c, "__slots__", ())]
        state = {s: getattr(obj, s) for s in slots if hasattr(obj, s)} or vars(obj)
    return (type(obj).__name__, plain(state, seen))


def digest(hub: Hub) -> Any:
    """The whole folded state of a hub: engine rooms, detectors and command effects."""
    results = {k: v for k, v in hub.results.items() if isinstance(v, dict)}
    return plain((hub.engine.rooms, hub.monitor.rooms, hub.hosts, hub.coupons_issued, results))


def test_a_seek_restores_the_state_a_replay_from_the_start_reaches(live: Live) -> None:
    """At any minute, keyframe + short fold gives the same engine and detector state (every
    number, window and detector variable) as folding the recording from its start."""
    index = keyframes.build(live.log, ROOM, config.load(), every_s=300)
    assert len(index.keyframes) >= 6
    rng = random.Random(8)
    minutes = [0.0, 5.0, 5.01, 12.3, 29.9, *(rng.uniform(0, 30) for _ in range(4))]
    sought, _ = keyframes.scratch_hub(config.load())
    player = Player(sought, live.log, ROOM, None, index)
    for minute in minutes:
        target = index.first_ts + minute * 60
        player.goto(target)
        again, _ = keyframes.scratch_hub(config.load())
        for *_, clock in replay.fold(again, live.log, ROOM):
            if clock is not None and clock >= target:
                break
        again.take_alert_changes()
        sought.take_alert_changes()
        assert player.clock == again.engine.rooms[ROOM].clock
        assert sought.snapshot(ROOM) == again.snapshot(ROOM), minute
        assert digest(sought) == digest(again), minute
        assert not math.isinf(player.clock)
    sought.monitor.rooms[ROOM].surge._counts[0] += 1  # one detector variable off by one
    assert digest(sought) != digest(again)  # is seen: the comparison above is not vacuous


def test_crash_recovery_brings_back_acks_and_commands_as_replay_does(
    live: Live, tmp_path: Path
) -> None:
    """A hub resuming the unfinished session ends where a replay ends: acked alerts stay
    acked, the host and the coupon count come back, commands keep their results."""
    crashed = tmp_path / "crashed"
    shutil.copytree(live.record_dir, crashed)
    with sqlite3.connect(crashed / "catalog.db") as db:
        db.execute("update sessions set ended_wall = null")
    resumed = Hub(config.load(), crashed, tokens=TOKENS)
    try:
        assert resumed.session == live.session
        _, replayed = play(live, None)
        again = resumed.snapshot(ROOM)
        assert again["alerts"] == replayed["alerts"] == live.snapshot["alerts"]
        assert again["metrics"] == replayed["metrics"]
        assert again["host"] == replayed["host"] == "Mei"
        assert resumed.coupons_issued == {ROOM: 1}
        for command in live.commands:
            assert resumed.results[command["id"]]["ok"] == bool(command["ok"])
        assert any(a["state"] == "acked" for a in live.alerts)
    finally:
        asyncio.run(resumed.stop(end_session=False))
