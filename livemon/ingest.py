"""What the hub keeps of an adapter batch: seq de-duplication and event rejection.

Pure and shared by the live hub and by replay, so that a recording folds
into exactly the numbers the hub had live.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from livemon.events import Event, EventError


@dataclass(slots=True)
class Accepted:
    """The events of a batch to fold, and the rejections, by seq."""

    events: list[Event]
    seqs: list[int] | range  # the seq of each kept event
    rejects: list[tuple[int, str]] = field(default_factory=list)
    last_seq: int = 0  # highest seq of the batch (held afterwards)


def drop_rooms(taken: Accepted, refused: dict[str, str]) -> Accepted:
    """``taken`` without the events of the ``refused`` rooms, each rejected with its reason.

    >>> from livemon.events import Like
    >>> a = drop_rooms(Accepted([Like("ok", 1.0, 1), Like("..", 1.0, 2)], range(5, 7), [], 6),
    ...                {"..": "like.room must be ..."})
    >>> [e.n for e in a.events], a.seqs, a.rejects, a.last_seq
    ([1], [5], [(6, 'like.room must be ...')], 6)
    """
    events: list[Event] = []
    seqs: list[int] = []
    rejects = list(taken.rejects)
    for e, seq in zip(taken.events, taken.seqs, strict=True):
        reason = refused.get(e.room)
        if reason is None:
            events.append(e)
            seqs.append(seq)
        else:
            rejects.append((seq, reason))
    rejects.sort()
    return Accepted(events, seqs, rejects, taken.last_seq)


def accept(held: int, seq: int, items: list[Event | EventError], clean: bool = False) -> Accepted:
    """Keep the events of a batch starting at ``seq`` that are newer than ``held``.

    Events with seq <= ``held`` were taken before (a resent batch) and are
    dropped silently; a bad event is rejected alone. ``clean`` says the batch
    is known to hold no ``EventError`` (the decoder's fast path).

    >>> from livemon.events import Like
    >>> a = accept(held=10, seq=10, items=[Like("r", 1.0, 1), Like("r", 2.0, 2),
    ...                                    EventError("like.n must be a positive int")])
    >>> [e.n for e in a.events], list(a.seqs), a.rejects, a.last_seq
    ([2], [11], [(12, 'like.n must be a positive int')], 12)
    """
    last = seq + len(items) - 1
    skip = held - seq + 1
    if skip <= 0 and (clean or not any(isinstance(x, EventError) for x in items)):
        return Accepted(items, range(seq, last + 1), [], last)  # type: ignore[arg-type]
    events: list[Event] = []
    seqs: list[int] = []
    rejects: list[tuple[int, str]] = []
    for i in range(max(skip, 0), len(items)):
        item = items[i]
        if isinstance(item, EventError):
            rejects.append((seq + i, str(item)))
        else:
            events.append(item)
            seqs.append(seq + i)
    return Accepted(events, seqs, rejects, max(last, held))


def accept_share(held: int, seq: int, count: int, items: list[Event],
                 positions: list[int]) -> Accepted:  # fmt: skip
    """``accept`` for one room's share of a frame of ``count`` events starting at ``seq``.

    ``items`` are the room's events, each at place ``positions[i]`` of the
    frame; those with a seq <= ``held`` were taken before and are dropped.

    >>> from livemon.events import Like
    >>> a = accept_share(11, 10, 5, [Like("r", 1.0, 1), Like("r", 2.0, 2)], [0, 3])
    >>> [e.n for e in a.events], list(a.seqs), a.last_seq
    ([2], [13], 14)
    """
    last = seq + count - 1
    if held < seq:
        return Accepted(items, [seq + p for p in positions], [], last)
    kept = [(e, seq + p) for e, p in zip(items, positions, strict=True) if seq + p > held]
    return Accepted([e for e, _ in kept], [k for _, k in kept], [], max(last, held))
