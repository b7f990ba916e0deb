"""The oracle CUSUM: the best a conversion-drop test can do when it knows the truth.

It knows, for every second of a sim session, the Poisson mean of the orders
had no drop been injected (``SimRoom.expected_orders``) and the true size of
the drop. Its one-sided CUSUM ``S = max(0, S + x ln(1 - d) + d mu)`` is the
optimal test for that change (Lorden, Moustakides). Its threshold is set, per
session, to the lowest on a grid with at most ``FA_PER_H`` false alarms per
hour on that session's own in-control law (Monte Carlo over
``REPLICAS`` independent Poisson draws of it), so the oracle and the
detectors are compared at the same false-alarm rate.
"""

from __future__ import annotations

import math

import numpy as np

FA_PER_H = 0.5
REPLICAS = 200
THRESHOLDS = np.round(np.arange(2.0, 14.01, 0.25), 2)


def _llr(x: np.ndarray, mu: np.ndarray, drop: float) -> np.ndarray:
    return x * math.log(1 - drop) + drop * mu


def threshold(mu: np.ndarray, drop: float, seed: int = 0) -> float:
    """The lowest threshold with <= ``FA_PER_H`` false alarms per hour under no drop."""
    rng = np.random.default_rng(seed)
    hours = len(mu) / 3600 * REPLICAS
    s = np.zeros((REPLICAS, len(THRESHOLDS)))
    alarms = np.zeros(len(THRESHOLDS))
    for t in range(len(mu)):
        step = _llr(rng.poisson(mu[t], REPLICAS).astype(float), mu[t], drop)
        s = np.maximum(0.0, s + step[:, None])
        hit = s >= THRESHOLDS
        alarms += hit.sum(axis=0)
        s[hit] = 0.0  # restart after an alarm
    ok = np.flatnonzero(alarms / hours <= FA_PER_H)
    return float(THRESHOLDS[ok[0]] if len(ok) else THRESHOLDS[-1])


def first_alarm(x: np.ndarray, mu: np.ndarray, drop: float, h: float, since: int) -> int | None:
    """Index of the oracle's first alarm at or after ``since`` (restarting after earlier ones)."""
    s = 0.0
    log_keep = math.log(1 - drop)
    for t in range(len(x)):
        s = max(0.0, s + x[t] * log_keep + drop * mu[t])
        if s >= h:
            if t >= since:
                return t
            s = 0.0
    return None
