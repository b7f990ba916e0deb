"""``ViewerDropDetector``: online viewers falling a quarter or more below where they just were."""

from __future__ import annotations

import math

from livemon.detect.base import Second, SecondDetector
from livemon.engine.window import Rolling


class ViewerDropDetector(SecondDetector):
    """Alarms when ``online`` falls ``warn_drop`` below its reference, by more than noise.

    The reference is the higher of two levels, so it follows a growing
    audience instead of lagging behind it:

    - the *baseline*, an exponentially weighted mean of online viewers with
      time constant ``baseline_s`` (the 5-minute baseline of docs/metrics.md), which
      catches a fall spread over minutes;
    - the *recent level*, the mean of online over the seconds
      ``recent_s`` to ``recent_gap_s`` ago, which catches a sudden fall during
      a fast rise, when the baseline still lags far below the audience.

    A fall must also be larger than the room's own noise: at least
    ``noise_z`` times the square root of the reference, in viewers (a tiny
    room of 40 wobbles by 5 viewers a minute without any incident). Both
    levels are frozen while alarmed, so the fall does not become the
    reference. ``crit_drop`` escalates; the alarm clears once online is back
    within ``clear_drop`` of the reference, or after ``rebase_s`` seconds
    down, when the lower level is taken as the new normal. The onset is the
    last second online stood within 3 % of the reference.

    Parameters
    ----------
    warn_drop
        Share below the reference that opens the alarm (docs/metrics.md: 25 %).
    crit_drop
        Share below the reference that makes it ``crit``.
    clear_drop
        Share below the reference under which the alarm clears.
    baseline_s
        Time constant of the baseline, in seconds.
    recent_s
        Oldest second of the recent level, in seconds ago.
    recent_gap_s
        Newest second of the recent level, in seconds ago (a fall in progress
        is not yet in it).
    noise_z
        Viewers lost must be at least this many square roots of the reference.
    rebase_s
        Seconds after which a lasting fall becomes the new baseline.
    min_viewers
        No alarm while the reference is below this many viewers.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(7)
    >>> detector = ViewerDropDetector()
    >>> for sec in range(900):
    ...     fall = 0.4 * min(1.0, max(0, sec - 600) / 10)  # 40 % over 10 s from 600
    ...     detector.update(sec, round(1000 * (1 - fall) * (1 + 0.01 * rng.standard_normal())))
    ...     if detector.alarm:
    ...         break
    >>> sec, detector.severity, detector.onset
    (607, 'warn', 600.0)
    >>> {k: round(v, 3) for k, v in detector.evidence.items()}
    {'online': 714.0, 'reference': 999.871, 'baseline': 995.945, 'recent': 999.871, 'drop': 0.286}
    """

    kind = "viewer_drop"

    def __init__(
        self,
        warn_drop: float = 0.25,
        crit_drop: float = 0.4,
        clear_drop: float = 0.1,
        baseline_s: float = 300.0,
        recent_s: int = 45,
        recent_gap_s: int = 15,
        noise_z: float = 1.5,
        slow_noise_z: float = 3.0,
        rebase_s: float = 600.0,
        min_viewers: int = 10,
    ) -> None:
        if not 0 < recent_gap_s < recent_s:
            raise ValueError(f"need 0 < recent_gap_s < recent_s, got {recent_gap_s}, {recent_s}")
        self.warn_drop = warn_drop
        self.crit_drop = crit_drop
        self.clear_drop = clear_drop
        self.baseline_s = baseline_s
        self.recent_s = recent_s
        self.recent_gap_s = recent_gap_s
        self.noise_z = noise_z
        self.slow_noise_z = slow_noise_z
        self.rebase_s = rebase_s
        self.min_viewers = min_viewers
        self._alpha = 1 - math.exp(-1 / baseline_s)
        self._base: float | None = None
        self._online = 0.0
        self._ref = 0.0
        self._recent = 0.0
        self._steady_sec: float | None = None
        self._alarm_sec = 0
        self._start_sec = 0  # the first second of the current run (after a clear or rebase)
        self._span = recent_s - recent_gap_s + 1  # seconds in the recent level
        # Past levels, one per second: the engine's viewer_s window when the
        # caller passes it (``Second.levels``), else this detector's own.
        self._own = Rolling(recent_s + 1)
        self._own_sec: int | None = None
        # A second whose online level is at least ``_floor`` needs no judging
        # (see ``_judge``): it only moves the baseline. ``_top`` bounds every
        # level of the last ``recent_s`` seconds and the baseline.
        self._floor = math.inf
        self._top = 0.0
        self._held = False  # the last second was such a one
        # Above ``_calm`` (but under ``_floor``) no fall is possible either,
        # only whether online is steady needs the recent level.
        self._calm = math.inf
        self._settled = False  # alarmed, and this online was judged once since the opening

    @property
    def baseline(self) -> float | None:
        """The 5-minute baseline of viewers online, None before the first update."""
        return self._base

    @property
    def reference(self) -> float:
        """The level a fall is measured from (the higher of baseline and recent level)."""
        return self._ref

    @property
    def evidence(self) -> dict[str, float]:
        ref = self._ref
        return {
            "online": float(self._online),
            "reference": ref,
            "baseline": self._base or 0.0,
            "recent": self._recent,
            "drop": 1 - self._online / ref if ref > 0 else 0.0,
        }

    def _record(self, sec: int, online: float) -> Rolling:
        """Keep ``online`` for second ``sec`` in the own window (a gap repeats the last level)."""
        levels, last = self._own, self._own_sec
        levels.advance(sec)
        if last is not None:
            for gap in range(max(last + 1, sec - levels.span + 1), sec):
                levels.add(gap, self._online)  # type: ignore[arg-type]  # levels need not be whole
        levels.add(sec, online)  # type: ignore[arg-type]
        self._own_sec = sec
        return levels

    @staticmethod
    def _span_sum(levels: Rolling, first: int, last: int) -> float:
        """The sum of the levels of seconds ``first..last`` (inside the window)."""
        b, n = levels.buckets, levels.span
        i, j = first % n, last % n
        return sum(b[i : j + 1]) if i <= j else sum(b[i:]) + sum(b[: j + 1])

    @staticmethod
    def _span_max(levels: Rolling, first: int, last: int) -> float:
        """The highest level of seconds ``first..last`` (inside the window)."""
        b, n = levels.buckets, levels.span
        i, j = first % n, last % n
        return max(b[i : j + 1]) if i <= j else max(max(b[i:]), max(b[: j + 1]))

    def _falls(self, level: float, online: float, z: float) -> bool:
        """Whether ``online`` is a drop from ``level``: a big enough share, and beyond noise."""
        lost = level - online
        return (level >= self.min_viewers and lost >= self.warn_drop * level
                and lost >= z * math.sqrt(level))  # fmt: skip

    def update(self, sec: int, online: float) -> None:
        """Take the online level held during closed second ``sec``."""
        online = float(online)
        self.step(sec, online, self._record(sec, online))

    def observe(self, second: Second) -> None:
        """Take the online level of a closed second (its viewer-seconds)."""
        levels = second.levels
        if levels is None or not self.reads(levels):
            levels = self._record(second.sec, second.viewer_s)  # the engine's window is too short
        self.step(second.sec, second.viewer_s, levels)

    def reads(self, levels: Rolling) -> bool:
        """Whether ``levels`` (a window of online levels per second) reaches back far enough
        for ``step`` to read past levels there."""
        return levels.span > self.recent_s + 6

    def step(self, sec: int, online: float, levels: Rolling) -> bool:
        """Take second ``sec``, judging it only if something can change; return ``alarm``.

        ``levels`` holds the online level of every second up to ``sec`` (a
        window that ``reads``): ``observe`` with its numbers, for a caller
        that has them at hand (the monitor, every second of every room).

        Most seconds need no judging: while online stays within 3 % of the
        highest level of the last ``recent_s`` seconds (and of the baseline),
        no reference can be a fall from it and it is steady, so the second
        only moves the baseline, exactly as a judged quiet second would.
        Alarmed, a second with online as at the last judged alarmed second
        changes nothing until the fall is ``rebase_s`` old.
        """
        if (self._alarm and self._settled and online == self._online
                and sec < self._alarm_sec + self.rebase_s):  # fmt: skip
            return True
        if online >= self._floor:
            base = self._base
            self._base = base + self._alpha * (online - base)  # type: ignore[operator]
            self._online = online
            self._held = True
            if online > self._top:
                self._set_top(online)
            return self._alarm
        if online > self._calm:
            if online > self._top:  # possible only when ``_floor`` is off (warn_drop <= 3 %)
                self._set_top(online)
            self._steady(sec, float(online), levels)
            return self._alarm
        self._judge(sec, float(online), levels)
        return self._alarm

    def _set_top(self, top: float) -> None:
        """Bound the levels by ``top``: online from 97 % of it is steady and no fall; over
        ``_calm`` no reference up to ``top`` can be a fall (``_falls`` grows with the level)."""
        self._top = top
        self._floor = 0.97 * top if self.warn_drop > 0.03 else math.inf
        if top < self.min_viewers:
            self._calm = -math.inf
        else:
            z = min(self.noise_z, self.slow_noise_z)
            self._calm = min((1 - self.warn_drop) * top, top - z * math.sqrt(top))

    def _steady(self, sec: int, online: float, levels: Rolling) -> None:
        """A second that cannot open a fall: whether it is steady, and the baseline's step
        (what ``_judge`` does, without the fall tests)."""
        base: float = self._base  # type: ignore[assignment]
        self._online = online
        if self._held:
            self._held = False
            self._steady_sec = float(sec - 1)
        if online >= 0.97 * base:
            self._reference(sec, online, levels, base)
        # else online is more than 3 % under the baseline, so under the reference
        # whatever the recent level: not steady, and the recent level's sum is not needed.
        self._base = base + self._alpha * (online - base)

    def _reference(self, sec: int, online: float, levels: Rolling, base: float) -> float:
        """The level a fall at ``sec`` is measured from: the higher of the baseline and the
        recent level (kept in ``_recent``); a second within 3 % of it is steady."""
        # The recent level: the mean of seconds ``recent_s - 1`` to
        # ``recent_gap_s - 1`` ago, once the run is that long.
        oldest = sec - self.recent_s + 1
        if oldest >= self._start_sec:
            recent = self._span_sum(levels, oldest, oldest + self._span - 1) / self._span
        else:
            recent = base
        self._recent = recent
        ref = self._ref = base if base >= recent else recent
        if online >= 0.97 * ref:
            self._steady_sec = float(sec)
        return ref

    def _judge(self, sec: int, online: float, levels: Rolling) -> None:
        """Judge second ``sec`` with past levels from ``levels``."""
        base = self._base
        self._online = online
        self._floor = self._calm = math.inf
        if base is None:
            self._base = self._ref = online
            self._steady_sec = float(sec)
            self._start_sec = sec
            return
        if self._held:
            self._held = False
            self._steady_sec = float(sec - 1)  # ``observe`` only passes steady seconds
        if self._alarm:
            ref = self._ref
            fall = 1 - online / ref if ref > 0 else 0.0
            if fall <= self.clear_drop or sec - self._alarm_sec >= self.rebase_s:
                self._alarm = False
                self._base = online
                self._steady_sec = float(sec)
                self._start_sec = sec
            elif fall >= self.crit_drop:
                self._severity = "crit"
            self._settled = True  # the same online again decides the same, until the rebase
            return
        ref = self._reference(sec, online, levels, base)
        # A sudden fall (against the recent level) stands out of a room's
        # noise sooner than a slide over minutes, which small rooms make by
        # themselves: each path has its own noise margin.
        sudden = self._falls(self._recent, online, self.noise_z)
        if sudden or self._falls(base, online, self.slow_noise_z):
            self._alarm = True
            self._alarm_sec = sec
            self._settled = False
            self._onset = self._steady_sec
            self._severity = "crit" if online <= (1 - self.crit_drop) * ref else "warn"
            return
        base = self._base = base + self._alpha * (online - base)
        # From the next second on, the baseline moves toward the levels and
        # the recent level is a mean of levels from second ``oldest + 1`` on:
        # neither exceeds ``top`` as long as no level does (a higher one
        # raises ``top``). A level within 3 % of ``top`` is then steady and,
        # as ``warn_drop`` is more than 3 %, no fall from either reference.
        oldest = sec - self.recent_s + 1  # as in _reference
        top = self._span_max(levels, max(oldest + 1, self._start_sec), sec)
        self._set_top(max(top, base, online))

    def detail(self, second: Second) -> str:
        """Online now against the level it fell from, and both levels behind that."""
        e = self.evidence
        return (
            f"online {e['online']:.0f} is {e['drop']:.0%} below {e['reference']:.0f} "
            f"(5-min baseline {e['baseline']:.0f}, level 15-45 s ago {e['recent']:.0f})"
        )
