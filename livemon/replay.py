"""Reading a recording back: the same de-duplication and validation as live ingest."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from livemon import wire
from livemon.events import Event
from livemon.ingest import accept
from livemon.record import log


def records(
    path: Path, room: str, held: dict[str, int] | None = None
) -> Iterator[tuple[int, str, Any, Any]]:
    """The records of ``room``'s log as the hub took them, in order.

    Yields ``(offset, "events", adapter name, [Event, ...])`` with exactly the
    events the hub folded live (resent seqs dropped, bad events rejected,
    other rooms' events left out), and ``(offset, "command", command,
    result)``. ``held`` (adapter name -> highest seq taken) is updated as it goes.
    """
    held = {} if held is None else held
    for offset, rec in log.read(path):
        if rec[0] == log.EVENTS:
            _, name, _, _, frame = rec
            parsed = wire.decode_batch(frame)
            if parsed is None:
                continue
            seq, items, clean = parsed
            taken = accept(held.get(name, 0), seq, items, clean)
            held[name] = taken.last_seq
            events: list[Event] = taken.events
            if any(e.room != room for e in events):
                events = [e for e in events if e.room == room]
            yield offset, "events", name, events
        elif rec[0] == log.COMMAND:
            yield offset, "command", rec[1], rec[2]


async def play(hub: Any, path: Path, room: str, speed: float | None = None,
               start_s: float = 0.0) -> int:  # fmt: skip
    """Feed ``room``'s recording into ``hub`` frame by frame, as its adapters sent it.

    The hub folds the frames exactly as it did live (same de-duplication,
    same rejections, same alerts), so its consoles show the session again
    with the same drawing code. ``speed`` paces event time against the wall
    clock (2.0 = twice as fast); None plays as fast as the hub takes it.
    The first ``start_s`` seconds of the session are folded unpaced (a seek).
    A recorded ``host`` change is applied again. Returns the frames fed.
    """
    import asyncio
    import time

    hub.watch_adapters = False  # a recording has no adapter to go down
    fed = 0
    first_ts: float | None = None
    pace_from: tuple[float, float] | None = None  # (wall, event time) when pacing began
    for _, rec in log.read(path):
        if rec[0] == log.COMMAND:
            command, result = rec[1], rec[2]
            if result.get("ok") and command.get("action") == "host":
                hub.command_effect(command)
            continue
        _, name, _, _, frame = rec
        hub.ingest_frame(name, room, frame)
        fed += 1
        state = hub.engine.rooms.get(room)
        if state is None or state.newest_sec is None:
            continue
        clock = state.clock
        first_ts = clock if first_ts is None else first_ts
        if speed is None or clock - first_ts < start_s:
            if fed % 64 == 0:
                await asyncio.sleep(0)  # let consoles and acks run while fast-forwarding
            continue
        if pace_from is None:
            pace_from = (time.monotonic(), clock)
        delay = pace_from[0] + (clock - pace_from[1]) / speed - time.monotonic()
        await asyncio.sleep(max(0.0, delay))
    return fed
