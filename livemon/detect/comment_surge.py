"""``CommentSurgeDetector``: comments per viewer far above their baseline."""

from __future__ import annotations

import math

from livemon.detect.advice import pin_offer
from livemon.detect.base import Second, SecondDetector, Suggestion
from livemon.engine.tags import QUESTION_TAGS


class CommentSurgeDetector(SecondDetector):
    """Alarms when comments per viewer-minute over ``window_s`` reach ``factor`` x the baseline.

    Counting per viewer keeps the ramp-up of a broadcast (more viewers, more
    comments) from looking like a surge. The baseline is an EWMA (time
    constant ``baseline_s``) of comments per viewer-second, frozen while
    alarmed; the window is a ring of per-second counts, so each update is
    O(1). It clears under ``clear_factor`` x the baseline. ``crit`` at twice
    ``factor``.

    Parameters
    ----------
    factor
        Multiple of the baseline rate that raises the alarm.
    clear_factor
        Multiple under which it clears.
    window_s
        Length of the recent window, in seconds.
    baseline_s
        Time constant of the baseline, in seconds.
    min_per_min
        Comments per minute the window must also reach.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(3)
    >>> detector = CommentSurgeDetector()
    >>> for sec in range(1500):
    ...     rate = 80 / 60 * (4 if sec >= 1200 else 1)  # comments/s at 1,000 viewers, then x4
    ...     detector.update(sec, int(rng.poisson(rate)), 1000.0)
    ...     if detector.alarm:
    ...         break
    >>> sec, detector.severity, detector.onset
    (1222, 'warn', 1193.0)
    >>> {k: round(v, 2) for k, v in detector.evidence.items()}
    {'comments_per_min': 272.0, 'baseline_per_min': 87.46, 'ratio': 3.11}
    """

    kind = "comment_surge"

    def __init__(
        self,
        factor: float = 3.0,
        clear_factor: float = 1.5,
        window_s: int = 30,
        baseline_s: float = 600.0,
        min_per_min: float = 20.0,
    ) -> None:
        self.factor = factor
        self.clear_factor = clear_factor
        self.window_s = window_s
        self.baseline_s = baseline_s
        self.min_per_min = min_per_min
        self._alpha = 1 - math.exp(-1 / baseline_s)
        self._counts = [0] * window_s
        self._exposure = [0.0] * window_s
        self._sum = 0
        self._exp_sum = 0.0
        self._base = 0.0  # comments per viewer-second
        self._seen = 0  # seconds learnt from
        # From this many seconds on, 1/seen < alpha: the weight is alpha.
        warm = max(1, int(1 / self._alpha))
        while 1 / warm >= self._alpha:
            warm += 1
        while warm > 1 and 1 / (warm - 1) < self._alpha:
            warm -= 1
        self._warm = warm

    @property
    def ratio(self) -> float:
        """Comments per viewer in the window as a multiple of the baseline (0 before warm-up)."""
        if self._seen < 2 * self.window_s or self._base <= 0 or self._exp_sum <= 0:
            return 0.0
        return self._sum / self._exp_sum / self._base

    @property
    def evidence(self) -> dict[str, float]:
        per_min = self._sum * 60.0 / self.window_s
        mean_viewers = self._exp_sum / self.window_s
        return {"comments_per_min": per_min,
                "baseline_per_min": self._base * mean_viewers * 60.0,
                "ratio": self.ratio}  # fmt: skip

    def update(self, sec: int, comments: int, viewer_s: float) -> None:
        """Take closed second ``sec``: its comment count and its viewer-seconds."""
        self.step(sec, comments, viewer_s)

    def step(self, sec: int, comments: int, viewer_s: float) -> bool:
        """``update``, returning ``alarm`` (the monitor's call, every second of every room)."""
        i = sec % self.window_s
        counts, exposure = self._counts, self._exposure
        total = self._sum = self._sum + comments - counts[i]
        exp_sum = self._exp_sum = self._exp_sum + viewer_s - exposure[i]
        counts[i], exposure[i] = comments, viewer_s
        if self._alarm:
            ratio = self.ratio
            if ratio < self.clear_factor:
                self._alarm = False
            elif ratio >= 2 * self.factor:
                self._severity = "crit"
            return self._alarm
        # The alarm test of ``ratio`` inlined (this runs every second), the
        # cheap count first; floats are compared with 0.0 (the interpreter's
        # float-only fast path, for the same answer).
        base = self._base
        if (total * 60.0 / self.window_s >= self.min_per_min and base > 0.0 and exp_sum > 0.0
                and self._seen >= 2 * self.window_s):  # fmt: skip
            ratio = total / exp_sum / base
            if ratio >= self.factor:
                self._alarm = True
                self._onset = float(sec - self.window_s + 1)
                self._severity = "crit" if ratio >= 2 * self.factor else "warn"
                return True
        if viewer_s > 0.0:
            # A running mean at first, then exponential weights: no first-second luck.
            seen = self._seen = self._seen + 1
            weight = self._alpha
            if seen < self._warm:  # max(alpha, 1/seen), the division only while it can win
                weight = max(weight, 1 / seen)
            self._base = base + weight * (comments / viewer_s - base)
        return False

    def observe(self, second: Second) -> None:
        """Take a closed second's comments and viewer-seconds."""
        self.update(second.sec, second.comments, second.viewer_s)

    def detail(self, second: Second) -> str:
        """Comments per minute against usual, the question tags counted, and a few questions."""
        e = self.evidence
        counts = second.tags.counts if second.tags is not None else {}
        asked = ", ".join(f"{t} {n}" for t, n in counts.items() if t in QUESTION_TAGS)
        samples = " | ".join(second.questions)
        return (f"comments {e['comments_per_min']:.0f}/min, {e['ratio']:.1f}x usual"
                + (f"; questions: {asked}" if asked else "")
                + (f" — {samples}" if samples else ""))  # fmt: skip

    def suggest(self, second: Second) -> Suggestion:
        """Pin the featured product's price and link: a surge is mostly viewers asking."""
        return pin_offer(second.state)
