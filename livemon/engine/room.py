"""The state of one live room, folded one event at a time on event time."""

from __future__ import annotations

import hashlib
import math
from bisect import bisect_right
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Any

import numpy as np

from livemon import events as ev
from livemon.engine.shifts import ShiftBook
from livemon.engine.tags import tag_batch
from livemon.engine.window import Rolling
from livemon.events import MAX_TOTAL, EventError

_text_of = attrgetter("text")

_NEVER = 1 << 62  # a second later than any: nothing waits to be tagged
COMMENTS_KEPT = 200  # newest comments a room keeps for consoles (the hub shows 50 a tick)
LATENESS_S = 5.0  # docs/protocol.md: events may arrive up to 5 s of event time late
WINDOW_S = 60
REFUND_WINDOW_S = 3600  # default of [session] refund_window_s
# The room's trailing-minute windows of WINDOW_S buckets (viewer_s has one more).
_MINUTE_WINDOWS = ("enters", "comments", "likes", "orders", "units", "gmv")


@dataclass(slots=True)
class ProductState:
    """One product's listing and sales; ``units_1m`` is lazily advanced."""

    sku: str
    name: str
    price_cents: int = 0
    stock: int | None = None
    sold: int = 0
    gmv_cents: int = 0
    clicks: int = 0
    listed: bool = True
    index: int = 0  # place in the room's listing order (orders refer to it)
    units_1m: Rolling = field(default_factory=Rolling)

    def rate_1m(self, now_sec: int) -> float:
        """Units sold in the trailing minute (a plain window, not smoothed)."""
        return float(self.units_1m.sum_at(now_sec))

    def eta_s(self, now_sec: int) -> float | None:
        """Seconds to stock-out at the trailing-minute rate; None when not selling."""
        return self.eta_at(self.rate_1m(now_sec))

    def eta_at(self, rate: float) -> float | None:
        """``eta_s`` at the trailing-minute ``rate`` already read."""
        if rate <= 0 or self.stock is None:
            return None
        return round(self.stock * 60.0 / rate, 1)


_QTY_BITS, _PRICE_BITS, _INDEX_BITS = 24, 48, 16


def pack_order(index: int, qty: int, price: int, sec: int) -> int | tuple[int, int, int, int]:
    """An order kept for refunds, as one int (~40 bytes instead of ~130 for a tuple).

    Values too large for their bits stay a tuple; ``unpack_order`` reads both.
    ``RoomState._order`` inlines this: keep the two alike.

    >>> unpack_order(pack_order(3, 2, 1999, 1_764_000_123))
    (3, 2, 1999, 1764000123)
    >>> unpack_order(pack_order(3, 2**30, 5, 7))
    (3, 1073741824, 5, 7)
    """
    if qty >> _QTY_BITS or price >> _PRICE_BITS or index >> _INDEX_BITS:
        return (index, qty, price, sec)
    return (((sec << _QTY_BITS | qty) << _PRICE_BITS | price) << _INDEX_BITS) | index


def id_hash(text: str) -> int:
    """A 64-bit hash of an id, the same in every process (kept for ids past the window).

    >>> id_hash("o-1") == id_hash("o-1") != id_hash("o-2")
    True
    """
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little",
                          signed=True)  # fmt: skip


class PastIds:
    """Ids of orders past the refund window: 8 bytes each, in sorted numpy chunks.

    A few chunks at most: a new chunk merges with the last while it is not
    smaller than half of it, so lookups search O(log n) chunks.

    >>> past = PastIds()
    >>> past.add(["a", "b"]); past.add(["c"])
    >>> "b" in past, "c" in past, "d" in past, len(past)
    (True, True, False, 3)
    """

    __slots__ = ("chunks",)

    def __init__(self) -> None:
        self.chunks: list[np.ndarray] = []

    def add(self, ids: Iterable[str]) -> None:
        """Keep the hashes of ``ids``."""
        chunk = np.sort(np.fromiter((id_hash(i) for i in ids), dtype=np.int64))
        chunks = self.chunks
        while chunks and len(chunk) * 2 >= len(chunks[-1]):
            chunk = np.sort(np.concatenate((chunks.pop(), chunk)), kind="mergesort")
        if len(chunk):
            chunks.append(chunk)

    def __contains__(self, text: object) -> bool:
        if not self.chunks or not isinstance(text, str):
            return False
        h = id_hash(text)
        for chunk in self.chunks:
            i = int(np.searchsorted(chunk, h))
            if i < len(chunk) and chunk[i] == h:
                return True
        return False

    def __len__(self) -> int:
        return sum(len(c) for c in self.chunks)


