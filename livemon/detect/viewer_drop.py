"""``ViewerDropDetector``: online viewers falling below their recent baseline."""

from __future__ import annotations

import math

from livemon.detect.base import Detector


class ViewerDropDetector(Detector):
    """Alarms when ``online`` falls a given share below an EWMA of itself.

    The baseline is an exponentially weighted mean of online viewers with time
    constant ``baseline_s``, frozen while alarmed so that the fall does not
    become the reference. ``warn_drop`` below it opens, ``crit_drop``
    escalates; the alarm clears when online is back within ``clear_drop``
    (hysteresis), or after ``rebase_s`` seconds down, when the lower level is
    taken as the new normal. The onset is the last second online stood within
    3 % of the baseline.

    Parameters
    ----------
    warn_drop
        Share below the baseline that raises a ``warn``.
    crit_drop
        Share below the baseline that makes it ``crit``.
    clear_drop
        Share below the baseline under which the alarm clears.
    baseline_s
        Time constant of the baseline, in seconds.
    rebase_s
        Seconds after which a lasting fall becomes the new baseline.
    min_viewers
        No alarm while the baseline is below this many viewers.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(7)
    >>> detector = ViewerDropDetector()
    >>> for sec in range(900):
    ...     fall = 0.3 * min(1.0, max(0, sec - 600) / 30)  # 30 % over 30 s from 600
    ...     detector.update(sec, round(1000 * (1 - fall) * (1 + 0.01 * rng.standard_normal())))
    ...     if detector.alarm:
    ...         break
    >>> sec, detector.severity, detector.onset
    (615, 'warn', 603.0)
    >>> {k: round(v, 3) for k, v in detector.evidence.items()}
    {'online': 827.0, 'baseline': 995.243, 'drop': 0.169}
    """

    def __init__(
        self,
        warn_drop: float = 0.15,
        crit_drop: float = 0.25,
        clear_drop: float = 0.07,
        baseline_s: float = 300.0,
        rebase_s: float = 600.0,
        min_viewers: int = 30,
    ) -> None:
        self.warn_drop = warn_drop
        self.crit_drop = crit_drop
        self.clear_drop = clear_drop
        self.baseline_s = baseline_s
        self.rebase_s = rebase_s
        self.min_viewers = min_viewers
        self._alpha = 1 - math.exp(-1 / baseline_s)
        self._base: float | None = None
        self._online = 0.0
        self._steady_sec: float | None = None
        self._alarm_sec = 0

    @property
    def baseline(self) -> float | None:
        """The baseline number of viewers online, None before the first update."""
        return self._base

    @property
    def evidence(self) -> dict[str, float]:
        base = self._base or 0.0
        return {
            "online": self._online,
            "baseline": base,
            "drop": 1 - self._online / base if base > 0 else 0.0,
        }

    def update(self, sec: int, online: float) -> None:
        """Take the online level held during closed second ``sec``."""
        self._online = float(online)
        base = self._base
        if base is None:
            self._base = float(online)
            self._steady_sec = float(sec)
            return
        fall = 1 - online / base if base > 0 else 0.0
        if self._alarm:
            if fall <= self.clear_drop or sec - self._alarm_sec >= self.rebase_s:
                self._alarm = False
                self._base = float(online)
                self._steady_sec = float(sec)
            elif fall >= self.crit_drop:
                self._severity = "crit"
            return
        if fall <= 0.03:
            self._steady_sec = float(sec)
        if base >= self.min_viewers and fall >= self.warn_drop:
            self._alarm = True
            self._alarm_sec = sec
            self._onset = self._steady_sec
            self._severity = "crit" if fall >= self.crit_drop else "warn"
            return
        self._base = base + self._alpha * (online - base)
