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
