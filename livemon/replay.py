"""Reading a recording back: the same de-duplication and validation as live ingest.

``fold`` is the one loop that folds a recording into a hub's state: crash
recovery (``Hub._resume``), replay, seeks, keyframes and the report all use it,
so events and commands (acks included) come back the same way everywhere.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

import msgspec

from livemon import config as config_mod
from livemon import wire
from livemon.engine import Engine
from livemon.events import Event
from livemon.ingest import accept, accept_share
from livemon.record import log

# The config sections that change what a recording folds into: engine bounds, the
# session plan (targets, host schedule), the detectors and rules, the coupon guardrails.
# Tokens and adapter options (secrets) are not kept.
FOLD_SECTIONS = ("hub", "session", "detect", "guardrails")


def fold_settings(config: config_mod.Config) -> dict[str, Any]:
    """The sections of ``config`` a session folds with, as plain data for the catalog."""
    return {name: msgspec.to_builtins(config[name]) for name in FOLD_SECTIONS}


def settings_config(settings: dict[str, Any] | None) -> config_mod.Config:
    """The config a recorded session was folded with: its kept sections over the defaults.

    ``None`` (a catalog older than the ``settings`` table) gives the defaults.
    """
    if not settings:
        return config_mod.load()
    kept = {name: settings[name] for name in FOLD_SECTIONS if name in settings}
    return config_mod.coerce(kept)


def records(
    path: Path,
    room: str,
    held: dict[str, int] | None = None,
    start: int = 0,
    walls: list[float] | None = None,
) -> Iterator[tuple[int, str, Any, Any]]:
    """The records of ``room``'s log as the hub took them, in order, from byte ``start``.

    Yields ``(offset, "events", adapter name, [Event, ...])`` with exactly the
    events the hub folded live (resent seqs dropped, bad events rejected,
    other rooms' events left out), and ``(offset, "command", command,
    result)``. ``held`` (adapter name -> highest seq taken) is updated as it
    goes; to start mid-log, pass the ``held`` of that point.
    ``walls``, if given, gets the hub's clock of each events record as it is
    yielded (``Engine.apply`` takes it, to reject a ts too far ahead alike).
    """
    held = {} if held is None else held
    for offset, rec in log.read(path, start):
        if rec[0] == log.EVENTS:
            name, frame = rec[1], rec[4]
            parsed = wire.decode_batch(frame)
            if parsed is None:
                continue
            seq, items, clean = parsed
            positions = log.frame_positions(rec)
            if positions is None:
                taken = accept(held.get(name, 0), seq, items, clean)
            else:  # this room's share of a frame of several rooms
                taken = accept_share(held.get(name, 0), seq, rec[3], items, positions)  # type: ignore[arg-type]
            held[name] = taken.last_seq
            events: list[Event] = taken.events
            if any(e.room != room for e in events):
                events = [e for e in events if e.room == room]
            if walls is not None:
                walls.append(log.frame_wall(rec))
            yield offset, "events", name, events
        elif rec[0] == log.COMMAND:
            yield offset, "command", rec[1], rec[2]


class Foldable(Protocol):
    """What a recording folds into: the hub (live recovery and replay alike)."""

    engine: Engine

    def fold_events(self, events: list[Event], wall: float = ...) -> None: ...

    def fold_command(self, command: dict[str, Any], result: dict[str, Any]) -> None: ...


def fold(
    into: Foldable, path: Path, room: str, held: dict[str, int] | None = None, start: int = 0
) -> Iterator[tuple[int, str, Any, Any, float | None]]:
    """Fold ``room``'s recording into ``into`` record by record, from byte ``start``.

    After each record it yields ``(offset, kind, a, b, clock)``: the record as
    ``records`` gives it and the room's event-time clock once it is folded
    (None before the room's first event). A caller paces, stops or takes
    keyframes between records; the folding itself is the same for all.
    """
    rooms = into.engine.rooms
    walls: list[float] = []
    for offset, kind, a, b in records(path, room, held, start, walls):
        if kind == "events":
            into.fold_events(b, walls[-1])
        else:
            into.fold_command(a, b)
        state = rooms.get(room)
        clock = state.clock if state is not None and state.newest_sec is not None else None
        yield offset, kind, a, b, clock


async def play(hub: Any, path: Path, room: str, speed: float | None = None,
               start_s: float = 0.0) -> int:  # fmt: skip
    """Fold ``room``'s recording into ``hub`` as a ``Player`` does; return the records folded.

    ``speed`` paces event time against the wall clock (2.0 = twice as fast);
    None plays as fast as the hub takes it. The first ``start_s`` seconds of
    the session are folded unpaced (a seek).
    """
    from livemon.player import Player

    player = Player(hub, path, room, speed)
    if start_s:
        player.seek_offset_s(start_s)
    await player.run()
    return player.folded
