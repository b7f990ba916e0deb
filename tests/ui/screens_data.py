"""A busy room for the layout tests: eight products (the featured one listed sixth), three
alerts with suggested actions, two targets and a shift on air."""

from __future__ import annotations

import copy
from typing import Any

from .conftest import SNAPSHOT, TS, WELCOME

NAMES = [
    ("23084", "Rabbit Night Light", 2080, 5000, 12),
    ("23355", "Hot Water Bottle Keep Calm", 4950, 1500, 40),
    ("85123A", "White Hanging Heart T-Light Holder", 2950, 7, 3),
    ("22138", "Baking Set 9 Piece Retrospot", 4950, 800, 0),
    ("22139", "Retrospot Tea Set Ceramic 11 Piece", 4950, 600, 9),
    ("85099B", "Jumbo Bag Red Retrospot", 2080, 400, 25),
    ("22423", "Regency Cakestand 3 Tier", 12750, 60, 5),
    ("23439", "Hand Warmer Red Love Heart", 2100, 0, 44),
]


def busy_snapshot(**changes: Any) -> dict[str, Any]:
    """A snapshot of a busy room (see the module docstring)."""
    snap = copy.deepcopy(SNAPSHOT)
    snap["products"] = [
        {"sku": sku, "name": name, "price_cents": price, "stock": stock, "sold": sold,
         "gmv_cents": sold * price, "rate_1m": sold / 10, "eta_s": stock * 600 / sold if sold
         else None}
        for sku, name, price, stock, sold in NAMES
    ]  # fmt: skip
    snap["featured"] = "85099B"
    snap["host"] = "小美"
    snap["shift"] = {
        "host": "小美",
        "since": TS - 3725,
        "until": None,
        "gmv_cents": 8_000_000,
        "orders": 200,
        "buyers": 180,
        "online_avg": 11_000,
        "online_peak": 15_000,
        "conv": 0.004,
        "gpm_cents": 150_000,
        "follows": 40,
        "comments": 3000,
    }
    snap["shifts"] = [
        {
            "host": "阿杰",
            "since": TS - 7325,
            "until": TS - 3725,
            "gmv_cents": 4_345_678,
            "orders": 121,
        },
        snap["shift"],
    ]
    snap["targets"] = [
        {"key": "gmv_cents", "target": 50_000_000, "done": 12_345_678, "projected": 38_345_678},
        {"key": "orders", "target": 300, "done": 321, "projected": 900},
    ]
    snap["alerts"] = ALERTS
    snap.update(changes)
    return snap


def _alert(n: int, kind: str, sku: str | None, severity: str, suggest: dict, detail: str):
    return {
        "id": f"a{n}", "room": "room-1", "kind": kind, "sku": sku, "severity": severity,
        "state": "open", "since": TS - 20 * n, "onset": None, "detail": detail,
        "evidence": {}, "suggest": suggest,
    }  # fmt: skip


ALERTS = [
    _alert(
        1,
        "stock_low",
        "85123A",
        "crit",
        {"action": "restock", "args": {"sku": "85123A", "add": 40}},
        "White Hanging Heart: 7 left, ~84 s to stock-out",
    ),  # fmt: skip
    _alert(
        2,
        "conversion_drop",
        None,
        "warn",
        {"action": "coupon", "args": {"discount_cents": 500, "count": 100}},
        "conversion -45% since 12:01",
    ),  # fmt: skip
    _alert(
        3,
        "stock_out",
        "23439",
        "crit",
        {"action": "feature", "args": {"sku": "23084"}},
        "Hand Warmer sold out",
    ),  # fmt: skip
]
__all__ = ["ALERTS", "WELCOME", "busy_snapshot"]
