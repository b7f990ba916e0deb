"""``livemon bench detect --calibrate``: conversion_drop's threshold margin per room size.

Wald's bound is loose by a different amount at each room size, and the
estimated baseline (its noise, its lag behind a slowly declining rate) adds
a different share of false alarms, so one margin gives a small room 0.3 false
alarms per hour and a 2,000-viewer one 0.5. This finds, per size, the margin
with at most ``TARGET_FA_PER_H`` false alarms per hour on 200 steady sim hours
(tuning seeds, never the reported ones) by replaying OUR detector, with its
own estimated baseline, on each room's per-second orders and viewer-seconds,
bisecting the margin. The printed ``margins`` table goes into
``[detect.conversion_drop]``; the detector interpolates it in the log of the
room's order rate.
"""

from __future__ import annotations

import sys
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import numpy as np

from livemon.detect.base import init_names
from livemon.detect.conversion_drop import ConversionDropDetector

# Under the oracle's 0.5 per hour with room for the noise of a 200-hour estimate.
TARGET_FA_PER_H = 0.42
SIZES = (250, 500, 1000, 2000, 5000)
SEED0 = 1000  # tuning seeds, as --tune
BISECT = (-1.0, 2.0, 7)  # margin range (nats) and bisection steps: 0.02 nats


def steady_series(job: dict[str, Any]) -> tuple[np.ndarray, int]:
    """One steady sim hour, per second: orders, viewer-seconds and 1 while the featured
    product is sold out (a fall the alert explains, not a false alarm); and the first second."""
    from livemon.bench import detect
    from livemon.engine import Engine

    events, _ = detect.typed_events({**job, "scenario": "steady", "minutes": 60.0})
    rows: dict[int, tuple[int, float, int]] = {}

    def record(state: Any, sec: int) -> None:
        product = state.products.get(state.featured) if state.featured else None
        sold_out = int(product is not None and product.stock == 0)
        rows[sec] = (state.windows["orders"].at(sec), state.windows["viewer_s"].at(sec), sold_out)

    Engine(on_new_room=lambda state: state.second_listeners.append(record)).apply(events)
    first = min(rows)
    arr = np.zeros((3, max(rows) - first + 1))
    for sec, row in rows.items():
        arr[:, sec - first] = row
    return arr, first


def alarms(arr: np.ndarray, first: int, params: dict[str, Any]) -> int:
    """False alarms of the detector with ``params`` on one room's series (those opened while
    the featured product is sold out name that cause and are not counted, as in the bench)."""
    detector = ConversionDropDetector(**params)
    orders, exposure, sold_out = arr[0].astype(int).tolist(), arr[1].tolist(), arr[2].tolist()
    count, was = 0, False
    for i, (o, v) in enumerate(zip(orders, exposure, strict=True)):
        detector.update(first + i, o, v)
        alarm = detector.alarm
        count += alarm and not was and not sold_out[i]
        was = alarm
    return count


def margin_for(series: list[tuple[np.ndarray, int]], params: dict[str, Any],
               target: float) -> float:  # fmt: skip
    """The lowest margin (to 0.02 nats) with at most ``target`` false alarms per hour."""
    lo, hi, steps = BISECT
    for _ in range(steps):
        mid = (lo + hi) / 2
        fa = sum(alarms(arr, first, {**params, "margin": mid}) for arr, first in series)
        if fa / len(series) <= target:
            hi = mid
        else:
            lo = mid
    return round(hi, 2)


def main(params: dict[str, Any], hours: int = 200, workers: int = 2,
         target: float = TARGET_FA_PER_H) -> list[list[float]]:  # fmt: skip
    """Print and return ``[orders per minute, margin]`` per room size in ``SIZES``."""
    names = set(init_names(ConversionDropDetector)) - {"margin", "margins"}
    params = {k: v for k, v in params.items() if k in names}
    params["margins"] = ()  # one margin, the one bisected
    table = []
    print(f"conversion_drop margin per room size for <= {target} false alarms per hour on "
          f"{hours} steady hours each (seeds {SEED0}..{SEED0 + hours - 1}):")  # fmt: skip
    with ProcessPoolExecutor(max_workers=workers) as pool:
        for viewers in SIZES:
            todo = [{"seed": SEED0 + i, "viewers": viewers} for i in range(hours)]
            series = list(pool.map(steady_series, todo, chunksize=4))
            rate = sum(float(arr[0].sum()) for arr, _ in series) / (hours * 60.0)
            margin = margin_for(series, params, target)
            fa = sum(alarms(a, f, {**params, "margin": margin}) for a, f in series) / hours
            print(f"  {viewers:>6} viewers: {rate:6.1f} orders/min, margin {margin:+.2f} nats "
                  f"({fa:.2f} FA/h)", file=sys.stdout, flush=True)  # fmt: skip
            table.append([round(rate, 1), margin])
    print(f"margins = {table}")
    return table
