"""``BehindTargetDetector``: the projection at the scheduled end stays short of a target."""

from __future__ import annotations

from typing import Any

from livemon.detect.base import Second, SecondDetector, Suggestion
from livemon.engine.targets import amount, pace_words, target_name


def behind_detail(target: dict[str, Any]) -> str:
    """The alert's detail in plain words.

    >>> behind_detail({"key": "gmv_cents", "target": 10_000_000, "done": 4_000_000,
    ...                "projected": 8_760_000})
    'GMV projected ¥87,600 of ¥100,000 (88%): behind by ¥12,400 at this pace'
    """
    key, goal, projected = str(target["key"]), int(target["target"]), int(target["projected"])
    return (f"{target_name(key)} projected {amount(key, projected)} of {amount(key, goal)} "
            f"({100 * projected / goal:.0f}%): {pace_words(target)}")  # fmt: skip


class BehindTargetDetector(SecondDetector):
    """Alarms when a target's projection stays under ``share`` of it for ``sustain_s``.

    A per-second detector: each closed second brings the room's target
    projections (``Second.targets``, from its ``TargetTracker``); it judges
    the ratio of the projection to the target of the worst target not yet
    reached, so one alert covers the plan. Hysteresis both ways: the ratio
    must stay under ``share`` for ``sustain_s`` seconds to open, and at or
    over ``clear_share`` (higher than ``share``) for ``sustain_s`` to clear, so
    a pace wobbling around the line neither opens nor resolves the alert.
    Nothing is judged in the first ``warmup_s`` of the session (the pace is
    still a guess). ``crit`` under ``crit_share``. It suggests the coupon
    template ``coupon_discount_cents`` x ``coupon_count``.

    Parameters
    ----------
    share
        Projection / target under which the alarm may open.
    clear_share
        Projection / target at or over which the alarm may clear.
    crit_share
        Projection / target under which it is crit.
    sustain_s
        Seconds the condition must hold before the alarm opens or clears.
    warmup_s
        Seconds from the session start before anything is judged.
    coupon_discount_cents, coupon_count
        The coupon it suggests.

    Examples
    --------
    >>> d = BehindTargetDetector(share=0.9, clear_share=0.97, sustain_s=3, warmup_s=0)
    >>> [d.update(t, r) or d.alarm for t, r in enumerate([0.8, 0.8, 0.95, 0.8, 0.8, 0.8])]
    [False, False, False, False, False, True]
    >>> d.onset, d.severity
    (3.0, 'warn')
    >>> [d.update(t, r) or d.alarm for t, r in [(6, 0.95), (7, 0.98), (8, 0.98), (9, 0.98)]]
    [True, True, True, False]
    """

    kind = "behind_target"

    def __init__(self, share: float = 0.9, clear_share: float = 0.97, crit_share: float = 0.7,
                 sustain_s: float = 300.0, warmup_s: float = 600.0,
                 coupon_discount_cents: int = 1000, coupon_count: int = 200) -> None:  # fmt: skip
        self.share = share
        self.clear_share = clear_share
        self.crit_share = crit_share
        self.sustain_s = sustain_s
        self.warmup_s = warmup_s
        self.coupon_discount_cents = coupon_discount_cents
        self.coupon_count = coupon_count
        self._since: float | None = None  # when the current run toward a change began
        self._ratio = 1.0
        self._worst: dict[str, Any] | None = None  # the worst target of the last second

    @property
    def evidence(self) -> dict[str, float]:
        return {"ratio": round(self._ratio, 4)}

    @property
    def worst(self) -> dict[str, Any] | None:
        """The target furthest behind at the last second (None when all are reached)."""
        return self._worst

    def update(self, t: float, ratio: float) -> None:
        """Take the seconds since the session start `t` and the projection / target ratio."""
        self._ratio = ratio
        if t < self.warmup_s:
            self._since = None
            return
        toward_change = ratio >= self.clear_share if self._alarm else ratio < self.share
        if not toward_change:
            self._since = None
        elif self._since is None:
            self._since = float(t)
        if self._since is not None and t - self._since + 1 >= self.sustain_s:
            self._alarm = not self._alarm
            if self._alarm:
                self._onset = self._since
            self._since = None
        if self._alarm:
            self._severity = "crit" if ratio < self.crit_share else "warn"

    def observe(self, second: Second) -> None:
        """Take a closed second's target projections: the worst unreached target's ratio."""
        first_ts = second.state.first_ts
        if first_ts is None:
            return
        worst, low = None, 0.0
        for target in second.targets:
            if target["done"] >= target["target"]:
                continue  # reached: cannot be behind
            ratio = target["projected"] / target["target"]
            if worst is None or ratio < low:
                worst, low = target, ratio
        self._worst = worst
        self.update(second.sec + 1 - first_ts, low if worst is not None else 1.0)

    def detail(self, second: Second) -> str:
        """The worst target, its projection and the pace, in plain words."""
        if self._worst is None:
            return f"targets projected at {self._ratio:.0%}"
        return behind_detail(self._worst)

    def suggest(self, second: Second) -> Suggestion:
        """The configured coupon template: a push to catch up."""
        return {"action": "coupon", "args": {"discount_cents": self.coupon_discount_cents,
                                             "count": self.coupon_count}}  # fmt: skip
