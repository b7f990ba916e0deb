"""``ConversionDropDetector``: a one-sided Poisson CUSUM on orders per viewer-second."""

from __future__ import annotations

import math
from collections import deque

from livemon.detect.base import Detector


class ConversionDropDetector(Detector):
    """Detects a fall of the order rate per viewer-second against a slow, lagged baseline.

    Each second of event time brings ``orders`` (a Poisson count) and the
    exposure ``viewer_s`` (online viewers x seconds). Under the baseline rate
    ``b`` the count has mean ``mu = b * viewer_s``; under a drop it has mean
    ``(1 - drop) * mu``. The log-likelihood ratio of one second is
    ``orders * ln(1 - drop) + drop * mu``, and the CUSUM
    ``S = max(0, S + llr)`` alarms when ``S >= threshold``: a quiet second
    with one order fewer moves ``S`` by ``ln(1 - drop)`` only, and a steady
    rate pulls it back to 0. The second where ``S`` last left 0 is the onset.

    The baseline is an exponentially weighted ratio of orders to viewer-seconds
    (half-life ``half_life_s``) fed with data ``lag_s`` old, so a drop in
    progress does not drag it down before the alarm; it is frozen while
    alarmed. Once alarmed, the reverse CUSUM (a return to the baseline
    against the dropped rate) must reach ``clear_threshold`` to clear.

    Parameters
    ----------
    drop
        The relative fall the test is tuned for (0.4: 40 % fewer orders).
    threshold
        CUSUM level (nats) that raises the alarm.
    crit_drop
        Estimated fall since the onset that makes the alarm ``crit``.
    clear_threshold
        Reverse CUSUM level (nats) that clears the alarm.
    half_life_s
        Half-life, in seconds, of the baseline's exponential weights.
    lag_s
        Age, in seconds, of the data the baseline learns from.
    warmup_orders
        Orders the baseline must have seen before the test runs.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(42)
    >>> detector = ConversionDropDetector()
    >>> rates = [0.45] * 1800 + [0.27] * 600  # orders/s at 1,000 viewers, then 40 % fewer
    >>> for sec, rate in enumerate(rates):
    ...     detector.update(sec, int(rng.poisson(rate)), 1000.0)
    ...     if detector.alarm:
    ...         break
    >>> sec, detector.severity, detector.onset
    (2011, 'warn', 1758.0)
    >>> {k: round(v, 3) for k, v in detector.evidence.items()}
    {'baseline_per_1k_min': 25.469, 'recent_per_1k_min': 16.773, 'drop': 0.341, 'llr': 7.048}
    """

    def __init__(
        self,
        drop: float = 0.4,
        threshold: float = 7.0,
        crit_drop: float = 0.6,
        clear_threshold: float = 6.0,
        half_life_s: float = 900.0,
        lag_s: int = 120,
        warmup_orders: float = 60.0,
    ) -> None:
        if not 0 < drop < 1:
            raise ValueError(f"drop must be in (0, 1), got {drop!r}")
        self.drop = drop
        self.threshold = threshold
        self.crit_drop = crit_drop
        self.clear_threshold = clear_threshold
        self.half_life_s = half_life_s
        self.lag_s = lag_s
        self.warmup_orders = warmup_orders
        self._log_keep = math.log(1 - drop)
        self._decay = 0.5 ** (1 / half_life_s)
        self._lagged: deque[tuple[int, float]] = deque()
        self._orders_w = 0.0  # weighted orders of the baseline
        self._exposure_w = 0.0  # weighted viewer-seconds of the baseline
        self._seen = 0.0  # orders the baseline has learnt from
        self._score = 0.0
        self._clear = 0.0
        self._since_orders = 0  # orders since the CUSUM last left 0
        self._since_mu = 0.0  # ...and what the baseline expected over that time
        self._start: float | None = None

    @property
    def baseline(self) -> float | None:
        """Baseline orders per viewer-second, None until warmed up."""
        if self._seen < self.warmup_orders or self._exposure_w <= 0:
            return None
        return self._orders_w / self._exposure_w

    @property
    def score(self) -> float:
        """The CUSUM statistic in nats (0 when the data favour no drop)."""
        return self._score

    @property
    def evidence(self) -> dict[str, float]:
        base = self.baseline or 0.0
        mu = self._since_mu
        ratio = self._since_orders / mu if mu > 0 else 1.0
        return {
            "baseline_per_1k_min": base * 60_000,
            "recent_per_1k_min": base * ratio * 60_000,
            "drop": 1 - ratio,
            "llr": self._score,
        }

    def skip(self) -> None:
        """Forget the running test (not the baseline): a known cause explains the fall."""
        self._score = 0.0
        self._since_orders, self._since_mu, self._start = 0, 0.0, None

    def update(self, sec: int, orders: int, viewer_s: float) -> None:
        """Take one closed second: its ``orders`` and ``viewer_s`` exposure."""
        base = self.baseline
        if not self._alarm:
            self._lagged.append((orders, viewer_s))
            if len(self._lagged) > self.lag_s:
                old_orders, old_exposure = self._lagged.popleft()
                d = self._decay
                self._orders_w = self._orders_w * d + old_orders
                self._exposure_w = self._exposure_w * d + old_exposure
                self._seen += old_orders
        if base is None or viewer_s <= 0:
            return
        mu = base * viewer_s
        llr = orders * self._log_keep + self.drop * mu
        if self._alarm:
            self._since_orders += orders
            self._since_mu += mu
            self._clear = max(0.0, self._clear - llr)
            if self._clear >= self.clear_threshold:
                self._alarm = False
                self._clear = 0.0
                self.skip()
                self._lagged.clear()  # the fall is not baseline material
            elif self.evidence["drop"] >= self.crit_drop:
                self._severity = "crit"
            return
        score = self._score + llr
        if score <= 0:
            self.skip()
            return
        if self._start is None:
            self._start = float(sec)
        self._score = score
        self._since_orders += orders
        self._since_mu += mu
        if score >= self.threshold:
            self._alarm = True
            self._onset = self._start
            self._severity = "crit" if self.evidence["drop"] >= self.crit_drop else "warn"
