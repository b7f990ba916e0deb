"""Session targets: how far along each is, and where the recent pace takes it."""

from __future__ import annotations

from typing import Any

from livemon.engine.room import RoomState


def targets(state: RoomState, goals: dict[str, int], duration_s: float) -> list[dict[str, Any]]:
    """One entry per goal > 0: ``{key, target, done, projected}``.

    ``projected`` is ``done`` plus the trailing-minute pace times the minutes
    left until the scheduled end (``first event + duration_s``).
    """
    if state.first_ts is None:
        return []
    minutes_left = max(0.0, (state.first_ts + duration_s - state.clock) / 60.0)
    w = state.windows
    out = []
    for key, target in goals.items():
        if not target:
            continue
        if key == "gmv_cents":
            done, pace = state.gmv_cents, w["gmv"].total
        elif key == "orders":
            done, pace = state.orders, w["orders"].total
        elif key.startswith("units:") and key[6:] in state.products:
            product = state.products[key[6:]]
            done, pace = product.sold, product.rate_1m(state.newest_sec or 0)
        else:
            continue
        out.append({"key": key, "target": int(target), "done": int(done),
                    "projected": int(done + pace * minutes_left)})  # fmt: skip
    return out
