"""Per-room wiring of the detectors onto ``RoomState``'s hooks, driving the alert lifecycle.

``Monitor`` is the engine's ``on_new_room`` hook: it gives each room a
``RoomMonitor``, which listens to closed seconds (conversion, viewers,
comment surge, stream trouble, stock_low upkeep) and to events (stock_out,
oversell and stock_low within the event's own time). Everything stays pure
and on event time, except ``RoomMonitor.adapter``, which the hub calls with
the wall clock (``adapter_down``).
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Mapping
from itertools import groupby
from operator import itemgetter
from typing import Any

from livemon import events as ev
from livemon.config import DetectConfig, coerce_detect
from livemon.detect.adapter_down import AdapterDownDetector
from livemon.detect.base import Second, SecondDetector, StockDetector, settings_for
from livemon.detect.comment_surge import CommentSurgeDetector
from livemon.detect.conversion_drop import ConversionDropDetector
from livemon.detect.lifecycle import AlertBook
from livemon.detect.oversell import OversellDetector
from livemon.detect.rules import TEN_MIN_S, Rule, RuleDetector, RuleInputs, compile_rules
from livemon.detect.stock_low import StockLowDetector
from livemon.detect.stock_out import StockOutDetector
from livemon.detect.tech_issue import TechIssueDetector
from livemon.detect.viewer_drop import ViewerDropDetector
from livemon.engine.room import ProductState, RoomState, TaggedComment
from livemon.engine.tags import TECH_TAGS
from livemon.engine.window import KeyCounts
from livemon.events import MAX_TOTAL

# Stock alerts follow the stock itself: a restock resolves them at once.
IMMEDIATE_KINDS = ("stock_out", "stock_low", "oversell", "adapter_down")
SAMPLE_QUESTIONS = 3
REFRESH_S = 5  # seconds of event time between evidence refreshes of an ongoing alert
_NEVER = 1 << 62  # a second later than any: no tag waits to leave the window
_second_of = itemgetter(0)  # of a TaggedComment


def _minutes_covering(eta_s: float) -> int:
    """The fewest whole minutes ``k`` with ``k * 60 >= eta_s``.

    Then ``stock >= k * units`` (whole numbers, all below 2**53 so exact as
    floats) gives ``stock * 60.0 >= eta_s * units`` in floats too, as rounding
    keeps order: a stock that lasts k minutes at the trailing minute's rate is
    not low. With the default 120 s it is the same test.

    >>> _minutes_covering(120.0), _minutes_covering(120.5), _minutes_covering(0.5)
    (2, 3, 1)
    >>> _minutes_covering(math.inf) > MAX_TOTAL  # no stock passes once a unit has sold
    True
    """
    if not eta_s < MAX_TOTAL * 60.0:
        return MAX_TOTAL + 1
    k = max(1, math.ceil(eta_s / 60))
    while k * 60 < eta_s:  # the division may have rounded down
        k += 1
    return k


def _rounded(evidence: dict[str, float]) -> dict[str, float]:
    """Every number to 3 decimals. A whole float is its own rounding: kept as it is, as
    ``round`` (~0.25 us each) would return it (counts are a good share of evidence)."""
    return {k: v if type(v) is float and v.is_integer() else round(v, 3)
            for k, v in evidence.items()}  # fmt: skip


class RoomMonitor:
    """The detectors of one room and its ``AlertBook``."""

    def __init__(self, state: RoomState, config: DetectConfig | Mapping[str, Any] | None = None,
                 rules: list[Rule] | None = None) -> None:  # fmt: skip
        cfg = coerce_detect(config)
        self.state = state
        self.book = AlertBook(state.room, cfg.lifecycle.min_open_s,
                              dict.fromkeys(IMMEDIATE_KINDS, 0.0))  # fmt: skip
        self.restock_minutes = cfg.stock.restock_minutes
        self.conversion = ConversionDropDetector(
            **settings_for(ConversionDropDetector, cfg.conversion_drop),
            restock_minutes=self.restock_minutes,
        )
        self.viewers = ViewerDropDetector(**settings_for(ViewerDropDetector, cfg.viewer_drop))
        surge = cfg.comment_surge
        self.surge = CommentSurgeDetector(**settings_for(CommentSurgeDetector, surge))
        self.tech = TechIssueDetector(**settings_for(TechIssueDetector, cfg.tech_issue))
        self.adapter_down = AdapterDownDetector(
            **settings_for(AdapterDownDetector, cfg.adapter_down)
        )
        stock = cfg.stock
        self.stock_cfg = {"eta_s": stock.low_eta_s, "floor": stock.low_floor,
                          "clear_factor": stock.clear_factor,
                          "restock_minutes": stock.restock_minutes}  # fmt: skip
        self._low_floor, self._low_eta_s = stock.low_floor, float(stock.low_eta_s)
        self._eta_k = _minutes_covering(self._low_eta_s)
        self.low: dict[str, StockLowDetector] = {}
        self.out: dict[str, StockOutDetector] = {}
        self.oversell: dict[str, OversellDetector] = {}
        self.known_stock: dict[str, int | None] = {}  # stock before the next order
        self._duplicates = 0
        # Tagged comments wait for their second to close, then count in a window.
        self._pending: dict[int, list[TaggedComment]] = {}
        self._questions: deque[str] = deque(maxlen=SAMPLE_QUESTIONS)
        self._tags = KeyCounts(surge.window_s)
        self._tags_leave = _NEVER  # the closed second at which the oldest tag leaves the window
        w = state.windows
        self._w_orders, self._w_viewer_s = w["orders"], w["viewer_s"]
        self._w_comments = w["comments"]
        if rules is None:
            rules = compile_rules(cfg.rules)
        self._rules = rules
        self._wire_per_second()
        # A gap in event time longer than every detector's window leaves no baseline
        # worth judging the room by (a session resumed hours later, an adapter back
        # after a long outage): the per-second detectors then start again.
        self.restart_gap_s = max(cfg.viewer_drop.baseline_s, cfg.conversion_drop.half_life_s,
                                 cfg.comment_surge.baseline_s, cfg.tech_issue.window_s,
                                 TEN_MIN_S if rules else 0)  # fmt: skip
        self._last_sec: int | None = None  # the newest second fed to the detectors
        self._fresh_from = 0  # seconds before this one were filled in over a gap: skipped
        # kind -> (since, evidence) of the newest alert opened per kind.
        self.opened: dict[str, tuple[float, dict[str, float]]] = {}
        self._second = Second(0, 0, 0.0, 0, state, False, self._tags, self._questions, self.opened,
                              w["viewer_s"])  # fmt: skip
        self._coupon_stale, self._coupon_now, self._coupon_until = True, False, math.inf
        self.wire()

    def _wire_per_second(self) -> None:
        """Every per-second detector, in the order they see a second: the viewer drop
        before the conversion drop, which may name it as cause."""
        self.per_second: list[SecondDetector] = [self.viewers, self.conversion, self.surge,
                                                 self.tech]  # fmt: skip
        self._rule_detectors: list[SecondDetector] = []
        if self._rules:
            inputs = RuleInputs(self._rules)  # once a second for all of this room's rules
            self._rule_detectors = [RuleDetector(rule, inputs) for rule in self._rules]
            self.per_second += self._rule_detectors
        self._levels_read = self.viewers.reads(self._w_viewer_s)
        self._read_second = bool(self._rule_detectors) or not self._levels_read
        self._keys = [(detector.kind, None) for detector in self.per_second]  # their alerts
        self._key_set = frozenset(self._keys)
        self._pairs = list(zip(self.per_second, self._keys, strict=True))

    def _restart(self, state: RoomState) -> None:
        """Start the per-second detectors again after a gap (their open alerts clear at the
        next second, when they are synced with the new detectors)."""
        self.viewers = self.viewers.clone()  # type: ignore[assignment]
        self.conversion = self.conversion.clone()  # type: ignore[assignment]
        self.surge = self.surge.clone()  # type: ignore[assignment]
        self.tech = self.tech.clone()  # type: ignore[assignment]
        self._wire_per_second()
        # The seconds the clock jumped over carry the level held from before the gap
        # (no event came in them): the new baselines start at the first real one.
        self._fresh_from = state.newest_sec or 0

    def wire(self) -> None:
        """Attach the detectors to the room's hooks (at creation, and on a keyframe restore)."""
        state = self.state
        state.second_listeners.append(self.second)
        for kind, listener in ((ev.Order, self._order), (ev.Stock, self._stock),
                               (ev.Product, self._stock), (ev.Coupon, self._coupon)):  # fmt: skip
            state.on_event(kind, listener)
        self._coupon_stale = True
        state.comment_listeners.append(self._tagged)

    # -- closed seconds -----------------------------------------------------

    def second(self, state: RoomState, sec: int) -> None:
        """Feed closed second ``sec`` to every per-second detector and sync their alerts."""
        if self._pending:
            tagged = self._pending.pop(sec, None)
            if tagged:
                self._take_tags(sec, tagged)
        if sec >= self._tags_leave:  # (one compare: this runs every second)
            self._expire_tags(sec)
        last, self._last_sec = self._last_sec, sec
        if last is not None and sec != last + 1:  # the clock jumped: how long was the room quiet?
            if (state.newest_sec or sec) - last > self.restart_gap_s:
                self._restart(state)
        if sec < self._fresh_from:
            return
        # A closed second always lies inside the windows, so its buckets are read
        # directly (``Rolling.at`` checks what cannot happen here).
        w = self._w_orders
        orders = w.buckets[sec % w.span]
        levels = self._w_viewer_s
        viewer_s = levels.buckets[sec % levels.span]
        w = self._w_comments
        comments = w.buckets[sec % w.span]
        coupon_live = bool(state.coupons) and self._coupon_live(state, sec + 1.0)
        # One Second per room (no detector keeps it), for the alerts' words and the
        # rules: refilled before the detectors if one reads it, else only when an
        # alert may need words (not in the usual quiet second).
        filled = self._read_second
        if filled:
            self._fill_second(sec, orders, viewer_s, comments, coupon_live)
        s = self._second
        # The built-in detectors take the numbers directly, as their ``observe``
        # would read them from ``s``: this runs every second of every room. The
        # online level goes in as a float, so their arithmetic takes the
        # interpreter's float-only fast paths; the numbers are the same, as
        # Python converts a whole number exactly below 2**53 (``MAX_ONLINE``).
        online = float(viewer_s)
        viewers = self.viewers
        if self._levels_read:
            alarmed = viewers.step(sec, online, levels)
        else:
            viewers.observe(s)
            alarmed = viewers._alarm
        if self.conversion.step(state, sec, orders, online, coupon_live):
            alarmed = True
        if self.surge.step(sec, comments, online):
            alarmed = True
        if self.tech.step(sec):
            alarmed = True
        for detector in self._rule_detectors:
            detector.observe(s)
            if detector._alarm:
                alarmed = True
        active = self.book.active
        if not alarmed:
            if not active:
                return  # the usual quiet second: nothing to open, refresh or clear
            if self._key_set.isdisjoint(active):  # one C loop over the few open alerts
                if sec % REFRESH_S == 0:
                    self._refresh_low(state, active, sec)
                return  # only stock alerts are open: nothing per second to sync
        if not filled:
            self._fill_second(sec, orders, viewer_s, comments, coupon_live)
        refresh = sec % REFRESH_S == 0
        for detector, key in self._pairs:
            alert = active.get(key)
            if alert is None:
                if detector._alarm:
                    self._sync(detector, s)  # opens
            elif not detector._alarm:
                self.book.clear(detector.kind, None, s.ts)
            elif detector._severity == "crit" and alert["severity"] != "crit":
                self._sync(detector, s)  # escalates
            elif refresh:
                # An ongoing alert's evidence is refreshed every ``REFRESH_S``
                # seconds of event time; its detail and suggestion stay those of
                # its opening or escalation (``AlertBook.update`` keeps them), so
                # only the numbers are built here.
                alert["evidence"] = _rounded({**detector.evidence, **detector.context(s)})
        if refresh:
            self._refresh_low(state, active, sec)

    def _fill_second(self, sec: int, orders: int, viewer_s: float, comments: int,
                     coupon_live: bool) -> None:  # fmt: skip
        """Refill the room's ``Second`` with closed second ``sec``'s numbers."""
        s = self._second
        s.sec, s.orders, s.viewer_s, s.comments, s.coupon_live = (
            sec, orders, viewer_s, comments, coupon_live)  # fmt: skip

    def _refresh_low(self, state: RoomState, active: dict, sec: int) -> None:
        """Every ``REFRESH_S``: the open stock_low alerts follow their product's selling rate."""
        for sku in [k for kind, k in active if kind == "stock_low"]:
            product, low = state.products[sku], self.low.get(sku)
            if (low is not None and product.units_1m.total == 0 and low._rate == 0.0
                    and product.stock == low._stock):  # fmt: skip
                continue  # no sale in the window, as at the last look: nothing can change
            self._check_low(state, product, sec + 1.0)

    def _coupon_live(self, state: RoomState, ts: float) -> bool:
        """``state.coupon_live(ts)``, recomputed only when its answer can have changed.

        It changes with a coupon event or an order that uses a coupon (both
        mark it stale) and when a coupon expires (the earliest expiry after
        the last answer is kept), so a room that once ran a flash sale does
        not scan its coupons every second for the rest of the show.
        """
        if self._coupon_stale or ts >= self._coupon_until:
            self._coupon_stale = False
            self._coupon_now = state.coupon_live(ts)
            self._coupon_until = min((c.expires_ts for c in state.coupons.values()
                                      if c.expires_ts is not None and c.expires_ts > ts),
                                     default=math.inf)  # fmt: skip
        return self._coupon_now

    def _sync(self, detector: SecondDetector, s: Second) -> None:
        """Open, escalate, refresh or clear ``detector``'s alert, in the detector's own words."""
        kind, ts = detector.kind, s.ts
        if not detector.alarm:
            self.book.clear(kind, None, ts)
            return
        evidence = _rounded({**detector.evidence, **detector.context(s)})
        opening = (kind, None) not in self.book.active
        self.book.update(kind, None, detector.severity, ts, detector.onset,  # type: ignore[arg-type]
                         detector.detail(s), evidence, detector.suggest(s))  # fmt: skip
        if opening:
            self.opened[kind] = (ts, evidence)

    def _take_tags(self, sec: int, tagged: list[TaggedComment]) -> None:
        """The tags of the comments of closed second ``sec`` enter the window; complaints go to
        ``tech_issue``, questions to the samples."""
        entries, counts = self._tags.entries, self._tags.counts  # ``KeyCounts.add``, inlined
        for _, comment, tags in tagged:
            question = False
            for tag in tags:
                entries.append((sec, tag))
                counts[tag] = counts.get(tag, 0) + 1
                if tag in TECH_TAGS:
                    self.tech.add(sec, comment.user)
                else:
                    question = True
            if question:
                self._questions.append(comment.text[:60])
        if self._tags_leave == _NEVER:
            self._tags_leave = sec + self._tags.span

    def _expire_tags(self, sec: int) -> None:
        """Tags older than the window ending at closed second ``sec`` leave it."""
        tags = self._tags
        tags.expire(sec)
        self._tags_leave = tags.entries[0][0] + tags.span if tags.entries else _NEVER

    # -- events -------------------------------------------------------------

    def _tagged(self, state: RoomState, tagged: list[TaggedComment]) -> None:
        # Tagged comments wait for their second to close (the engine tags
        # them before that), so batching does not change the outcome. A pass's
        # comments come in runs of one second: one list operation per run.
        pending = self._pending
        for sec, run in groupby(tagged, _second_of):
            waiting = pending.get(sec)
            if waiting is None:
                pending[sec] = list(run)
            else:
                waiting += run

    def _coupon(self, state: RoomState, e: ev.Coupon, sec: int) -> None:
        self._coupon_stale = True  # a new or re-issued coupon: ask again

    def _order(self, state: RoomState, e: ev.Order, sec: int) -> None:
        """Oversell, stock_out and stock_low after a counted order, within its own time.

        The usual order can change no alert, so it is settled here at the cost of a
        few reads (orders are a fifth of a big room's events); the rest take
        ``_check_stock``, which decides the same way.
        """
        if e.coupon is not None:
            self._coupon_stale = True  # one use fewer left
        if state.duplicate_orders != self._duplicates:
            self._duplicates = state.duplicate_orders
            return  # not counted, stock untouched
        sku = e.sku
        product = state.products[sku]
        known = self.known_stock
        before = known.get(sku)
        if before is not None and e.qty > before and product.listed:
            detector = self.oversell.get(sku)
            if detector is None:
                detector = self.oversell[sku] = OversellDetector()
            detector.observe(product, state, e.qty, before)
            self.book.update("oversell", sku, "crit", e.ts, e.ts,
                             detector.detail(product, state),
                             _rounded(detector.evidence))  # fmt: skip
        stock = product.stock
        if stock is not None and stock >= self._low_floor and product.listed:
            # ``_check_stock``'s fast path, inlined: neither detector is alarmed and
            # neither could alarm on these numbers, so updating them changes nothing.
            out = self.out.get(sku)
            if out is None or not out._alarm:
                low = self.low.get(sku)
                if low is None or not low._alarm:
                    # In whole numbers: stock >= k x units sold in the trailing minute
                    # implies _check_stock's float test (see ``_minutes_covering``).
                    units = product.units_1m  # the engine advanced it to this order
                    if units.newest == state.newest_sec and stock >= self._eta_k * units.total:
                        known[sku] = stock
                        return
        self._check_stock(state, product, e.ts)

    def _stock(self, state: RoomState, e: ev.Stock | ev.Product, sec: int) -> None:
        product = state.products[e.sku]
        detector = self.oversell.get(e.sku)
        if detector is not None and detector.alarm:
            detector.observe(product, state)
            if not detector.alarm:
                self.book.clear("oversell", e.sku, e.ts)
        self._check_stock(state, product, e.ts)

    def _check_stock(self, state: RoomState, product: ProductState, ts: float) -> None:
        sku, stock = product.sku, product.stock
        self.known_stock[sku] = stock
        if stock is None or not product.listed:
            return
        out = self.out.get(sku)
        low = self.low.get(sku)
        if (stock >= self._low_floor and (out is None or not out._alarm)
                and (low is None or not low._alarm)):  # fmt: skip
            # Fast path for the common order: neither detector is alarmed and
            # neither could alarm on these numbers, so updating them changes nothing.
            units = product.units_1m  # the engine advanced it to this order: read it as is
            now = state.newest_sec
            rate = float(units.total) if units.newest == now else product.rate_1m(now)  # type: ignore[arg-type]
            if rate <= 0 or stock * 60.0 >= self._low_eta_s * rate:
                return
        if out is None:
            out = self.out[sku] = StockOutDetector(self.restock_minutes)
        out.observe(product, state)
        self._sync_stock(out, product, state, ts, onset=ts)
        self._check_low(state, product, ts)

    def _check_low(self, state: RoomState, product: ProductState, ts: float) -> None:
        low = self.low.get(product.sku)
        if low is None:
            low = self.low[product.sku] = StockLowDetector(**self.stock_cfg)
        low.observe(product, state)
        self._sync_stock(low, product, state, ts)

    def _sync_stock(self, detector: StockDetector, product: ProductState, state: RoomState,
                    ts: float, onset: float | None = None) -> None:  # fmt: skip
        """Open or escalate (with the detector's words) or clear a stock alert of ``product``.

        Only openings and escalations build a message: orders are frequent.
        """
        kind, sku = detector.kind, product.sku
        active = self.book.active.get((kind, sku))
        if detector.alarm and (active is None or active["severity"] != detector.severity):
            if active is not None and active["severity"] == "crit":
                # Back to warn: the book keeps crit and only takes the numbers.
                active["evidence"] = _rounded(detector.evidence)
                return
            self.book.update(kind, sku, detector.severity, ts, onset,  # type: ignore[arg-type]
                             detector.detail(product, state), _rounded(detector.evidence),
                             detector.suggest(product, state))  # fmt: skip
        elif not detector.alarm and active is not None:
            self.book.clear(kind, sku, ts)

    # -- wall clock (hub only) ----------------------------------------------

    def adapter(self, now: float, last_frame: float, connected: bool, why: str = "") -> None:
        """``adapter_down`` on the wall clock: the hub calls this periodically for live rooms.

        ``why`` names the feed that is out and its detail, when the hub knows it.
        """
        d = self.adapter_down
        d.observe(now, last_frame, connected, bool(self.state.live))
        if d.alarm:
            self.book.update("adapter_down", None, d.severity, now, d.onset,  # type: ignore[arg-type]
                             d.detail(why), _rounded(d.evidence))  # fmt: skip
        elif ("adapter_down", None) in self.book.active:
            self.book.clear("adapter_down", None, now)


class Monitor:
    """The engine's ``on_new_room`` hook: a ``RoomMonitor`` for every room, by name."""

    def __init__(self, config: DetectConfig | Mapping[str, Any] | None = None) -> None:
        self.config = coerce_detect(config)
        # A bad rule is refused here, at start, before any event is folded.
        self.rules = compile_rules(self.config.rules)
        self.rooms: dict[str, RoomMonitor] = {}

    def __call__(self, state: RoomState) -> None:
        self.rooms[state.room] = RoomMonitor(state, self.config, self.rules)

    def drain(self) -> list[tuple[float, dict[str, Any]]]:
        """Every room's queued alert changes, room by room in order."""
        out: list[tuple[float, dict[str, Any]]] = []
        for monitor in self.rooms.values():
            if monitor.book.changes:
                out += monitor.book.drain()
        return out
