"""How many viewers are online: the simulated room's viewer curve.

Calibrated on four real YouTube streams' viewer counts (``concurrentViewers``
polled every 3–5 s; the figures below are what we measured on them):

- wander: between polls a minute apart, the robust s.d. of the log change
  of the three large streams (8k–16k viewers) is 0.5%, 0.6% and 1.7% per
  minute; we use 1% per minute as a random walk in log space;
- steps: the 8k stream jumps by ±1.4–1.9% from one poll to the next about
  once a minute and mostly steps back; we add a ±2% (s.d.) step about every
  two minutes, which the walk's pull toward the plateau then absorbs;
- ramp-up: a stream starting from its opening audience grows +0.8%/min for
  50 min; the small one reaches 80% of its peak 21 min in; we reach 80% of
  the plateau after 15 min (sooner in sessions shorter than 100 min);
- decay: after its peak the small stream falls from 63 to 13 viewers in
  97 min, about -1.6% per minute; we decay at that rate over the last 20%
  of the session;
- arrivals: ``viewCount`` grows by 2.0–5.2% of the concurrent viewers per
  minute; new viewers arrive at 3.5% of ``online`` per minute (churn), plus
  whatever a rise of ``online`` needs.
"""

from __future__ import annotations

import math

import numpy as np

WANDER_PER_MIN = 0.01
STEP_EVERY_S = 120.0
STEP_SD = 0.02
PULL_S = 900.0  # time constant of the pull back toward the plateau
RAMP_80_S = 900.0
RAMP_80_SHARE = 0.15
OPENING_SHARE = 0.05  # audience already waiting when the broadcast starts
DECAY_PER_MIN = 0.016
DECAY_SHARE = 0.2
ARRIVALS_PER_MIN = 0.035


class ViewerCurve:
    """Online viewers second by second around a plateau of ``viewers``.

    The curve is the product of a ramp-up, a mean-reverting multiplicative
    random walk with occasional steps, and a decay toward the end; all
    randomness comes from ``rng``.

    >>> curve = ViewerCurve(1000, 7200.0, np.random.default_rng(7))
    >>> [round(curve.step()) for _ in range(3)]
    [50, 52, 53]
    """

    def __init__(self, viewers: int, duration: float, rng: np.random.Generator) -> None:
        self.viewers = viewers
        self.duration = duration
        self._rng = rng
        self._tau = min(RAMP_80_S, RAMP_80_SHARE * duration) / math.log(1 / 0.2)
        self._decay_from = (1 - DECAY_SHARE) * duration
        self._log_walk = 0.0
        self._second = 0

    def shape(self, second: float) -> float:
        """The deterministic part at ``second``: ramp-up times end decay (1.0 on the plateau)."""
        ramp = OPENING_SHARE + (1 - OPENING_SHARE) * (1 - math.exp(-second / self._tau))
        late_min = max(0.0, second - self._decay_from) / 60
        return ramp * math.exp(-DECAY_PER_MIN * late_min)

    def step(self) -> float:
        """Advance one second; the expected number of viewers online in it."""
        rng = self._rng
        sd = WANDER_PER_MIN / math.sqrt(60)
        self._log_walk += -self._log_walk / PULL_S + sd * float(rng.standard_normal())
        if rng.random() < 1 / STEP_EVERY_S:
            self._log_walk += STEP_SD * float(rng.standard_normal())
        online = self.viewers * self.shape(self._second) * math.exp(self._log_walk)
        self._second += 1
        return online
