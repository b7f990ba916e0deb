"""Per-room wiring of the detectors onto ``RoomState``'s hooks, driving the alert lifecycle.

``Monitor`` is the engine's ``on_new_room`` hook: it gives each room a
``RoomMonitor``, which listens to closed seconds (conversion, viewers,
comment surge, stream trouble, stock_low upkeep) and to events (stock_out,
oversell and stock_low within the event's own time). Everything stays pure
and on event time, except ``RoomMonitor.adapter``, which the hub calls with
the wall clock (``adapter_down``).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from typing import Any

import msgspec

from livemon import events as ev
from livemon.config import DetectConfig, Section, coerce_detect
from livemon.detect.adapter_down import AdapterDownDetector
from livemon.detect.comment_surge import CommentSurgeDetector
from livemon.detect.conversion_drop import ConversionDropDetector
from livemon.detect.lifecycle import AlertBook
from livemon.detect.oversell import OversellDetector
from livemon.detect.stock_low import StockLowDetector
from livemon.detect.stock_out import StockOutDetector
from livemon.detect.tech_issue import TechIssueDetector
from livemon.detect.viewer_drop import ViewerDropDetector
from livemon.engine.room import ProductState, RoomState
from livemon.engine.tags import QUESTION_TAGS, TECH_TAGS
from livemon.engine.window import KeyCounts

# Stock alerts follow the stock itself: a restock resolves them at once.
IMMEDIATE_KINDS = ("stock_out", "stock_low", "oversell", "adapter_down")
SAMPLE_QUESTIONS = 3
REFRESH_S = 5  # seconds of event time between evidence refreshes of an ongoing alert


def _params(cfg: Section, cls: type) -> dict[str, Any]:
    """The settings of a config section that ``cls`` takes as hyper-parameters."""
    import inspect

    names = set(inspect.signature(cls.__init__).parameters) - {"self"}
    return {k: v for k, v in msgspec.structs.asdict(cfg).items() if k in names}


def _rounded(evidence: dict[str, float]) -> dict[str, float]:
    return {k: round(v, 3) for k, v in evidence.items()}


class RoomMonitor:
    """The detectors of one room and its ``AlertBook``."""

    def __init__(self, state: RoomState,
                 config: DetectConfig | Mapping[str, Any] | None = None) -> None:  # fmt: skip
        cfg = coerce_detect(config)
        self.state = state
        self.book = AlertBook(state.room, cfg.lifecycle.min_open_s,
                              dict.fromkeys(IMMEDIATE_KINDS, 0.0))  # fmt: skip
        conv = cfg.conversion_drop
        self.conversion = ConversionDropDetector(**_params(conv, ConversionDropDetector))
        self.coupon = {"discount_cents": conv.coupon_discount_cents, "count": conv.coupon_count}
        self.viewers = ViewerDropDetector(**_params(cfg.viewer_drop, ViewerDropDetector))
        surge = cfg.comment_surge
        self.surge = CommentSurgeDetector(**_params(surge, CommentSurgeDetector))
        self.tech = TechIssueDetector(**_params(cfg.tech_issue, TechIssueDetector))
        self.adapter_down = AdapterDownDetector(**_params(cfg.adapter_down, AdapterDownDetector))
        stock = cfg.stock
        self.stock_cfg = {"eta_s": stock.low_eta_s, "floor": stock.low_floor,
                          "clear_factor": stock.clear_factor}  # fmt: skip
        self._low_floor, self._low_eta_s = stock.low_floor, stock.low_eta_s
        self.restock_minutes = stock.restock_minutes
        self.low: dict[str, StockLowDetector] = {}
        self.out: dict[str, StockOutDetector] = {}
        self.oversell: dict[str, OversellDetector] = {}
        self.known_stock: dict[str, int | None] = {}  # stock before the next order
        self._duplicates = 0
        # Tagged comments wait for their second to close, then count in a window.
        self._pending: dict[int, list[dict[str, Any]]] = {}
        self._questions: deque[str] = deque(maxlen=SAMPLE_QUESTIONS)
        self._tags = KeyCounts(surge.window_s)
        w = state.windows
        self._w_orders, self._w_viewer_s = w["orders"], w["viewer_s"]
        self._w_comments = w["comments"]
        self.wire()

    def wire(self) -> None:
        """Attach the detectors to the room's hooks (at creation, and on a keyframe restore)."""
        state = self.state
        state.second_listeners.append(self.second)
        for kind, listener in ((ev.Order, self._order), (ev.Stock, self._stock),
                               (ev.Product, self._stock)):  # fmt: skip
            state.on_event(kind, listener)
        state.comment_listeners.append(self._tagged)

    # -- closed seconds -----------------------------------------------------

    def second(self, state: RoomState, sec: int) -> None:
        """Feed closed second ``sec`` to the per-second detectors and sync their alerts."""
        orders = self._w_orders.at(sec)
        viewer_s = self._w_viewer_s.at(sec)
        ts = float(sec + 1)  # the alert uses data up to the end of this second
        tagged = self._pending.pop(sec, None)
        if tagged:
            self._take_tags(sec, tagged)
        if self._tags.entries:
            self._tags.expire(sec)
        featured = state.products.get(state.featured) if state.featured else None
        conv = self.conversion
        if featured is not None and featured.stock == 0:
            conv.skip()  # the stock-out explains the fall; stock_out is the alert for it
        elif state.coupons and state.coupon_live(ts):
            # A coupon lifts orders for a while: judging conversion against a
            # coupon-free baseline, or learning the lift as normal, would both
            # raise a false drop when it ends. Coupon seconds are left out.
            conv.skip()
        else:
            conv.update(sec, orders, viewer_s)
        self.viewers.update(sec, viewer_s)
        self.surge.update(sec, self._w_comments.at(sec), viewer_s)
        self.tech.update(sec)
        active = self.book.active
        if not active and not (conv.alarm or self.viewers.alarm or self.surge.alarm
                               or self.tech.alarm):  # fmt: skip
            return  # the usual quiet second: nothing to open, refresh or clear
        refresh = sec % REFRESH_S == 0
        if self._due("conversion_drop", conv, active, refresh):
            self._sync_conversion(ts)
        if self._due("viewer_drop", self.viewers, active, refresh):
            self._sync("viewer_drop", self.viewers, ts, self._viewer_detail)
        if self._due("comment_surge", self.surge, active, refresh):
            self._sync("comment_surge", self.surge, ts, self._surge_detail, self._surge_suggest)
        if self._due("tech_issue", self.tech, active, refresh):
            self._sync("tech_issue", self.tech, ts, self._tech_detail, self._tech_suggest)
        if refresh:
            for sku in [s for kind, s in active if kind == "stock_low"]:
                self._check_low(state, state.products[sku], ts, sec)

    @staticmethod
    def _due(kind: str, detector, active: dict, refresh: bool) -> bool:
        """Whether the alert of ``kind`` needs syncing with its detector this second.

        Opening, escalating and clearing are never late; an ongoing alert's
        evidence is refreshed every ``REFRESH_S`` seconds of event time rather
        than every second, which is most of the per-second cost in quiet rooms.
        """
        alert = active.get((kind, None))
        if alert is None:
            return detector.alarm
        if not detector.alarm or refresh:
            return True
        return detector.severity == "crit" and alert["severity"] != "crit"

    def _sync(self, kind: str, detector, ts: float, detail, suggest=None) -> None:
        if detector.alarm:
            advice = suggest() if suggest else None
            self.book.update(kind, None, detector.severity, ts, detector.onset, detail(),
                             _rounded(detector.evidence), advice)  # fmt: skip
        else:
            self.book.clear(kind, None, ts)

    def _sync_conversion(self, ts: float) -> None:
        conv = self.conversion
        if not conv.alarm:
            self.book.clear("conversion_drop", None, ts)
            return
        e = conv.evidence
        detail = (
            f"orders per 1k viewer-min {e['recent_per_1k_min']:.1f} vs baseline "
            f"{e['baseline_per_1k_min']:.1f} ({-e['drop']:+.0%}): consider a coupon"
        )
        self.book.update("conversion_drop", None, conv.severity, ts, conv.onset, detail,
                         _rounded(e), {"action": "coupon", "args": dict(self.coupon)})  # fmt: skip

    def _viewer_detail(self) -> str:
        e = self.viewers.evidence
        return (f"online {e['online']:.0f} is {e['drop']:.0%} below {e['reference']:.0f} "
                f"(5-min baseline {e['baseline']:.0f}, level 15-45 s ago {e['recent']:.0f})")

    def _surge_detail(self) -> str:
        e = self.surge.evidence
        asked = ", ".join(f"{t} {n}" for t, n in self._tags.counts.items() if t in QUESTION_TAGS)
        samples = " | ".join(self._questions)
        return (f"comments {e['comments_per_min']:.0f}/min, {e['ratio']:.1f}x usual"
                + (f"; questions: {asked}" if asked else "")
                + (f" — {samples}" if samples else ""))  # fmt: skip

    def _surge_suggest(self) -> dict[str, Any] | None:
        p = self.state.products.get(self.state.featured) if self.state.featured else None
        if p is None:
            return None
        text = f"{p.name}: {p.price_cents / 100:.2f} — tap the cart for the link"
        return {"action": "pin", "args": {"text": text}}

    def _tech_detail(self) -> str:
        said = ", ".join(f"{t} {n}" for t, n in self._tags.counts.items() if t in TECH_TAGS)
        return f"{self.tech.users} viewers report stream trouble ({said}): check the stream"

    @staticmethod
    def _tech_suggest() -> dict[str, Any]:
        return {"action": "mark", "args": {"label": "stream trouble reported: check the stream"}}

    def _take_tags(self, sec: int, tagged: list[dict[str, Any]]) -> None:
        for comment in tagged:
            question = False
            for tag in comment["tags"]:
                self._tags.add(sec, tag)
                if tag in TECH_TAGS:
                    self.tech.add(sec, comment["user"])
                else:
                    question = True
            if question:
                self._questions.append(comment["text"][:60])

    # -- events -------------------------------------------------------------

    def _tagged(self, state: RoomState, comment: dict[str, Any], sec: int) -> None:
        # Tagged comments wait for their second to close (the engine tags
        # them before that), so batching does not change the outcome.
        self._pending.setdefault(sec, []).append(comment)

    def _order(self, state: RoomState, e: ev.Order, sec: int) -> None:
        if state.duplicate_orders != self._duplicates:
            self._duplicates = state.duplicate_orders
            return  # not counted, stock untouched
        product = state.products[e.sku]
        before = self.known_stock.get(e.sku)
        detector = self.oversell.get(e.sku)
        if before is not None and e.qty > before and product.listed:
            if detector is None:
                detector = self.oversell[e.sku] = OversellDetector()
            detector.update(before, e.qty)
            units = detector.evidence["oversold_units"]
            self.book.update("oversell", e.sku, "crit", e.ts, e.ts,
                             f"{product.name}: {units:.0f} units ordered beyond stock",
                             _rounded(detector.evidence))  # fmt: skip
        self._check_stock(state, product, e.ts)

    def _stock(self, state: RoomState, e: ev.Stock | ev.Product, sec: int) -> None:
        product = state.products[e.sku]
        detector = self.oversell.get(e.sku)
        if detector is not None and detector.alarm and (product.stock or 0) > 0:
            detector.restocked()
            self.book.clear("oversell", e.sku, e.ts)
        self._check_stock(state, product, e.ts)

    def _check_stock(self, state: RoomState, product: ProductState, ts: float) -> None:
        sku, stock = product.sku, product.stock
        self.known_stock[sku] = stock
        if stock is None or not product.listed:
            return
        out = self.out.get(sku)
        low = self.low.get(sku)
        if (stock >= self._low_floor and (out is None or not out.alarm)
                and (low is None or not low.alarm)):  # fmt: skip
            # Fast path for the common order: neither detector is alarmed and
            # neither could alarm on these numbers, so updating them changes nothing.
            rate = product.rate_1m(state.newest_sec)  # type: ignore[arg-type]
            if rate <= 0 or stock * 60.0 >= self._low_eta_s * rate:
                return
        if out is None:
            out = self.out[sku] = StockOutDetector()
        out.update(stock, state.featured == sku)
        active = self.book.active.get(("stock_out", sku))
        if out.alarm and (active is None or active["severity"] != out.severity):
            self.book.update("stock_out", sku, out.severity, ts, ts, self._out_detail(product),
                             _rounded(out.evidence), self._out_suggest(state, product))  # fmt: skip
        elif not out.alarm and active is not None:
            self.book.clear("stock_out", sku, ts)
        self._check_low(state, product, ts, state.newest_sec)

    def _check_low(self, state: RoomState, product: ProductState, ts: float, now: int) -> None:
        sku = product.sku
        low = self.low.get(sku)
        if low is None:
            low = self.low[sku] = StockLowDetector(**self.stock_cfg)
        rate = product.rate_1m(now)
        low.update(product.stock or 0, rate)
        active = self.book.active.get(("stock_low", sku))
        if low.alarm and (active is None or active["severity"] != low.severity):
            # Only openings and escalations build a message: orders are frequent.
            eta = low.eta
            detail = f"{product.name}: {product.stock} left" + (
                f", ~{eta:.0f} s to stock-out" if eta is not None else "")  # fmt: skip
            self.book.update("stock_low", sku, low.severity, ts, None, detail,
                             _rounded(low.evidence), self._restock(product, rate))  # fmt: skip
        elif not low.alarm and active is not None:
            self.book.clear("stock_low", sku, ts)

    def _out_detail(self, product: ProductState) -> str:
        featured = self.state.featured == product.sku
        return f"{product.name} sold out" + (" while featured" if featured else "")

    def _out_suggest(self, state: RoomState, product: ProductState) -> dict[str, Any] | None:
        if state.featured != product.sku:
            return self._restock(product, product.rate_1m(state.newest_sec))
        # The best seller still in stock is the safest product to present next.
        best = max(
            (p for p in state.products.values()
             if p.sku != product.sku and p.listed and (p.stock is None or p.stock > 0)),
            key=lambda p: (p.sold, p.gmv_cents), default=None,
        )  # fmt: skip
        return None if best is None else {"action": "feature", "args": {"sku": best.sku}}

    def _restock(self, product: ProductState, rate_per_min: float) -> dict[str, Any]:
        add = max(10, round(rate_per_min * self.restock_minutes))
        return {"action": "restock", "args": {"sku": product.sku, "add": add}}

    # -- wall clock (hub only) ----------------------------------------------

    def adapter(self, now: float, last_frame: float, connected: bool, why: str = "") -> None:
        """``adapter_down`` on the wall clock: the hub calls this periodically for live rooms.

        ``why`` names the feed that is out and its detail, when the hub knows it.
        """
        d = self.adapter_down
        d.update(now, last_frame, connected, bool(self.state.live))
        if d.alarm:
            e = d.evidence
            how = "disconnected" if not connected else "silent"
            detail = f"adapter {how} for {e['silent_s']:.0f} s while live"
            self.book.update("adapter_down", None, d.severity, now, d.onset,
                             f"{detail} ({why})" if why else detail, _rounded(e))  # fmt: skip
        elif ("adapter_down", None) in self.book.active:
            self.book.clear("adapter_down", None, now)


class Monitor:
    """The engine's ``on_new_room`` hook: a ``RoomMonitor`` for every room, by name."""

    def __init__(self, config: DetectConfig | Mapping[str, Any] | None = None) -> None:
        self.config = coerce_detect(config)
        self.rooms: dict[str, RoomMonitor] = {}

    def __call__(self, state: RoomState) -> None:
        self.rooms[state.room] = RoomMonitor(state, self.config)

    def drain(self) -> list[tuple[float, dict[str, Any]]]:
        """Every room's queued alert changes, room by room in order."""
        out: list[tuple[float, dict[str, Any]]] = []
        for monitor in self.rooms.values():
            if monitor.book.changes:
                out += monitor.book.drain()
        return out
