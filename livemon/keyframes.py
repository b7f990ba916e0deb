"""Keyframes: the whole folded state every few event-minutes, so a seek is at once.

``build`` folds a recording once (the same ``replay.fold`` as everything else)
into a scratch hub and keeps, every ``EVERY_S`` seconds of event time, the
hub's state as bytes (``Hub.capture``: engine, detectors, command effects)
with the log offset and de-duplication marks to go on from. A seek restores
the newest keyframe before the target and folds the few records after it.
Along the way it notes the markers a progress bar shows: alert changes and
commands (bookmarks among them).

Keyframes live in memory for one replay: building them costs one unpaced
fold of the recording, and nothing on disk can go stale or be tampered with.
"""

from __future__ import annotations

import bisect
import secrets
import tempfile
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from livemon import replay
from livemon.config import Config

# Measured on a 4-hour 20,000-viewer sim recording (docs/review.md): a seek is
# mostly the fold after the keyframe (~30 ms per event-minute of such a room on
# a busy machine), restoring one takes 20-40 ms, and a compressed keyframe is
# ~0.3 MB. Every 2 minutes keeps seeks far under 300 ms in ~35 MiB for 4 hours.
EVERY_S = 120.0


@dataclass(frozen=True, slots=True)
class Keyframe:
    """The state after every record before ``offset`` (the next one to fold)."""

    clock: float  # the room's event-time clock in that state (-inf: nothing folded)
    offset: int
    held: dict[str, int]
    blob: bytes  # Hub.capture(), zlib-compressed (level 1: ~4.5x smaller, ~7 ms each way)

    @classmethod
    def take(cls, clock: float, offset: int, held: dict[str, int], state: bytes) -> Keyframe:
        """A keyframe of ``state`` (from ``Hub.capture``)."""
        return cls(clock, offset, dict(held), zlib.compress(state, 1))

    @property
    def state(self) -> bytes:
        """The state to give ``Hub.restore``."""
        return zlib.decompress(self.blob)


@dataclass(frozen=True, slots=True)
class Marker:
    """Something a progress bar marks: an alert change or a command, at event time ``ts``."""

    ts: float
    kind: str  # "alert" or "command"
    what: str  # alert kind or command action
    label: str
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass
class Index:
    """The keyframes and markers of one room's recording."""

    room: str
    every_s: float
    first_ts: float | None = None
    last_ts: float | None = None
    keyframes: list[Keyframe] = field(default_factory=list)
    markers: list[Marker] = field(default_factory=list)

    def before(self, ts: float) -> Keyframe:
        """The newest keyframe whose clock is before ``ts`` (the first is the empty state)."""
        clocks = [k.clock for k in self.keyframes]
        return self.keyframes[max(0, bisect.bisect_left(clocks, ts) - 1)]

    @property
    def bookmarks(self) -> list[Marker]:
        """The ``mark`` commands that succeeded, in order."""
        return [
            m
            for m in self.markers
            if m.kind == "command" and m.what == "mark" and m.detail.get("ok")
        ]

    @property
    def size(self) -> int:
        """Bytes held by the keyframes."""
        return sum(len(k.blob) for k in self.keyframes)


def scratch_hub(config: Config | Mapping[str, Any]) -> tuple[Any, tempfile.TemporaryDirectory]:
    """A hub that folds but never listens, in a throwaway record dir (close the dir after)."""
    from livemon.hub import Hub

    scratch = tempfile.TemporaryDirectory(prefix="livemon-fold-")
    tokens = {role: secrets.token_urlsafe(12) for role in ("ingest", "watch", "control")}
    hub = Hub(config, Path(scratch.name), tokens=tokens)
    hub.watch_adapters = False
    return hub, scratch


def command_label(command: dict[str, Any]) -> str:
    """A short label of a command: ``coupon 5.00 x100``, ``mark 'opening'``, ``host Lin``."""
    action, args = command.get("action"), command.get("args") or {}
    if action == "mark":
        return f"mark {args.get('label', '')!r}"
    if action == "host":
        return f"host {args.get('name', '')}"
    if action == "coupon":
        return f"coupon {args.get('discount_cents', 0) / 100:.2f} x{args.get('count', '?')}"
    if action in ("feature", "restock"):
        extra = f" +{args['add']}" if "add" in args else ""
        return f"{action} {args.get('sku', '')}{extra}"
    if action == "ack":
        return f"ack {args.get('alert_id', '')}"
    return str(action)


def build(
    path: Path,
    room: str,
    config: Config | Mapping[str, Any],
    every_s: float = EVERY_S,
    progress: Callable[[float], None] | None = None,
) -> Index:
    """Fold ``room``'s recording once and keep a keyframe every ``every_s`` of event time.

    ``progress`` is called now and then with the share of the file folded (0..1).
    """
    hub, scratch = scratch_hub(config)
    try:
        return _build(hub, path, room, every_s, progress)
    finally:
        hub.catalog.close()
        scratch.cleanup()


def _build(
    hub: Any, path: Path, room: str, every_s: float, progress: Callable[[float], None] | None
) -> Index:
    index = Index(room, every_s)
    index.keyframes.append(Keyframe.take(float("-inf"), 0, {}, hub.capture()))
    size = max(1, path.stat().st_size)
    held: dict[str, int] = {}
    due: float | None = None
    pending: tuple[float, dict[str, int], bytes] | None = None
    for n, (offset, kind, command, result, clock) in enumerate(replay.fold(hub, path, room, held)):
        if pending is not None:
            index.keyframes.append(Keyframe.take(pending[0], offset, pending[1], pending[2]))
            pending = None
        if kind == "command":
            ts = clock if clock is not None else index.first_ts or 0.0
            index.markers.append(
                Marker(
                    ts,
                    "command",
                    str(command.get("action")),
                    command_label(command),
                    {**command, **result},
                )
            )
        for ts, alert in hub.take_alert_changes():
            label = f"{alert['kind']} {alert['state']} {alert['severity']}"
            index.markers.append(Marker(ts, "alert", alert["kind"], label, alert))
        if clock is None:
            continue
        if index.first_ts is None:
            index.first_ts = clock
            due = clock + every_s
        index.last_ts = clock
        if clock >= due:  # type: ignore[operator]
            pending = (clock, dict(held), hub.capture())
            while due <= clock:  # type: ignore[operator]
                due += every_s  # type: ignore[operator]
        if progress is not None and n % 2048 == 0:
            progress(offset / size)
    if progress is not None:
        progress(1.0)
    return index
