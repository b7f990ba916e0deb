"""The simulated live-shopping room: a pure, seeded model, one simulated second per step.

``SimRoom.step()`` returns the protocol event maps (docs/protocol.md, "Events") of
the next second, in time order. Every random draw comes from one
``numpy.random.Generator(PCG64(seed))`` in a fixed order, so the same options
and the same commands at the same simulated seconds give identical events.

>>> room = SimRoom(seed=3, duration=60.0, viewers=500)
>>> [e["type"] for e in room.step()][:5]
['live', 'product', 'product', 'product', 'product']
>>> room.step()[0]
{'type': 'enter', 'room': 'room-1', 'ts': 1764000001.581, 'n': 78}
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from typing import Any

import numpy as np

from livemon.adapters.base import CommandRefused
from plugins.sim import scenarios
from plugins.sim.audience import ARRIVALS_PER_MIN, ViewerCurve
from plugins.sim.catalog import load_catalog
from plugins.sim.shop import LiveCoupon, Shop
from plugins.sim.texts import comment_text

START = 1764000000.0  # 2025-11-24 16:00 UTC: a fixed first second keeps runs reproducible

# Activity per online viewer per minute.
COMMENTS_PER_MIN = 0.08
LIKES_PER_MIN = 1.5
GIFTS_PER_MIN = 0.002
FOLLOWS_PER_MIN = 0.005
SHARES_PER_MIN = 0.003
CLICKS_PER_MIN = 0.25  # card clicks on the featured product; ~8% of them buy
NON_FEATURED_SHARE = 0.05  # a product not presented sells (and is clicked) this much as often
# Comment kinds and their shares; lag reports are rare outside a technical issue.
COMMENT_KINDS = ("chatter", "question", "complaint", "lag")
COMMENT_MIX = (0.617, 0.25, 0.13, 0.003)
QTY_CUMULATIVE = ((0.7, 1), (0.9, 2), (1.0, 3))
MEAN_QTY = 1.4
REFUND_SHARE = 0.013  # 1.3% of the UCI Online Retail lines are cancellations
REFUND_DELAY_S = (60, 900)
GIFT_CENTS = (100, 520, 1000, 6600, 13140)
PRESENT_FACTOR = 3  # users are drawn from the latest 3 x online arrivals: who is still here
STOCK_REPORT_S = 30  # the platform reports the featured product's stock this often
VIEWERS_REPORT_S = 3
LOW_STOCK_UNITS = 10
LOW_STOCK_ETA_S = 120.0
END_MS = 999  # reports (viewers, stock) close their second


class SimRoom:
    """One seeded live-shopping broadcast of ``duration`` seconds starting at ``start``."""

    def __init__(
        self,
        scenario: str = "steady",
        seed: int = 1,
        room: str = "room-1",
        start: float = START,
        duration: float = 7200.0,
        viewers: int = 1000,
        buy_rate: float = 0.02,
        incident_at: float | None = None,
        drop: float = 0.5,
        viewer_drop: float = scenarios.VIEWER_DROP_SHARE,
        viewer_drop_s: float = scenarios.VIEWER_DROP_S,
    ) -> None:
        for name, value, low in (("duration", duration, 1), ("viewers", viewers, 0),
                                 ("buy_rate", buy_rate, 0), ("drop", drop, 0)):  # fmt: skip
            if not value >= low:
                raise ValueError(f"option {name} must be >= {low}, got {value!r}")
        if incident_at is None:
            incident_at = scenarios.default_incident_at(seed, duration)
        self.scenario, self.seed, self.room, self.start = scenario, seed, room, start
        self.duration, self.viewers, self.buy_rate = duration, viewers, buy_rate
        self.incident_at, self.drop = incident_at, drop
        self.viewer_drop, self.viewer_drop_s = viewer_drop, max(1.0, viewer_drop_s)
        self._plan = deque(scenarios.schedule(scenario, incident_at, duration))
        self._rng = np.random.Generator(np.random.PCG64(seed))
        self._curve = ViewerCurve(viewers, duration, self._rng)
        self.shop = Shop(load_catalog(viewers, buy_rate))
        self.second = 0
        self._steps = int(duration)
        self.online = 0
        self.total = 0  # cumulative views: the sum of every enter.n so far
        self.incidents: list[dict[str, Any]] = []
        self._pending: list[tuple[str, dict[str, Any]]] = []
        self._orders = 0
        self._coupons = 0
        self._refunds: dict[int, list[str]] = {}
        self._unit_rate = dict.fromkeys(self.shop.products, 0.0)  # expected units/s now
        self._low: set[str] = set()
        self._out: set[str] = set()
        self._injected_stock: dict[str, str] = {}
        # Incident state.
        self._conversion = 1.0
        self._appeal: dict[str, float] = {}  # a product that sells worse than the others
        self._viewer_drops: list[int] = []
        self._surge_until = -1
        self._tech_until = -1
        self._events: list[tuple[int, dict[str, Any]]] = []
        # Truth for an oracle detector: the orders each second was expected to
        # bring had no conversion drop been injected (a Poisson mean).
        self.expected_orders: list[float] = []

    # -- public -------------------------------------------------------------

    @property
    def done(self) -> bool:
        """True once the ``live off`` second has been stepped."""
        return self.second >= self._steps

    @property
    def ground_truth(self) -> dict[str, Any]:
        """What happened, for scoring detectors: the scenario, its options and incidents."""
        return {
            "scenario": self.scenario,
            "seed": self.seed,
            "room": self.room,
            "start": self.start,
            "duration": self.duration,
            "options": {
                "viewers": self.viewers,
                "buy_rate": self.buy_rate,
                "incident_at": self.incident_at,
                "drop": self.drop,
            },
            "incidents": [dict(i) for i in self.incidents],
        }

    def apply_command(self, action: str, args: Mapping[str, Any]) -> str:
        """Check a command now and carry it out from the next simulated second.

        Returns a one-line detail; raises ``CommandRefused`` for an unknown
        action or args that do not fit.
        """
        args = dict(args)
        if action == "feature":
            sku = self._known_sku(args.get("sku"))
            detail = f"featuring {sku}"
        elif action == "unfeature":
            detail = "unfeatured"
        elif action == "coupon":
            args["discount_cents"] = _whole(args, "discount_cents", 1)
            args["count"] = _whole(args, "count", 1)
            if args.get("sku") is not None:
                self._known_sku(args["sku"])
            if args.get("expires_s") is not None:
                expires = args["expires_s"]
                if isinstance(expires, bool) or not isinstance(expires, int | float):
                    raise CommandRefused("coupon.expires_s must be a number of seconds")
                if not expires > 0:
                    raise CommandRefused("coupon.expires_s must be > 0")
            self._coupons += 1
            args["coupon_id"] = f"cp{self._coupons}"
            where = args.get("sku") or "store-wide"
            detail = (
                f"coupon {args['coupon_id']}: {args['discount_cents']} cents off"
                f" x{args['count']} ({where})"
            )
        elif action == "restock":
            sku = self._known_sku(args.get("sku"))
            args["add"] = _whole(args, "add", 1)
            detail = f"restocking {sku} +{args['add']}"
        elif action == "pin":
            text = args.get("text")
            if not isinstance(text, str) or not text.strip():
                raise CommandRefused("pin.text must be a non-empty string")
            return "pinned"
        else:
            raise CommandRefused(f"sim cannot {action}")
        self._pending.append((action, args))
        return detail

    def step(self) -> list[dict[str, Any]]:
        """The events of the next simulated second, in time order ([] once done)."""
        if self.done:
            return []
        s = self.second
        self._events = []
        if s == 0:
            self._open()
        for action, args in self._pending:
            self._carry_out(action, args)
        self._pending = []
        while self._plan and self._plan[0].at <= s:
            self._inject(self._plan.popleft().kind)
        self._audience()
        self._chatter()
        self._sales()
        for order_id in self._refunds.pop(s, []):
            self._emit(self._ms(), "refund", order_id=order_id)
        if s % VIEWERS_REPORT_S == 0:
            self._emit(END_MS, "viewers", online=self.online, total=self.total)
        self.second += 1
        out = [e for _, e in sorted(self._events, key=lambda p: p[0])]
        if self.done:
            out.append({"type": "live", "room": self.room, "ts": self.start + self.duration,
                        "on": False})  # fmt: skip
        return out

    # -- one second ---------------------------------------------------------

    def _open(self) -> None:
        self._emit(0, "live", on=True)
        for item in self.shop.products.values():
            self._emit(0, "product", sku=item.sku, name=item.name,
                       price_cents=item.price_cents, stock=item.stock)  # fmt: skip
            self._check_stock(item.sku, self._ts(0))
        self._emit(0, "featured", sku=self.shop.featured)

    def _audience(self) -> None:
        rng = self._rng
        expected = self._curve.step()
        for at in self._viewer_drops:
            done = min(1.0, (self.second - at + 1) / self.viewer_drop_s)
            expected *= 1 - self.viewer_drop * done
        online = max(0, round(expected))
        # Everyone who shows up counts once in the total: a rise needs at least
        # that many arrivals, and churn brings in more as others leave.
        arrivals = max(0, online - self.online) + self._poisson(online * ARRIVALS_PER_MIN / 60)
        self.online = online
        self.total += arrivals
        if arrivals:
            self._emit(self._ms(), "enter", n=arrivals)
        likes = self._poisson(online * LIKES_PER_MIN / 60)
        if likes:
            self._emit(self._ms(), "like", n=likes)
        for _ in range(self._poisson(online * GIFTS_PER_MIN / 60)):
            value = GIFT_CENTS[int(rng.integers(len(GIFT_CENTS)))]
            self._emit(self._ms(), "gift", user=self._user(), value_cents=value)
        for _ in range(self._poisson(online * FOLLOWS_PER_MIN / 60)):
            self._emit(self._ms(), "follow", user=self._user())
        for _ in range(self._poisson(online * SHARES_PER_MIN / 60)):
            self._emit(self._ms(), "share", user=self._user())

    def _chatter(self) -> None:
        rng = self._rng
        rate = self.online * COMMENTS_PER_MIN / 60
        question_share = COMMENT_MIX[1]
        if self.second < self._surge_until:
            rate *= scenarios.FLASH_SALE_COMMENTS
            question_share = scenarios.FLASH_SALE_QUESTIONS
        # The other kinds keep their relative shares around the question share.
        rest = (1 - question_share) / (1 - COMMENT_MIX[1])
        mix = (COMMENT_MIX[0] * rest, question_share, COMMENT_MIX[2] * rest, COMMENT_MIX[3] * rest)
        name = self._featured_name()
        for _ in range(self._poisson(rate)):
            kind = _pick(COMMENT_KINDS, mix, float(rng.random()))
            self._emit(self._ms(), "comment", user=self._user(),
                       text=comment_text(rng, kind, name))  # fmt: skip
        if self.second < self._tech_until:
            lag_rate = max(scenarios.TECH_ISSUE_MIN_PER_S,
                           self.online * scenarios.TECH_ISSUE_PER_VIEWER_MIN / 60)  # fmt: skip
            for _ in range(self._poisson(lag_rate)):
                self._emit(self._ms(), "comment", user=self._user(),
                           text=comment_text(rng, "lag", name))  # fmt: skip

    def _sales(self) -> None:
        rng, shop = self._rng, self.shop
        t0 = self._ts(0)
        per_viewer = self.buy_rate / 60
        reported: list[str] = []
        expected = 0.0
        for sku, item in shop.products.items():
            share = 1.0 if sku == shop.featured else NON_FEATURED_SHARE
            uplift = shop.uplift(sku, t0)
            clicks = self._poisson(self.online * CLICKS_PER_MIN / 60 * share * uplift)
            if clicks:
                self._emit(self._ms(), "click", sku=sku, n=clicks)
            rate = self.online * per_viewer * share * uplift if item.stock > 0 else 0.0
            expected += rate
            rate *= self._conversion * self._appeal.get(sku, 1.0)
            self._unit_rate[sku] = rate * MEAN_QTY
            count = self._poisson(rate)
            if not count:
                continue
            # Orders of one product in time order, so stock falls as ts rises.
            for ms in sorted(int(m) for m in rng.integers(0, END_MS, count)):
                if item.stock == 0:
                    break
                qty = min(item.stock, _pick_qty(float(rng.random())))
                ts = self._ts(ms)
                price, coupon = shop.unit_price(sku, ts)
                self._orders += 1
                order_id = f"o{self._orders:07d}"
                fields: dict[str, Any] = {"order_id": order_id, "sku": sku, "qty": qty,
                                          "price_cents": price, "buyer": self._user()}  # fmt: skip
                if coupon is not None:
                    fields["coupon"] = coupon
                self._emit(ms, "order", **fields)
                shop.take(sku, qty, ts)
                if rng.random() < REFUND_SHARE:
                    due = self.second + int(rng.integers(*REFUND_DELAY_S))
                    if due < self._steps:
                        self._refunds.setdefault(due, []).append(order_id)
                self._check_stock(sku, ts)
                if item.stock == 0:
                    reported.append(sku)
        self.expected_orders.append(expected)
        if shop.featured is not None and self.second % STOCK_REPORT_S == STOCK_REPORT_S - 1:
            reported.append(shop.featured)
        for sku in dict.fromkeys(reported):
            self._emit(END_MS, "stock", sku=sku, available=shop.products[sku].stock)

    # -- commands and incidents ---------------------------------------------

    def _carry_out(self, action: str, args: dict[str, Any]) -> None:
        shop = self.shop
        if action == "feature":
            shop.featured = args["sku"]
            self._emit(0, "featured", sku=shop.featured)
        elif action == "unfeature":
            shop.featured = None
            self._emit(0, "featured", sku=None)
        elif action == "coupon":
            self._issue_coupon(args["coupon_id"], args["discount_cents"], args["count"],
                               args.get("sku"), args.get("expires_s"))  # fmt: skip
        elif action == "restock":
            self._set_stock(args["sku"], shop.products[args["sku"]].stock + args["add"])

    def _issue_coupon(
        self, coupon_id: str, discount: int, count: int, sku: str | None, expires_s: float | None
    ) -> None:
        expires_ts = None if expires_s is None else round(self._ts(0) + expires_s, 3)
        self.shop.coupons.append(LiveCoupon(coupon_id, discount, count, sku, expires_ts))
        fields: dict[str, Any] = {"coupon_id": coupon_id, "discount_cents": discount,
                                  "count": count}  # fmt: skip
        if sku is not None:
            fields["sku"] = sku
        if expires_ts is not None:
            fields["expires_ts"] = expires_ts
        self._emit(0, "coupon", **fields)

    def _set_stock(self, sku: str, available: int) -> None:
        self.shop.products[sku].stock = available
        self._low.discard(sku)
        self._emit(0, "stock", sku=sku, available=available)
        self._check_stock(sku, self._ts(0))

    def _inject(self, kind: str) -> None:
        ts = self._ts(0)
        if kind == "conversion_drop":
            self._conversion *= self.drop
            self._truth("conversion_drop", ts, None,
                        f"buy rate of every product x{self.drop} from here on")  # fmt: skip
        elif kind == "viewer_drop":
            self._viewer_drops.append(self.second)
            how = f"online falls {self.viewer_drop:.0%} over {self.viewer_drop_s:g} s"
            self._truth("viewer_drop", ts, None, how)
        elif kind == "stockout":
            self._inject_stockout(ts)
        elif kind == "product_switch":
            self._inject_product_switch(ts)
        elif kind == "flash_sale":
            self._inject_flash_sale(ts)
        elif kind == "tech_issue":
            self._tech_until = self.second + scenarios.TECH_ISSUE_S
            lasts = scenarios.TECH_ISSUE_S
            self._truth("tech_issue", ts, None,
                        f"lag / no sound / black screen comments for {lasts} s")  # fmt: skip

    def _inject_stockout(self, ts: float) -> None:
        shop = self.shop
        in_stock = [sku for sku, p in shop.products.items() if p.stock > 0]
        sku = shop.featured if shop.featured in in_stock else (in_stock or [None])[0]
        if sku is None:
            return
        units_per_s = (self.online * self.buy_rate / 60 * self._conversion
                       * shop.uplift(sku, ts) * MEAN_QTY)  # fmt: skip
        supply_s = float(self._rng.uniform(*scenarios.STOCKOUT_SUPPLY_S))
        left = max(3, min(shop.products[sku].stock, round(units_per_s * supply_s)))
        self._injected_stock[sku] = f"injected at {ts:.3f}: stock set to {left}"
        self._set_stock(sku, left)

    def _inject_product_switch(self, ts: float) -> None:
        shop = self.shop
        sku = next((s for s, p in shop.products.items() if s != shop.featured and p.stock > 0),
                   None)  # fmt: skip
        if sku is None:
            return
        old = shop.featured
        self._appeal[sku] = self.drop
        shop.featured = sku
        self._emit(0, "featured", sku=sku)
        self._truth("conversion_drop", ts, None,
                    f"featured {old} -> {sku}, which sells x{self.drop} as well")  # fmt: skip

    def _inject_flash_sale(self, ts: float) -> None:
        sku = self.shop.featured or next(iter(self.shop.products))
        price = self.shop.products[sku].price_cents
        discount = max(100, round(price * scenarios.FLASH_SALE_DISCOUNT / 100) * 100)
        count = max(20, round(self.viewers * 0.3))
        self._coupons += 1
        coupon_id = f"cp{self._coupons}"
        self._issue_coupon(coupon_id, discount, count, None, scenarios.FLASH_SALE_EXPIRES_S)
        self._surge_until = self.second + scenarios.FLASH_SALE_SURGE_S
        self._truth("comment_surge", ts, None,
                    f"flash sale: store-wide coupon {coupon_id} ({discount} cents off x{count}),"
                    f" comments x{scenarios.FLASH_SALE_COMMENTS:g} for"
                    f" {scenarios.FLASH_SALE_SURGE_S} s, mostly price / link questions",
                    )  # fmt: skip

    def _check_stock(self, sku: str, ts: float) -> None:
        """Record in the ground truth the moment ``sku`` runs low and the moment it runs out."""
        stock = self.shop.products[sku].stock
        if stock > 0:
            self._out.discard(sku)
        low = stock < LOW_STOCK_UNITS or stock < LOW_STOCK_ETA_S * self._unit_rate[sku]
        if low and sku not in self._low:
            self._low.add(sku)
            self._truth("stock_low", ts, sku, f"{stock} left")
        if stock == 0 and sku not in self._out:
            self._out.add(sku)
            how = self._injected_stock.pop(sku, "sold out naturally")
            self._truth("stock_out", ts, sku, how)

    # -- helpers ------------------------------------------------------------

    def _truth(self, kind: str, ts: float, sku: str | None, detail: str) -> None:
        self.incidents.append({"kind": kind, "ts": ts, "sku": sku, "detail": detail})

    def _emit(self, ms: int, kind: str, **fields: Any) -> None:
        event = {"type": kind, "room": self.room, "ts": self._ts(ms)}
        event.update(fields)
        self._events.append((ms, event))

    def _ts(self, ms: int) -> float:
        return round(self.start + self.second + ms / 1000, 3)

    def _ms(self) -> int:
        return int(self._rng.integers(0, END_MS))

    def _poisson(self, mean: float) -> int:
        return int(self._rng.poisson(mean)) if mean > 0 else 0

    def _user(self) -> str:
        low = max(0, self.total - PRESENT_FACTOR * self.online)
        return f"u{int(self._rng.integers(low, max(self.total, low + 1)))}"

    def _featured_name(self) -> str:
        featured = self.shop.featured
        return self.shop.products[featured].name if featured else "this"

    def _known_sku(self, sku: Any) -> str:
        if not isinstance(sku, str) or sku not in self.shop.products:
            raise CommandRefused(f"unknown sku {sku!r}")
        return sku


def _whole(args: Mapping[str, Any], key: str, least: int) -> int:
    """``args[key]`` as an int of at least ``least``, else ``CommandRefused`` naming it."""
    value = args.get(key)
    if isinstance(value, bool) or not isinstance(value, int):
        raise CommandRefused(f"{key} must be an int, got {value!r}")
    if value < least:
        raise CommandRefused(f"{key} must be >= {least}, got {value}")
    return value


def _pick(kinds: tuple[str, ...], shares: tuple[float, ...], u: float) -> str:
    """The kind whose cumulative share first exceeds ``u`` (a uniform draw in [0, 1))."""
    acc = 0.0
    for kind, share in zip(kinds, shares, strict=True):
        acc += share
        if u < acc:
            return kind
    return kinds[-1]


def _pick_qty(u: float) -> int:
    """Units in one order line: 1 (70%), 2 (20%) or 3 (10%) for a uniform draw ``u``."""
    return next(q for p, q in QTY_CUMULATIVE if u < p)
