"""Per-room wiring of ``BehindTargetDetector`` onto a room's target projections.

Listens to the room's closed seconds after the ``TargetTracker`` (so the
paces include that second), feeds the detector the worst target's
projection / target ratio and keeps the ``behind_target`` alert in the
room's ``AlertBook``, with the configured coupon template as its suggestion.
"""

from __future__ import annotations

from typing import Any

from livemon.config import BehindTargetConfig
from livemon.detect.behind_target import BehindTargetDetector
from livemon.detect.lifecycle import AlertBook
from livemon.engine.room import RoomState
from livemon.engine.targets import TargetTracker, amount, pace_words, target_name

PARAMS = ("share", "clear_share", "crit_share", "sustain_s", "warmup_s")


def behind_detail(target: dict[str, Any]) -> str:
    """The alert's detail in plain words.

    >>> behind_detail({"key": "gmv_cents", "target": 10_000_000, "done": 4_000_000,
    ...                "projected": 8_760_000})
    'GMV projected ¥87,600 of ¥100,000 (88%): behind by ¥12,400 at this pace'
    """
    key, goal, projected = str(target["key"]), int(target["target"]), int(target["projected"])
    return (f"{target_name(key)} projected {amount(key, projected)} of {amount(key, goal)} "
            f"({100 * projected / goal:.0f}%): {pace_words(target)}")  # fmt: skip


class TargetWatch:
    """The ``behind_target`` alert of one room."""

    def __init__(self, state: RoomState, tracker: TargetTracker, book: AlertBook,
                 config: BehindTargetConfig | None = None, wire: bool = True) -> None:  # fmt: skip
        cfg = config or BehindTargetConfig()
        self.tracker = tracker
        self.book = book
        self.detector = BehindTargetDetector(**{k: getattr(cfg, k) for k in PARAMS})
        self.suggest = {"action": "coupon", "args": {
            "discount_cents": cfg.coupon_discount_cents, "count": cfg.coupon_count}}  # fmt: skip
        self.state = state
        if wire:
            self.wire()

    def wire(self) -> None:
        """Listen to the room's closed seconds, after its tracker (and after a restore)."""
        self.state.second_listeners.append(self.second)

    def second(self, state: RoomState, sec: int) -> None:
        """Closed second `sec`: judge the worst target's projection."""
        if state.first_ts is None:
            return
        worst = None
        for target in self.tracker.snapshot():
            if target["done"] >= target["target"]:
                continue  # reached: cannot be behind
            ratio = target["projected"] / target["target"]
            if worst is None or ratio < worst[0]:
                worst = (ratio, target)
        detector = self.detector
        was = detector.alarm
        detector.update(sec + 1 - state.first_ts, worst[0] if worst else 1.0)
        ts = float(sec + 1)
        if detector.alarm and worst is not None:
            self.book.update("behind_target", None, detector.severity or "warn", ts,
                             detector.onset, behind_detail(worst[1]), detector.evidence,
                             self.suggest)  # fmt: skip
        elif was and not detector.alarm:
            self.book.clear("behind_target", None, ts)
