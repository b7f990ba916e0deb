"""``BehindTargetDetector``: the projection at the scheduled end stays short of a target."""

from __future__ import annotations

from livemon.detect.base import Detector


class BehindTargetDetector(Detector):
    """Alarms when a target's projection stays under ``share`` of it for ``sustain_s``.

    It takes, once per closed second of event time, the ratio of the
    projection to the target (the worst target's, so one alert covers the
    plan). Hysteresis both ways: the ratio must stay under ``share`` for
    ``sustain_s`` seconds to open, and at or over ``clear_share`` (higher
    than ``share``) for ``sustain_s`` to clear, so a pace wobbling around the
    line neither opens nor resolves the alert. Nothing is judged in the first
    ``warmup_s`` of the session (the pace is still a guess). ``crit`` under
    ``crit_share``.

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

    def __init__(self, share: float = 0.9, clear_share: float = 0.97, crit_share: float = 0.7,
                 sustain_s: float = 300.0, warmup_s: float = 600.0) -> None:  # fmt: skip
        self.share = share
        self.clear_share = clear_share
        self.crit_share = crit_share
        self.sustain_s = sustain_s
        self.warmup_s = warmup_s
        self._start: float | None = None
        self._since: float | None = None  # when the current run toward a change began
        self._ratio = 1.0

    @property
    def evidence(self) -> dict[str, float]:
        return {"ratio": round(self._ratio, 4)}

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
