"""``Player``: plays a recording into a hub, paced on event time, with pause, speed and seek.

Every record goes through ``replay.fold``, as in crash recovery, so a played
session gets the same numbers and alerts as it had live, at any speed. A seek
restores the newest keyframe before the target (``keyframes.Index``) and folds
on unpaced to the first record that reaches it; its alert changes are not
sent, as they belong to the time skipped.
"""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from livemon import replay
from livemon.keyframes import Index, Keyframe

SPEEDS = (1.0, 2.0, 10.0, 60.0, None)  # None: as fast as the hub folds ("max")
YIELD_EVERY = 256  # records folded between yields to the event loop at max speed

Step = Callable[[int, str, Any, Any, float | None], None]


def speed_label(speed: float | None) -> str:
    """``max`` or ``10x``."""
    return "max" if speed is None else f"{speed:g}x"


class Player:
    """Folds one room's recording into ``hub``; the console and ``--headless`` drive it."""

    def __init__(
        self,
        hub: Any,
        path: Path,
        room: str,
        speed: float | None = None,
        index: Index | None = None,
        on_step: Step | None = None,
        on_seek: Callable[[float], None] | None = None,
    ) -> None:
        self.hub, self.path, self.room = hub, path, room
        hub.watch_adapters = False  # a recording has no adapter to go down
        self.speed = speed
        self.index = index
        self.on_step = on_step  # after each record: (offset, kind, a, b, clock)
        self.on_seek = on_seek  # after a seek, with the clock reached
        self.paused = False
        self.ended = False
        self.folded = 0  # event records folded, seeks included
        self.clock: float | None = None
        self.first_ts = index.first_ts if index else None
        self.last_ts = index.last_ts if index else None
        self._origin = Keyframe.take(float("-inf"), 0, {}, hub.capture())
        self._held: dict[str, int] = {}
        self._steps: Iterator[tuple[int, str, Any, Any, float | None]] = replay.fold(
            hub, path, room, self._held
        )
        self._seek_to: float | None = None
        self._seek_rel: float | None = None
        self._wake = asyncio.Event()
        self._repace = False

    # -- controls (the console's keys) -------------------------------------------

    def toggle_pause(self) -> None:
        """Pause or go on."""
        self.paused = not self.paused
        self._poke()

    def set_speed(self, speed: float | None) -> None:
        """Play at ``speed`` x real time (None: as fast as possible)."""
        self.speed = speed
        self._poke()

    def step_speed(self, step: int) -> None:
        """The next faster (+1) or slower (-1) of ``SPEEDS``."""
        i = SPEEDS.index(self.speed) if self.speed in SPEEDS else 2
        self.set_speed(SPEEDS[max(0, min(len(SPEEDS) - 1, i + step))])

    def seek(self, ts: float) -> None:
        """Go to event time ``ts`` (clamped to the recording) as soon as the player runs."""
        self._seek_to = ts
        self._poke()

    def seek_by(self, seconds: float) -> None:
        """Seek ``seconds`` from where the replay is (or from a seek not yet done: keys
        pressed quickly add up)."""
        base = self._seek_to if self._seek_to is not None else self.clock
        if base is not None:
            self.seek(base + seconds)

    def seek_offset_s(self, seconds: float) -> None:
        """Go to ``seconds`` after the recording's first event."""
        if self.first_ts is not None:
            self.seek(self.first_ts + seconds)
        else:
            self._seek_rel = seconds
            self._poke()

    def _poke(self) -> None:
        self._repace = True
        self._wake.set()

    # -- playing ----------------------------------------------------------------------

    def goto(self, target: float) -> None:
        """Restore the state at event time ``target`` now: the newest keyframe before it
        and a fold to the first record reaching it (clamped to the recording)."""
        if self.first_ts is not None:
            target = max(self.first_ts, target)
            if self.last_ts is not None:
                target = min(self.last_ts, target)
        nearest = self.index.before(target) if self.index is not None else self._origin
        key: Keyframe | None = nearest
        if self.clock is not None and nearest.clock <= self.clock < target and not self.ended:
            key = None  # folding on from here is shorter (a seek forward within a keyframe)
        hub = self.hub
        hub.muted = True
        collecting = gc.isenabled()
        gc.disable()  # unpickling a keyframe makes many objects at once: no collection midway
        try:
            if key is not None:
                hub.take_alert_changes()
                hub.restore(key.state)
                self._held.clear()
                self._held.update(key.held)
                self._steps = replay.fold(hub, self.path, self.room, self._held, key.offset)
                self.clock = None if key.clock == float("-inf") else key.clock
            while self.clock is None or self.clock < target:
                if not self._fold_one(notify=False):
                    break
            hub.take_alert_changes()  # changes of the skipped time are not news
        finally:
            hub.muted = False
            if collecting:
                gc.enable()
        if self.on_seek is not None and self.clock is not None:
            self.on_seek(self.clock)

    def _fold_one(self, notify: bool = True) -> bool:
        step = next(self._steps, None)
        if step is None:
            self.ended = True
            return False
        offset, kind, a, b, clock = step
        self.ended = False
        if kind == "events":
            self.folded += 1
        if clock is not None:
            self.clock = clock
            if self.first_ts is None:
                self.first_ts = clock
                if self._seek_rel is not None:
                    self._seek_to, self._seek_rel = clock + self._seek_rel, None
        if notify and self.on_step is not None:
            self.on_step(offset, kind, a, b, clock)
        return True

    async def run(self, stay: bool = False) -> None:
        """Play to the end (and, with ``stay``, wait there for a seek back, until cancelled)."""
        pace: tuple[float, float] | None = None  # (wall, event time) when pacing began
        n = 0
        while True:
            if self._seek_to is not None:
                target, self._seek_to = self._seek_to, None
                self.goto(target)
                pace = None
            if self.paused or (self.ended and stay):
                self._wake.clear()
                await self._wake.wait()
                pace = None
                continue
            if not self._fold_one():
                if not stay:
                    return
                continue
            n += 1
            if self._seek_to is not None or self.clock is None:
                continue
            if self.speed is None:
                if n % YIELD_EVERY == 0:
                    await asyncio.sleep(0)  # let consoles and their keys run
                continue
            if pace is None or self._repace:
                pace, self._repace = (time.monotonic(), self.clock), False
            delay = pace[0] + (self.clock - pace[1]) / self.speed - time.monotonic()
            if delay > 0:
                self._wake.clear()
                try:
                    async with asyncio.timeout(delay):
                        await self._wake.wait()
                except TimeoutError:
                    pass
            elif n % YIELD_EVERY == 0:
                await asyncio.sleep(0)
