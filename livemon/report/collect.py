"""Gathering a session review: one fold of the recording with listeners that keep the record.

The recording is folded by ``replay.fold`` into a scratch hub (same engine,
detectors and command effects as live), and ``Collector`` listens on the
room: every closed second (online, orders, GMV), every order and refund
(who was on air, which product was featured, whether it was in stock), every
featured and stock change on event time, every tagged comment, every alert
change and every command. ``Review`` holds the raw record; ``analyse`` turns
it into the report's numbers.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from livemon import events as ev
from livemon import keyframes, replay
from livemon.engine.room import RoomState, TaggedComment
from livemon.engine.tags import QUESTION_TAGS

NO_HOST = "(no host)"
EXAMPLES_PER_TEXT = 60  # characters of a question kept as an example


@dataclass
class HostShare:
    """What happened while one host was on air; orders count for the host on air when
    they were taken, and a refund comes off the host who took its order."""

    orders: int = 0
    units: int = 0
    gmv_cents: int = 0
    new_buyers: int = 0  # buyers whose first order of the session came in this shift
    views: int = 0  # total_views gained during the shift
    seconds: int = 0
    viewer_s: int = 0
    online_peak: int = 0


@dataclass
class Review:
    """The raw record of one folded session."""

    room: str
    first_ts: float | None = None
    last_ts: float | None = None
    final: dict[str, Any] = field(default_factory=dict)  # the final snapshot
    # per closed second, from the first: online level, orders, GMV (refunds out while
    # still in the window), and the featured product
    first_sec: int | None = None
    online: list[int] = field(default_factory=list)
    orders: list[int] = field(default_factory=list)
    gmv: list[int] = field(default_factory=list)
    comments: list[int] = field(default_factory=list)
    # event-time changes: (ts, sku or None) and (ts, sku, out of stock?)
    featured: list[tuple[float, str | None]] = field(default_factory=list)
    stock_out: list[tuple[float, str, bool]] = field(default_factory=list)
    # per product: units and orders by second of event time (refunds taken off)
    sku_units: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    sku_orders: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    hosts: dict[str, HostShare] = field(default_factory=dict)
    host_changes: list[tuple[float, str]] = field(default_factory=list)
    questions: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    alerts: list[tuple[float, dict[str, Any]]] = field(default_factory=list)
    commands: list[dict[str, Any]] = field(default_factory=list)


class Collector:
    """Listens on one room of a scratch hub and writes the ``Review``."""

    def __init__(self, review: Review) -> None:
        self.review = review
        self.host = NO_HOST
        # order_id -> (host, qty, amount, sku, ts) while counted: a refund comes off the
        # host and the product that took the order.
        self.counted: dict[str, tuple[str, int, int, str, float]] = {}
        self.buyers: set[str] = set()
        self.out_of_stock: dict[str, bool] = {}
        self._duplicates = 0
        self._shift_views_from = 0

    def attach(self, state: RoomState) -> None:
        """Start listening on ``state`` (the review's room only)."""
        if state.room != self.review.room:
            return
        state.second_listeners.append(self.second)
        # Follow each shift the engine begins at the instant it begins (the views gained
        # until then are the shift before's). This fold is the report's own: it is
        # never pickled into a keyframe, so an instance hook is safe here.
        shifts, begin = state.shifts, state.shifts.begin

        def begin_and_follow(room: RoomState, host: str | None, ts: float) -> None:
            begin(room, host, ts)
            self.follow(room)

        shifts.begin = begin_and_follow  # type: ignore[method-assign, assignment]
        state.comment_listeners.append(self.comment)
        state.on_event(ev.Order, self.order)
        state.on_event(ev.Refund, self.refund)
        state.on_event(ev.Featured, self.featured)
        for kind in (ev.Order, ev.Stock, ev.Product):
            state.on_event(kind, self.stock)

    def share(self, host: str | None = None) -> HostShare:
        """The record of ``host`` (default: the host on air now)."""
        host = self.host if host is None else host
        share = self.review.hosts.get(host)
        if share is None:
            share = self.review.hosts[host] = HostShare()
        return share

    def host_changed(self, name: str, clock: float | None, state: RoomState | None) -> None:
        """A ``host`` command took effect at ``clock``: later orders count for ``name``."""
        self.close(state)
        self.host = name
        self.review.host_changes.append((clock if clock is not None else 0.0, name))

    def follow(self, state: RoomState) -> None:
        """The engine began a shift (``ShiftBook.begin``: a scheduled change of the session
        plan as the clock reaches it, or a ``host`` command): later orders count for its
        host. The session's first shift names no host; a host set before it still holds."""
        shift = state.shifts.current
        if shift is None or (shift.host is None and not state.shifts.ended):
            return
        name = NO_HOST if shift.host is None else shift.host
        if name != self.host:
            self.host_changed(name, shift.since, state)

    def close(self, state: RoomState | None) -> None:
        """The shift on air ends here: it gets the views gained since it began."""
        views = state.total_views if state is not None else 0
        self.share().views += views - self._shift_views_from
        self._shift_views_from = views

    # -- listeners -------------------------------------------------------------------

    def second(self, state: RoomState, sec: int) -> None:
        r = self.review
        if r.first_sec is None:
            r.first_sec = sec
        w = state.windows
        online = w["viewer_s"].at(sec)
        r.online.append(online)
        r.orders.append(w["orders"].at(sec))
        r.gmv.append(w["gmv"].at(sec))
        r.comments.append(w["comments"].at(sec))
        share = self.share()
        share.seconds += 1
        share.viewer_s += online
        share.online_peak = max(share.online_peak, online)

    def order(self, state: RoomState, e: ev.Order, sec: int) -> None:
        if state.duplicate_orders != self._duplicates:
            self._duplicates = state.duplicate_orders
            return  # not counted by the engine either
        amount = e.qty * e.price_cents
        self.counted[e.order_id] = (self.host, e.qty, amount, e.sku, e.ts)
        share = self.share()
        share.orders += 1
        share.units += e.qty
        share.gmv_cents += amount
        if e.buyer not in self.buyers:
            self.buyers.add(e.buyer)
            share.new_buyers += 1
        self.review.sku_units[e.sku][int(e.ts)] += e.qty
        self.review.sku_orders[e.sku][int(e.ts)] += 1

    def refund(self, state: RoomState, e: ev.Refund, sec: int) -> None:
        host, qty, amount, sku, ts = self.counted.pop(e.order_id)
        share = self.share(host)
        share.orders -= 1
        share.units -= qty
        share.gmv_cents -= amount
        self.review.sku_units[sku][int(ts)] -= qty
        self.review.sku_orders[sku][int(ts)] -= 1

    def featured(self, state: RoomState, e: ev.Featured, sec: int) -> None:
        self.review.featured.append((e.ts, e.sku))

    def stock(self, state: RoomState, e: Any, sec: int) -> None:
        product = state.products.get(e.sku)
        if product is None or product.stock is None:
            return
        out = product.stock == 0
        if out != self.out_of_stock.get(e.sku, False):
            self.out_of_stock[e.sku] = out
            self.review.stock_out.append((e.ts, e.sku, out))

    def comment(self, state: RoomState, tagged: list[TaggedComment]) -> None:
        for _, comment, tags in tagged:
            text = comment.text[:EXAMPLES_PER_TEXT].strip()
            for tag in tags:
                if tag in QUESTION_TAGS:
                    self.review.questions[tag][text] += 1


def collect(
    path: Path, room: str, config: Any, progress: Callable[[float], None] | None = None
) -> Review:
    """Fold ``room``'s recording once and gather its ``Review``."""
    hub, scratch = keyframes.scratch_hub(config)
    review = Review(room)
    collector = Collector(review)
    attach_hub = hub.engine.on_new_room

    def on_new_room(state: RoomState) -> None:
        attach_hub(state)
        collector.attach(state)

    hub.engine.on_new_room = on_new_room
    size = max(1, path.stat().st_size)
    try:
        for n, (offset, kind, command, result, clock) in enumerate(replay.fold(hub, path, room)):
            state = hub.engine.rooms.get(room)
            if kind == "command":
                review.commands.append(
                    {
                        **command,
                        "ok": bool(result.get("ok")),
                        "detail": result.get("detail", ""),
                        "ts": clock,
                    }
                )
                name = str((command.get("args") or {}).get("name"))
                if (
                    result.get("ok")
                    and command.get("action") == "host"
                    and (name != collector.host)
                ):  # (before the first event: the engine has no shift to begin yet)
                    collector.host_changed(name, clock, state)
            review.alerts += hub.take_alert_changes()
            if state is not None and state.new_comments and n % 64 == 0:
                state.new_comments.clear()  # nobody reads them here (no consoles)
            if clock is not None:
                if review.first_ts is None:
                    review.first_ts = clock
                review.last_ts = clock
            if progress is not None and n % 512 == 0:
                progress(offset / size)
        state = hub.engine.rooms.get(room)
        if state is None:
            raise ValueError(f"{path} has no events of room {room!r}: nothing to report")
        # Seconds still open at the end close now, so the curves reach the last event.
        last = state.newest_sec
        if last is not None and state.closed_sec is not None and last > state.closed_sec:
            for sec in range(state.closed_sec + 1, last + 1):
                for listener in state.second_listeners:
                    if listener == collector.second:
                        listener(state, sec)
        collector.close(state)
        review.alerts += hub.take_alert_changes()
        review.final = hub.snapshot(room)
        if progress is not None:
            progress(1.0)
        return review
    finally:
        hub.catalog.close()
        scratch.cleanup()
