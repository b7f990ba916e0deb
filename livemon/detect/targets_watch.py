"""Per-room wiring of ``BehindTargetDetector`` onto a room's target projections.

Listens to the room's closed seconds after the ``TargetTracker`` (so the
paces include that second), passes the detector a ``Second`` carrying the
tracker's projections, and keeps the ``behind_target`` alert in the room's
``AlertBook`` in the detector's own words.
"""

from __future__ import annotations

from livemon.config import BehindTargetConfig
from livemon.detect.base import Second, settings_for
from livemon.detect.behind_target import BehindTargetDetector, behind_detail
from livemon.detect.lifecycle import AlertBook
from livemon.engine.room import RoomState
from livemon.engine.targets import TargetTracker

__all__ = ["TargetWatch", "behind_detail"]


class TargetWatch:
    """The ``behind_target`` alert of one room."""

    def __init__(self, state: RoomState, tracker: TargetTracker, book: AlertBook,
                 config: BehindTargetConfig | None = None, wire: bool = True) -> None:  # fmt: skip
        cfg = config or BehindTargetConfig()
        self.tracker = tracker
        self.book = book
        self.detector = BehindTargetDetector(**settings_for(BehindTargetDetector, cfg))
        self.state = state
        self._second = Second(0, 0, 0.0, 0, state)
        if wire:
            self.wire()

    def wire(self) -> None:
        """Listen to the room's closed seconds, after its tracker (and after a restore)."""
        self.state.second_listeners.append(self.second)

    def second(self, state: RoomState, sec: int) -> None:
        """Closed second `sec`: judge the worst target's projection."""
        if state.first_ts is None:
            return
        s = self._second
        w = state.windows
        s.sec, s.orders, s.viewer_s = sec, w["orders"].at(sec), w["viewer_s"].at(sec)
        s.comments, s.targets = w["comments"].at(sec), self.tracker.snapshot()
        detector = self.detector
        was = detector.alarm
        detector.observe(s)
        ts = s.ts
        if detector.alarm and detector.worst is not None:
            active = self.book.active.get(("behind_target", None))
            if active is None or active["severity"] != detector.severity:
                # Opens or changes severity: in the detector's words.
                self.book.update("behind_target", None, detector.severity or "warn", ts,
                                 detector.onset, detector.detail(s), detector.evidence,
                                 detector.suggest(s))  # fmt: skip
            else:
                active["evidence"] = detector.evidence  # a refresh: the numbers only
        elif was and not detector.alarm:
            self.book.clear("behind_target", None, ts)
