"""The report's numbers from a ``Review``: totals, curves, products, alerts, commands, hosts.

Everything here is plain data (JSON-ready); metric names are the snapshot's
keys. Rates compare like with like: conversion is orders per 1,000
viewer-minutes (``conv_1m``'s unit) over the same windows before and after.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from livemon.engine.metrics import METRICS
from livemon.report.collect import Review

EFFECT_WINDOW_S = 300  # before / after a command
MIN_WINDOW_S = 120  # less data than this on either side: too few to tell
MIN_COUNT = 20  # orders (or units) before + after below this: too few to tell
Z_CLEAR = 1.96  # two-sided 5 %
LEVEL_CHANGE = 0.05  # online moving less than 5 % is no clear change
EXAMPLES = 3
TOP_QUESTIONS = 6

LOST_SALES_METHOD = (
    "While a product was out of stock, it is assumed it would have sold at its own rate "
    "when in stock in the same position: its units per second while featured and in stock "
    "for the out-of-stock seconds when it was featured, and its rate while not featured and "
    "in stock for the others. Lost GMV is those units at its listed price. An estimate: "
    "demand during a stock-out is not observed."
)


def _rate_verdict(
    name: str, n1: float, e1: float, n2: float, e2: float, t1: float, t2: float, per: float
) -> dict[str, Any]:
    """Before/after of a count over an exposure (Poisson), with a plain verdict.

    Given the total, the count after is binomial with p = e2 / (e1 + e2) when
    nothing changed; |z| >= 1.96 is a clear change.
    """
    before = round(n1 / e1 * per, 3) if e1 > 0 else None
    after = round(n2 / e2 * per, 3) if e2 > 0 else None
    out: dict[str, Any] = {
        "metric": name,
        "before": before,
        "after": after,
        "count_before": n1,
        "count_after": n2,
    }
    if min(t1, t2) < MIN_WINDOW_S or e1 <= 0 or e2 <= 0 or n1 + n2 < MIN_COUNT:
        out["change"] = None
        out["verdict"] = (
            f"too few to tell: {n1:g} before and {n2:g} after, over {t1:.0f} s and {t2:.0f} s"
        )
        return out
    n, p = n1 + n2, e2 / (e1 + e2)
    z = (n2 - n * p) / math.sqrt(n * p * (1 - p))
    change = (after - before) / before if before else None  # type: ignore[operator]
    out["change"] = None if change is None else round(change, 4)
    out["z"] = round(z, 2)
    size = f"{change:+.0%}" if change is not None else "from nothing"
    if abs(z) >= Z_CLEAR:
        way = "rose" if z > 0 else "fell"
        out["verdict"] = f"{name} {way} {size}: a clear change (z = {z:.1f})"
    else:
        out["verdict"] = f"no clear change in {name} ({size}, within chance: z = {z:.1f})"
    return out


def _level_verdict(name: str, before: np.ndarray, after: np.ndarray) -> dict[str, Any]:
    """Before/after of a level (online viewers): means, and a verdict on the relative move."""
    out: dict[str, Any] = {
        "metric": name,
        "before": round(float(before.mean()), 1) if len(before) else None,
        "after": round(float(after.mean()), 1) if len(after) else None,
    }
    if min(len(before), len(after)) < MIN_WINDOW_S or not out["before"]:
        out["change"] = None
        out["verdict"] = f"too few to tell: {len(before)} s before and {len(after)} s after"
        return out
    change = (out["after"] - out["before"]) / out["before"]
    out["change"] = round(change, 4)
    if abs(change) < LEVEL_CHANGE:
        out["verdict"] = f"no clear change in {name} ({change:+.1%})"
    else:
        out["verdict"] = f"{name} {'rose' if change > 0 else 'fell'} {change:+.0%}"
    return out


class Analysis:
    """Per-second arrays of a review, and the report built from them."""

    def __init__(self, review: Review) -> None:
        self.r = review
        self.first = review.first_sec or 0
        self.online = np.array(review.online, dtype=np.float64)
        self.orders = np.array(review.orders, dtype=np.float64)
        self.gmv = np.array(review.gmv, dtype=np.float64)
        self.n = len(self.online)
        self.products = {p["sku"]: p for p in review.final.get("products", [])}
        self.skus = list(self.products)
        self.featured = self._featured_by_second()
        self.out = self._out_by_second()

    def _index(self, ts: float) -> int:
        return int(ts) - self.first

    def _featured_by_second(self) -> np.ndarray:
        """Index into ``skus`` of the featured product of each second, -1 for none."""
        at = np.full(self.n, -1, dtype=np.int32)
        pos = {sku: i for i, sku in enumerate(self.skus)}
        changes = sorted(self.r.featured, key=lambda c: c[0])
        for k, (ts, sku) in enumerate(changes):
            end = self._index(changes[k + 1][0]) if k + 1 < len(changes) else self.n
            at[max(0, self._index(ts)) : max(0, end)] = pos.get(sku, -1) if sku else -1
        return at

    def _out_by_second(self) -> dict[str, np.ndarray]:
        out = {sku: np.zeros(self.n, dtype=bool) for sku in self.skus}
        since: dict[str, int] = {}
        for ts, sku, is_out in sorted(self.r.stock_out, key=lambda c: c[0]):
            if sku not in out:
                continue
            if is_out:
                since.setdefault(sku, max(0, self._index(ts)))
            elif sku in since:
                out[sku][since.pop(sku) : max(0, self._index(ts))] = True
        for sku, start in since.items():
            out[sku][start:] = True
        return out

    def _per_second(self, counts: dict[int, int]) -> np.ndarray:
        arr = np.zeros(self.n, dtype=np.float64)
        for sec, value in counts.items():
            i = sec - self.first
            if 0 <= i < self.n:
                arr[i] += value
        return arr

    # -- sections --------------------------------------------------------------------

    def totals(self) -> dict[str, Any]:
        metrics = self.r.final.get("metrics", {})
        return {key: metrics.get(key) for key in METRICS}

    def minutes(self) -> list[dict[str, Any]]:
        rows = []
        for m in range(0, self.n, 60):
            sl = slice(m, min(self.n, m + 60))
            viewer_min = self.online[sl].sum() / 60
            orders = self.orders[sl].sum()
            rows.append(
                {
                    "minute": m // 60,
                    "ts": self.first + m,
                    "online": round(float(self.online[sl].mean()), 1),
                    "orders_1m": int(orders),
                    "gmv_1m_cents": int(self.gmv[sl].sum()),
                    "conv_1m": round(float(orders / viewer_min * 1000), 3) if viewer_min else None,
                }
            )
        return rows

    def markers(self) -> list[dict[str, Any]]:
        out = []
        for ts, alert in self.r.alerts:
            if alert["state"] == "open":
                out.append(
                    {
                        "ts": ts,
                        "minute": round((ts - self.first) / 60, 2),
                        "kind": "alert",
                        "label": f"{alert['kind']} {alert['severity']}",
                    }
                )
        for c in self.r.commands:
            if c["ok"] and c["ts"] is not None and c.get("action") != "ack":
                out.append(
                    {
                        "ts": c["ts"],
                        "minute": round((c["ts"] - self.first) / 60, 2),
                        "kind": "command",
                        "label": _command_label(c),
                    }
                )
        return sorted(out, key=lambda m: m["ts"])

    def product_rows(self) -> list[dict[str, Any]]:
        rows = []
        for k, sku in enumerate(self.skus):
            p = self.products[sku]
            units = self._per_second(self.r.sku_units.get(sku, {}))
            orders = self._per_second(self.r.sku_orders.get(sku, {}))
            featured = self.featured == k
            out = self.out[sku]
            viewer_min = self.online[featured].sum() / 60
            lost = 0.0
            for where in (featured, ~featured):
                selling = where & ~out
                if selling.any():
                    lost += units[selling].sum() / selling.sum() * (where & out).sum()
            rows.append(
                {
                    "sku": sku,
                    "name": p.get("name"),
                    "price_cents": p.get("price_cents"),
                    "units": p.get("sold"),
                    "gmv_cents": p.get("gmv_cents"),
                    "featured_s": int(featured.sum()),
                    "conv_featured": (
                        round(float(orders[featured].sum() / viewer_min * 1000), 3)
                        if viewer_min
                        else None
                    ),
                    "out_of_stock_s": int(out.sum()),
                    "lost_units_est": round(lost, 1),
                    "lost_gmv_cents_est": round(lost * (p.get("price_cents") or 0)),
                }
            )
        return rows

    def alert_rows(self) -> list[dict[str, Any]]:
        by_id: dict[str, dict[str, Any]] = {}
        for ts, a in self.r.alerts:
            row = by_id.get(a["id"])
            if row is None:
                row = by_id[a["id"]] = {
                    "id": a["id"],
                    "kind": a["kind"],
                    "sku": a["sku"],
                    "severity": a["severity"],
                    "raised_severity": a["severity"],
                    "raised": ts,
                    "escalated": None,
                    "acked": None,
                    "resolved": None,
                    "detail": a["detail"],
                }
            elif a["state"] == "open" and a["severity"] == "crit" and row["severity"] != "crit":
                row["severity"], row["escalated"], row["detail"] = "crit", ts, a["detail"]
            elif a["state"] == "acked":
                row["acked"] = ts
            elif a["state"] == "resolved":
                row["resolved"] = ts
        return sorted(by_id.values(), key=lambda r: r["raised"])

    def _window(self, ts: float) -> tuple[slice, slice]:
        i = min(self.n, max(0, self._index(ts)))
        return slice(max(0, i - EFFECT_WINDOW_S), i), slice(i, min(self.n, i + EFFECT_WINDOW_S))

    def effect(self, command: dict[str, Any]) -> list[dict[str, Any]]:
        """What the command changed: the metrics before and after, with verdicts."""
        action, ts = command.get("action"), command.get("ts")
        if not command["ok"] or ts is None or action in ("mark", "ack"):
            return []
        b, a = self._window(ts)
        tb, ta = b.stop - b.start, a.stop - a.start

        def conversion() -> dict[str, Any]:
            return _rate_verdict(
                "conversion",
                self.orders[b].sum(),
                self.online[b].sum() / 60,
                self.orders[a].sum(),
                self.online[a].sum() / 60,
                tb,
                ta,
                1000,
            )

        online = _level_verdict("online", self.online[b], self.online[a])
        if action in ("coupon", "pin"):
            return [conversion()]
        if action in ("feature", "unfeature"):
            return [online, conversion()]
        if action == "host":
            return [online]
        if action == "restock":
            sku = str((command.get("args") or {}).get("sku"))
            units = self._per_second(self.r.sku_units.get(sku, {}))
            return [
                _rate_verdict(
                    f"units of {sku} per minute", units[b].sum(), tb, units[a].sum(), ta, tb, ta, 60
                )
            ]
        return []

    def _with_overlaps(self, c: dict[str, Any], effects: list[dict[str, Any]]) -> list[dict]:
        """Say when another command acted within the same windows: the change may be its."""
        if not effects:
            return effects
        others = [
            o for o in self.r.commands
            if o is not c and o["ok"] and o.get("ts") is not None
            and o.get("action") not in ("mark", "ack")
            and abs(o["ts"] - c["ts"]) < EFFECT_WINDOW_S
        ]  # fmt: skip
        if others:
            names = ", ".join(_command_label(o) for o in others)
            for e in effects:
                e["overlaps"] = [o.get("id") for o in others]
                e["verdict"] += f" (also within 5 min: {names}; part of the change may be theirs)"
        return effects

    def command_rows(self) -> list[dict[str, Any]]:
        rows = []
        for c in self.r.commands:
            rows.append(
                {
                    "id": c.get("id"),
                    "action": c.get("action"),
                    "args": c.get("args") or {},
                    "label": _command_label(c),
                    "ok": c["ok"],
                    "detail": c["detail"],
                    "ts": c["ts"],
                    "effect": self._with_overlaps(c, self.effect(c)),
                }
            )
        return rows

    def host_rows(self) -> list[dict[str, Any]]:
        if not self.r.host_changes:
            return []
        rows = []
        for host, s in self.r.hosts.items():
            if not (s.seconds or s.orders or s.views):
                continue
            viewer_min = s.viewer_s / 60
            rows.append(
                {
                    "host": host,
                    "gmv_cents": s.gmv_cents,
                    "orders": s.orders,
                    "units": s.units,
                    "buyers": s.new_buyers,
                    "views": s.views,
                    "seconds": s.seconds,
                    "online": round(s.viewer_s / s.seconds, 1) if s.seconds else None,
                    "online_peak": s.online_peak,
                    "conv_1m": round(s.orders / viewer_min * 1000, 3) if viewer_min else None,
                    "conv_session": round(s.new_buyers / s.views, 6) if s.views else None,
                    "gpm_cents": round(1000 * s.gmv_cents / s.views) if s.views else None,
                }
            )
        return rows

    def question_rows(self) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        for tag, texts in self.r.questions.items():
            rows.append(
                {
                    "tag": tag,
                    "count": sum(texts.values()),
                    "examples": [t for t, _ in texts.most_common(EXAMPLES)],
                }
            )
        return sorted(rows, key=lambda r: -r["count"])[:TOP_QUESTIONS]


def _command_label(c: dict[str, Any]) -> str:
    from livemon.keyframes import command_label

    return command_label(c)


def analyse(review: Review, title: str = "") -> dict[str, Any]:
    """The whole report as plain data."""
    a = Analysis(review)
    hosts = a.host_rows()
    totals = a.totals()
    report: dict[str, Any] = {
        "title": title or review.room,
        "room": review.room,
        "first_ts": review.first_ts,
        "last_ts": review.last_ts,
        "duration_s": (
            review.last_ts - review.first_ts
            if review.first_ts is not None and review.last_ts is not None
            else 0
        ),
        "totals": totals,
        "minutes": a.minutes(),
        "markers": a.markers(),
        "products": a.product_rows(),
        "lost_sales_method": LOST_SALES_METHOD,
        "alerts": a.alert_rows(),
        "commands": a.command_rows(),
        "hosts": hosts,
        "questions": a.question_rows(),
    }
    if hosts:
        pairs = {
            "gmv_cents": "gmv_cents",
            "orders": "orders",
            "units": "units",
            "buyers": "buyers",
            "views": "total_views",
        }
        report["hosts_add_up"] = {
            total: sum(h[key] for h in hosts) == totals.get(total) for key, total in pairs.items()
        }
    return report