def unpack_order(packed: int | tuple[int, int, int, int]) -> tuple[int, int, int, int]:
    """``(product index, qty, unit price, second)`` of an order kept by ``pack_order``."""
    if isinstance(packed, tuple):
        return packed
    index = packed & ((1 << _INDEX_BITS) - 1)
    packed >>= _INDEX_BITS
    price = packed & ((1 << _PRICE_BITS) - 1)
    packed >>= _PRICE_BITS
    return index, packed & ((1 << _QTY_BITS) - 1), price, packed >> _QTY_BITS


# A closed-second listener: called once per second of event time that can no
# longer receive events, in order, with the room and that second.
SecondListener = Callable[["RoomState", int], None]
# An event listener: called after an event of its type changed the room.
EventListener = Callable[["RoomState", Any, int], None]
# A tagged comment: the second it counted in, the comment, and its tags.
TaggedComment = tuple[int, ev.Comment, list[str]]
# A tagged-comment listener: called once per tagging pass with that pass's tagged
# comments in the order they were folded (a list it shares with the other listeners).
CommentListener = Callable[["RoomState", list[TaggedComment]], None]


class RoomState:
    """Every metric of docs/metrics.md for one room, updated in O(1) per event.

    Time is the newest event time seen (``clock``). An event up to
    ``LATENESS_S`` older than the clock counts in its own second; an older one
    counts in the totals and in the newest second. A second *closes* once no
    event can land in it any more; closed-second listeners (detectors) then
    see final numbers, so the same events give the same results however they
    were batched.
    """

    def __init__(self, room: str, refund_window_s: float = REFUND_WINDOW_S) -> None:
        self.room = room
        self.refund_window_s = refund_window_s
        self.clock = -math.inf
        self.newest_sec: int | None = None
        self.closed_sec: int | None = None
        self.first_ts: float | None = None
        self.live: bool | None = None
        self.online = 0
        self.online_peak = 0
        self.total_reported: int | None = None
        self.enters = self.comments = self.likes = 0
        self.gifts_cents = self.follows = self.shares = 0
        self.orders = self.units = self.gmv_cents = self.refunds = 0
        self.duplicate_orders = self.unknown_sku_orders = 0
        self.buyers: set[str] = set()
        self.viewer_s_total = 0  # integral of online over the session, second by second
        self.shifts = ShiftBook()
        # order_id -> pack_order(...) while counted, None once refunded. Two
        # generations, each refund_window_s of event time: at each turn the older
        # one's ids go to ``past_ids`` (8 bytes each: duplicates are still found,
        # refunds no longer counted), so memory is bounded by the window, not
        # by the session's length.
        self.order_book: dict[str, int | tuple[int, int, int, int] | None] = {}
        self.older_book: dict[str, int | tuple[int, int, int, int] | None] = {}
        self.past_ids = PastIds()
        self._book_since: int | None = None  # first second of ``order_book``'s generation
        self.past_refunds = 0  # refunds rejected because their order was past the window
        self.products: dict[str, ProductState] = {}
        self._listing: list[ProductState] = []  # products by index
        self.featured: str | None = None
        self.coupons: dict[str, ev.Coupon] = {}
        self.coupon_uses: dict[str, int] = {}
        self.windows = {name: Rolling(WINDOW_S) for name in _MINUTE_WINDOWS}
        # A second's exposure is known once the clock has left it, so the
        # newest bucket is always empty: one more bucket holds the full
        # trailing minute of viewer-seconds.
        self.windows["viewer_s"] = Rolling(WINDOW_S + 1)
        w = self.windows
        self._all_windows = tuple(w.values())
        self._minute_windows = tuple(w[name] for name in _MINUTE_WINDOWS)
        self._w_viewer_s = w["viewer_s"]
        self._w_enters, self._w_comments, self._w_likes = w["enters"], w["comments"], w["likes"]
        self._w_orders, self._w_units, self._w_gmv = w["orders"], w["units"], w["gmv"]
        # The newest comments (at most COMMENTS_KEPT) folded since the hub last took
        # them (tagged, for consoles).
        self.new_comments: list[ev.Comment] = []
        # Comments folded since the last tagging pass, and the second each counted
        # in, kept as runs: a run starts at ``_untagged[_run_starts[k]]`` and its
        # comments counted in ``_run_secs[k]``. Comments come mostly in order, so
        # this is a compare per comment instead of a (comment, second) tuple.
        self._untagged: list[ev.Comment] = []
        self._run_starts: list[int] = []
        self._run_secs: list[int] = []
        self._run_sec: int | None = None  # the second of the newest run
        self._run_bucket = 0  # its bucket in the comment window (sec % WINDOW_S, once per run)
        self._untagged_sec = _NEVER  # the oldest second among them
        self.second_listeners: list[SecondListener] = []
        self.comment_listeners: list[CommentListener] = []
        self.handlers: dict[type, Callable[[Any, int], None]] = self._own_handlers()

    def _own_handlers(self) -> dict[type, Callable[[Any, int], None]]:
        return {
            ev.Viewers: self._viewers, ev.Enter: self._enter, ev.Comment: self._comment,
            ev.Like: self._like, ev.Gift: self._gift, ev.Follow: self._follow,
            ev.Share: self._share, ev.Click: self._click, ev.Order: self._order,
            ev.Refund: self._refund, ev.Product: self._product, ev.Stock: self._stock,
            ev.Featured: self._featured, ev.Coupon: self._coupon, ev.Live: self._live,
        }  # fmt: skip

    # -- keyframes: the state pickles as plain data ---------------------------

    _WIRING = ("handlers", "second_listeners", "comment_listeners", "new_comments")

    def __getstate__(self) -> dict[str, Any]:
        """The room's numbers without its listeners (code, re-attached on restore) and
        without the comments waiting for consoles (display, not state)."""
        return {k: v for k, v in self.__dict__.items() if k not in self._WIRING}

    def __setstate__(self, state: dict[str, Any]) -> None:
        """A restored room has its own handlers and no listeners: whoever listened
        attaches again (``RoomMonitor.wire``)."""
        self.__dict__.update(state)
        self.second_listeners = []
        self.comment_listeners = []
        self.new_comments = []
        self.handlers = self._own_handlers()

    def on_event(self, kind: type, listener: EventListener) -> None:
        """Call ``listener(room, event, second)`` after each folded event of type ``kind``.

        The listener is composed into the type's handler, so event types
        nobody listens to cost nothing extra.
        """
        inner = self.handlers[kind]

        def handle(e: Any, sec: int) -> None:
            inner(e, sec)
            listener(self, e, sec)

        self.handlers[kind] = handle

    # -- time -------------------------------------------------------------

    def advance(self, ts: float) -> None:
        """Move the clock to ``ts`` (newer than it): windows move, seconds close."""
        sec = int(ts)
        old = self.newest_sec
        self.clock = ts
        if old is not None and sec == old:
            return
        if old is not None and sec == old + 1:
            # The common step, one second on, inlined (it runs once per room-second):
            # each window drops the bucket that leaves it (most are empty in a quiet room).
            i = sec % WINDOW_S
            for w in self._minute_windows:
                buckets = w.buckets
                leaving = buckets[i]
                if leaving:
                    w.total -= leaving
                    buckets[i] = 0
                w.newest = sec
            vs = self._w_viewer_s
            buckets, span = vs.buckets, vs.span
            i = sec % span
            vs.total -= buckets[i]
            buckets[i] = 0
            vs.newest = sec
            buckets[old % span] += self.online  # the online level held for the second just left
            vs.total += self.online
            self.viewer_s_total += self.online
        else:
            for w in self._all_windows:
                w.advance(sec)
            if old is None:
                self.first_ts = ts
                self.closed_sec = sec - 1
            else:
                # The online level held for every second the clock just left.
                vs = self._w_viewer_s
                for s in range(max(old, sec - WINDOW_S), sec):
                    vs.add(s, self.online)
                self.viewer_s_total += self.online * (sec - old)
        self.newest_sec = sec
        shifts = self.shifts
        if shifts.origin is None or shifts._next < len(shifts.changes):
            shifts.tick(self, ts)
        if self._book_since is None:
            self._book_since = sec
        elif sec - self._book_since >= self.refund_window_s:
            self._turn_books(sec)
        last_closable = int(ts - LATENESS_S) - 1
        closed: int = self.closed_sec  # type: ignore[assignment]  # set at the first step
        if last_closable > closed:
            if self._untagged and self._untagged_sec <= last_closable:
                # A closing second must see its comments' tags; waiting for the
                # oldest untagged comment's second to close tags ~6 s of
                # comments in one pass instead of one pass per second.
                self.tag_comments()
            self.closed_sec = last_closable
            if last_closable == closed + 1:  # the usual step: one second closes
                for listener in self.second_listeners:
                    listener(self, last_closable)
                return
            first = closed + 1  # seconds that left every window close unheard
            if first < sec - WINDOW_S + 1:
                first = sec - WINDOW_S + 1
            for s in range(first, last_closable + 1):
                for listener in self.second_listeners:
                    listener(self, s)

    def _turn_books(self, sec: int) -> None:
        """A new order-book generation: the older one's ids move to ``past_ids``."""
        if self.older_book:
            self.past_ids.add(self.older_book)
        self.older_book, self.order_book = self.order_book, {}
        self._book_since = sec

    def _held_order(self, order_id: str) -> bool:
        return order_id in self.order_book or order_id in self.older_book

    # -- handlers: one per event type ---------------------------------------

    def _viewers(self, e: ev.Viewers, sec: int) -> None:
        self.online = e.online
        if e.online > self.online_peak:
            self.online_peak = e.online
        shift = self.shifts.current
        if shift is not None and e.online > shift.online_peak:
            shift.online_peak = e.online
        if e.total is not None:
            self.total_reported = e.total

    def _enter(self, e: ev.Enter, sec: int) -> None:
        if self.enters + e.n > MAX_TOTAL:
            raise _overflow("enter.n", "enters")
        self.enters += e.n
        self._w_enters.add(sec, e.n)

    def _comment(self, e: ev.Comment, sec: int) -> None:
        self.comments += 1
        if sec != self._run_sec:
            self._new_run(sec)
        w = self._w_comments
        w.buckets[self._run_bucket] += 1
        w.total += 1
        self._untagged.append(e)

    def _new_run(self, sec: int) -> None:
        """The next untagged comment counts in ``sec``, not in the second of the one before."""
        self._run_starts.append(len(self._untagged))
        self._run_secs.append(sec)
        self._run_sec = sec
        self._run_bucket = sec % WINDOW_S
        if sec < self._untagged_sec:
            self._untagged_sec = sec

    def tag_comments(self) -> None:
        """Tag the comments folded since the last call, in one pass.

        The pass's tagged comments go to the comment listeners (the detectors)
        in one call each; with none there is nothing to tag here, as consoles
        get their tags when comments are taken. This runs before any second closes (and when
        comments are taken), so the outcome does not depend on batching, and
        a frame of one comment does not pay for a tagging pass of its own.
        """
        pending, self._untagged = self._untagged, []
        starts, secs = self._run_starts, self._run_secs
        self._run_starts, self._run_secs, self._run_sec = [], [], None
        self._untagged_sec = _NEVER
        kept = self.new_comments
        kept += pending
        if len(kept) > COMMENTS_KEPT:
            # Consoles are shown the newest few: older ones go now, while still in
            # the cache, not by the ten thousand at the next broadcast tick.
            del kept[:-COMMENTS_KEPT]
        if not self.comment_listeners:
            return
        found = tag_batch(list(map(_text_of, pending)))
        if not found:
            return
        # One call per pass, not per comment: a tuple each instead of a dict and a call.
        tagged = [
            (secs[bisect_right(starts, i) - 1], pending[i], tags) for i, tags in found.items()
        ]
        for listener in self.comment_listeners:
            listener(self, tagged)

    def drop_comments(self) -> None:
        """Forget the comments waiting for consoles (none is connected); detectors still
        get theirs."""
        if self._untagged:
            self.tag_comments()
        self.new_comments.clear()

    def take_comments(self, newest: int) -> list[dict[str, Any]]:
        """The newest ``newest`` comments (at most ``COMMENTS_KEPT``) since the last call,
        as docs/protocol.md items."""
        if self._untagged:
            self.tag_comments()
        taken, self.new_comments = self.new_comments, []
        shown = taken[max(0, len(taken) - newest) :]
        found = tag_batch([e.text for e in shown])
        return [{"ts": e.ts, "user": e.user, "text": e.text, "tags": found.get(i, [])}
                for i, e in enumerate(shown)]  # fmt: skip

    def _like(self, e: ev.Like, sec: int) -> None:
        if self.likes + e.n > MAX_TOTAL:
            raise _overflow("like.n", "likes")
        self.likes += e.n
        self._w_likes.add(sec, e.n)

    def _gift(self, e: ev.Gift, sec: int) -> None:
        if self.gifts_cents + e.value_cents > MAX_TOTAL:
            raise _overflow("gift.value_cents", "gifts")
        self.gifts_cents += e.value_cents

    def _follow(self, e: ev.Follow, sec: int) -> None:
        self.follows += 1

    def _share(self, e: ev.Share, sec: int) -> None:
        self.shares += 1

    def _click(self, e: ev.Click, sec: int) -> None:
        product = self.products.get(e.sku) or self._product_for(e.sku)
        if product.clicks + e.n > MAX_TOTAL:
            raise _overflow("click.n", "clicks")
        product.clicks += e.n

    def _order(self, e: ev.Order, sec: int) -> None:
        book = self.order_book
        oid = e.order_id
        if oid in book or oid in self.older_book or (
            # A duplicate has its order's ts: only an order from before the older
            # book's generation can have an original past the window.
            self.past_ids.chunks and e.ts < self.newest_sec - self.refund_window_s  # type: ignore[operator]
            and oid in self.past_ids
        ):  # fmt: skip
            self.duplicate_orders += 1
            return
        qty = e.qty
        amount = qty * e.price_cents
        if self.gmv_cents + amount > MAX_TOTAL or self.units + qty > MAX_TOTAL:
            raise _overflow("order qty x price_cents", "gmv_cents or units")
        product = self.products.get(e.sku) or self._product_for(e.sku)
        price, index = e.price_cents, product.index
        # pack_order inlined (orders are a fifth of a big room's events; the call
        # and its checks were a sixth of an order's cost).
        if qty >> _QTY_BITS or price >> _PRICE_BITS or index >> _INDEX_BITS:
            book[oid] = (index, qty, price, sec)
        else:
            book[oid] = (((sec << _QTY_BITS | qty) << _PRICE_BITS | price) << _INDEX_BITS) | index
        self.orders += 1
        self.units += qty
        self.gmv_cents += amount
        buyers = self.buyers
        buyers.add(e.buyer)
        shift = self.shifts.current
        if shift is not None and shift.buyers is not buyers:  # (ShiftBook.begin shares sets)
            shift.buyers.add(e.buyer)
        i = sec % WINDOW_S  # the three room windows, inlined: orders are frequent
        w = self._w_orders
        w.buckets[i] += 1
        w.total += 1
        w = self._w_units
        w.buckets[i] += qty
        w.total += qty
        w = self._w_gmv
        w.buckets[i] += amount
        w.total += amount
        if e.coupon is not None:
            self.coupon_uses[e.coupon] = self.coupon_uses.get(e.coupon, 0) + 1
        if not product.listed:
            self.unknown_sku_orders += 1
        product.sold += qty
        product.gmv_cents += amount
        units = product.units_1m
        if units.newest != self.newest_sec:
            units.advance(self.newest_sec)  # type: ignore[arg-type]
        units.buckets[sec % units.span] += qty  # Rolling.add, inlined
        units.total += qty
        stock = product.stock
        if stock is not None:
            product.stock = stock - qty if stock > qty else 0

    def _refund(self, e: ev.Refund, sec: int) -> None:
        oid = e.order_id
        book = self.order_book if oid in self.order_book else self.older_book
        if oid not in book:
            if oid in self.past_ids:
                self.past_refunds += 1
                raise EventError(
                    f"refund.order_id {oid!r} is an order older than the refund window "
                    f"({self.refund_window_s:g} s of event time): its amounts are no longer "
                    "held, so the refund is not counted"
                )
            raise EventError(f"refund.order_id {oid!r} is not a known order")
        entry = book[oid]
        if entry is None:
            raise EventError(f"refund.order_id {oid!r} is already refunded")
        book[oid] = None
        index, qty, price, order_sec = unpack_order(entry)
        amount = qty * price
        self.orders -= 1
        self.units -= qty
        self.gmv_cents -= amount
        self.refunds += 1
        # Windows: the order leaves the second it was counted in, if still in view.
        self._w_orders.add_inside(order_sec, -1)
        self._w_units.add_inside(order_sec, -qty)
        self._w_gmv.add_inside(order_sec, -amount)
        product = self._listing[index]
        product.sold -= qty
        product.gmv_cents -= amount
        product.units_1m.advance(self.newest_sec)  # type: ignore[arg-type]
        product.units_1m.add_inside(order_sec, -qty)

    def _product(self, e: ev.Product, sec: int) -> None:
        product = self._product_for(e.sku)
        product.name = e.name
        product.price_cents = e.price_cents
        product.listed = True
        if e.stock is not None:
            product.stock = e.stock

    def _stock(self, e: ev.Stock, sec: int) -> None:
        self._product_for(e.sku).stock = e.available

    def _featured(self, e: ev.Featured, sec: int) -> None:
        self.featured = e.sku

    def _coupon(self, e: ev.Coupon, sec: int) -> None:
        self.coupons[e.coupon_id] = e

    def _live(self, e: ev.Live, sec: int) -> None:
        self.live = e.on

    def _product_for(self, sku: str) -> ProductState:
        product = self.products.get(sku)
        if product is None:
            # Unknown until a `product` event lists it: counted, and flagged.
            product = self.products[sku] = ProductState(
                sku=sku, name=sku, listed=False, index=len(self._listing)
            )
            self._listing.append(product)
        return product

    # -- reading ----------------------------------------------------------

    def coupon_live(self, at: float) -> bool:
        """True while a coupon is unexpired at event time ``at`` and has uses left."""
        uses = self.coupon_uses
        return any(
            (c.expires_ts is None or c.expires_ts > at) and uses.get(c.coupon_id, 0) < c.count
            for c in self.coupons.values()
        )

    @property
    def total_views(self) -> int:
        """Last reported cumulative views, else the sum of ``enter.n``."""
        return self.total_reported if self.total_reported is not None else self.enters

    def metrics(self) -> dict[str, int | float | None]:
        """Every metric key of docs/protocol.md with its current value."""
        # The windows and totals read once each (a console gets every room's metrics ten
        # times a second).
        viewer_min = self._w_viewer_s.total / 60.0
        views = self.total_views
        orders_1m = self._w_orders.total
        buyers = len(self.buyers)
        return {
            "online": self.online,
            "online_peak": self.online_peak,
            "total_views": views,
            "enters": self.enters,
            "enters_1m": self._w_enters.total,
            "comments": self.comments,
            "comments_1m": self._w_comments.total,
            "likes": self.likes,
            "likes_1m": self._w_likes.total,
            "orders": self.orders,
            "orders_1m": orders_1m,
            "units": self.units,
            "gmv_cents": self.gmv_cents,
            "gmv_1m_cents": self._w_gmv.total,
            "buyers": buyers,
            "conv_1m": round(orders_1m / viewer_min * 1000, 3) if viewer_min else None,
            "conv_session": round(buyers / views, 6) if views else None,
            "gpm_cents": round(1000 * self.gmv_cents / views) if views else None,
            "refunds": self.refunds,
        }

    def product_rows(self) -> list[dict[str, Any]]:
        """One entry per product as docs/protocol.md lists them, in listing order."""
        now = self.newest_sec if self.newest_sec is not None else 0
        rows = []
        for p in self.products.values():
            # p.rate_1m(now), inlined and read once for both (per product per snapshot).
            units = p.units_1m
            rate = float(units.total if units.newest == now else units.sum_at(now))
            rows.append({
                "sku": p.sku, "name": p.name, "price_cents": p.price_cents, "stock": p.stock,
                "sold": p.sold, "gmv_cents": p.gmv_cents, "rate_1m": rate,
                "eta_s": p.eta_at(rate), "clicks": p.clicks, "listed": p.listed,
            })  # fmt: skip
        return rows


def _overflow(field: str, total: str) -> EventError:
    """The rejection of an event that would take a session total past ``MAX_TOTAL``."""
    return EventError(f"{field} would take the room's {total} past {MAX_TOTAL:,}, "
                      "the most a snapshot carries exactly")  # fmt: skip
