"""``ConversionDropDetector``: Poisson CUSUMs over a few drop sizes on orders per viewer-second."""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Sequence
from typing import Any

from livemon.detect import advice
from livemon.detect.base import Second, SecondDetector, Suggestion

# Per room size (250 to 5,000 viewers), the margin with 0.42 false alarms per
# hour on 200 steady sim hours (tuning seeds): ``livemon bench detect
# --calibrate`` prints it.
MARGINS = ((5.8, -0.06), (11.8, 0.15), (23.5, 0.24), (47.0, 0.22), (117.5, 0.1))


class ConversionDropDetector(SecondDetector):
    """Detects a fall of the order rate per viewer-second against a slow, lagged baseline.

    Each second of event time brings ``orders`` (a Poisson count) and the
    exposure ``viewer_s`` (online viewers x seconds). Under the baseline rate
    ``b`` the count has mean ``mu = b * viewer_s``; under a drop ``d`` it has
    mean ``(1 - d) * mu``. The log-likelihood ratio of one second is
    ``orders * ln(1 - d) + d * mu``, and the CUSUM ``S = max(0, S + llr)``
    alarms when ``S`` crosses its threshold: a quiet second with one order
    fewer moves ``S`` by ``ln(1 - d)`` only, and a steady rate pulls it back
    to 0. The size of a real drop is unknown: one CUSUM runs per size in
    ``drops`` and the first to cross alarms. By default one, at 45 %: with
    thresholds calibrated to the same false-alarm rate, one test in the
    middle of the 30-60 % range is as fast as two at 35 % and 60 % (each of
    which must pay for the other's false alarms) and costs half. The second
    where that CUSUM last left 0 is the onset.

    Thresholds come from the false-alarm rate, not a fixed level: by Wald's
    approximation a CUSUM with threshold ``h`` alarms falsely about every
    ``e^h / (mu * kappa)`` seconds, ``kappa = -ln(1 - d) - d``, so
    ``h = ln(3600 / fa_per_h * mu * kappa) + margin`` holds the same rate in
    a room of 200 viewers and in one of 20,000 (a fixed ``h`` gives a big
    room several times the false alarms of a small one). Wald's bound is
    loose, and the estimated baseline adds false alarms of its own, by a
    different amount at each size: the margin added to ``h`` is a table per
    order rate (``margins``), found by simulating this detector on steady
    rooms (``livemon bench detect --calibrate``).

    The baseline is an exponentially weighted ratio of orders to viewer-seconds
    (half-life ``half_life_s``) fed with data ``lag_s`` old, so a drop in
    progress does not drag it down before the alarm; it is frozen while
    alarmed. Once alarmed, the reverse CUSUM (a return to the baseline
    against a ``clear_drop`` fall) must reach ``clear_threshold`` to clear.

    Parameters
    ----------
    drops
        The relative falls tested (0.4: 40 % fewer orders), one CUSUM each.
    fa_per_h
        False alarms per hour each CUSUM's threshold is set for.
    margin
        Nats added to every threshold (the baseline is itself estimated).
    margins
        Optional ``(orders per minute, nats)`` points that replace ``margin``
        by one that depends on the room's expected order rate (interpolated
        in the logarithm of the rate, flat beyond the ends): Wald's bound is
        loose by a different amount at each size, and the baseline's own
        noise and lag add a different share of false alarms, so the margin
        that gives ``fa_per_h`` is found by simulating this detector
        (``livemon bench detect --calibrate``).
    crit_drop
        Estimated fall since the onset that makes the alarm ``crit``.
    clear_threshold
        Reverse CUSUM level (nats) that clears the alarm.
    clear_drop
        The drop the reverse CUSUM weighs a return to the baseline against:
        it clears once the rate is nearer the baseline than this fall (0.35:
        a rate still 20 % down keeps the alarm).
    half_life_s
        Half-life, in seconds, of the baseline's exponential weights.
    lag_s
        Age, in seconds, of the data the baseline learns from.
    warmup_orders
        Orders the baseline must have seen before the test runs.
    cause_window_s
        A product switch or a viewer drop up to this long before the onset
        (or since) is named as the cause of the fall.
    coupon_discount_cents, coupon_count
        The coupon suggested when no cause explains the fall.
    restock_minutes
        The restock suggested for a sold-out featured product covers this
        many minutes of its sales before it sold out.

    Causes. Seconds while a coupon is live are left out (the lift it brings
    would make its end look like a drop). A fall is not always a matter of
    price: when the featured product is sold out the alert says so and
    suggests a restock (or names the best seller to feature instead); right
    after a product switch it suggests featuring the previous product again
    (or the best seller in stock); right after a viewer drop it names that
    drop and suggests pinning the offer for the viewers who stayed. Only
    without a cause does it suggest a coupon. The evidence carries the
    numbers of the test and of the cause.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(42)
    >>> detector = ConversionDropDetector()
    >>> rates = [0.45] * 1800 + [0.27] * 600  # orders/s at 1,000 viewers, then 40 % fewer
    >>> for sec, rate in enumerate(rates):
    ...     detector.update(sec, int(rng.poisson(rate)), 1000.0)
    ...     if detector.alarm:
    ...         break
    >>> sec, detector.severity, detector.onset
    (2012, 'warn', 1758.0)
    >>> {k: round(v, 3) for k, v in detector.evidence.items()}  # doctest: +NORMALIZE_WHITESPACE
    {'baseline_per_1k_min': 25.444, 'recent_per_1k_min': 16.693, 'drop': 0.344, 'orders': 73.0,
     'expected': 111.27, 'seconds': 255.0, 'llr': 6.429}
    """

    kind = "conversion_drop"

    def __init__(
        self,
        drops: tuple[float, ...] = (0.45,),
        fa_per_h: float = 0.5,
        margin: float = 0.75,
        margins: Sequence[Sequence[float]] = MARGINS,
        crit_drop: float = 0.6,
        clear_threshold: float = 6.0,
        clear_drop: float = 0.35,
        half_life_s: float = 900.0,
        lag_s: int = 120,
        warmup_orders: float = 60.0,
        cause_window_s: float = 180.0,
        coupon_discount_cents: int = 500,
        coupon_count: int = 100,
        restock_minutes: float = 10.0,
    ) -> None:
        drops = tuple(float(d) for d in drops)
        if not drops or not all(0 < d < 1 for d in drops):
            raise ValueError(f"drops must be shares in (0, 1), got {drops!r}")
        self.drops = drops
        self.fa_per_h = fa_per_h
        self.margin = margin
        if any(rate <= 0 for rate, _ in margins):
            raise ValueError(f"margins' order rates must be > 0, got {margins!r}")
        points = sorted((math.log(rate / 60.0), float(m)) for rate, m in margins)
        self.margins = tuple((float(rate), float(m)) for rate, m in margins)
        self._margin_points = points or [(0.0, float(margin))]
        self.crit_drop = crit_drop
        self.clear_threshold = clear_threshold
        self.half_life_s = half_life_s
        self.lag_s = lag_s
        self.warmup_orders = warmup_orders
        self.cause_window_s = cause_window_s
        self.coupon_discount_cents = coupon_discount_cents
        self.coupon_count = coupon_count
        self.restock_minutes = restock_minutes
        # What the room did, for naming a cause: the featured product and
        # when it last changed (and from what), when it sold out, and its
        # units per minute before that.
        self._featured: str | None = None
        self._switch: tuple[int, str | None, str | None] | None = None
        self._sold_out: tuple[str, int] | None = None
        self._rate_before = 0.0
        self._log_keep = [math.log(1 - d) for d in drops]
        # Wald: a CUSUM with threshold h alarms falsely about every
        # e^h / (mu * kappa) seconds, kappa = -ln(1 - d) - d its drift per
        # expected order under no drop; so h = ln(ARL * mu * kappa) + margin
        # holds ``fa_per_h`` at any room size (mu: orders expected per second).
        arl_s = 3600.0 / fa_per_h
        self._h0 = [math.log(arl_s * (-math.log(1 - d) - d)) for d in drops]
        self._h_min = min(self._h0) + min(m for _, m in self._margin_points)
        self._decay = 0.5 ** (1 / half_life_s)
        # The last ``lag_s`` seconds (orders, viewer-seconds) wait here, oldest
        # first, before the baseline learns them.
        self._lag: deque[tuple[int, float]] = deque()
        self._orders_w = 0.0  # weighted orders of the baseline
        self._exposure_w = 0.0  # weighted viewer-seconds of the baseline
        self._seen = 0.0  # orders the baseline has learnt from
        k = len(drops)
        self._ks = tuple(range(k))
        self._tests = tuple(zip(self._ks, self._log_keep, drops, strict=True))  # k, ln(1-d), d
        self._scores = [0.0] * k  # one CUSUM per drop size
        self._starts: list[float | None] = [None] * k
        # Orders and expected orders summed over the tested seconds, and their
        # sums when each CUSUM last left 0: the counts behind a CUSUM are
        # differences, read only when an alert needs them.
        self._cum_orders = 0
        self._cum_mu = 0.0
        self._orders0 = [0] * k
        self._mu0 = [0.0] * k
        self._best = -1  # the CUSUM that alarmed (or leads), -1 when all are at 0
        self._last_sec = 0  # the newest tested second
        self._clear = 0.0
        if not 0 < clear_drop < 1:
            raise ValueError(f"clear_drop must be a share in (0, 1), got {clear_drop!r}")
        self.clear_drop = clear_drop
        self._log_keep_clear = math.log(1 - clear_drop)
        # While alarmed, the counts since the onset are kept explicitly.
        self._since_orders = 0
        self._since_mu = 0.0

    @property
    def baseline(self) -> float | None:
        """Baseline orders per viewer-second, None until warmed up."""
        if self._seen < self.warmup_orders or self._exposure_w <= 0:
            return None
        return self._orders_w / self._exposure_w

    @property
    def score(self) -> float:
        """The largest CUSUM statistic in nats (0 when the data favour no drop)."""
        return max(self._scores)

    def _since(self) -> tuple[int, float, int]:
        """Orders, expected orders and seconds since the leading CUSUM's onset."""
        if self._alarm:
            return self._since_orders, self._since_mu, self._seconds
        b = self._best
        if b < 0:
            return 0, 0.0, 0
        start = int(self._starts[b])  # type: ignore[arg-type]
        return (self._cum_orders - self._orders0[b], self._cum_mu - self._mu0[b],
                self._last_sec - start + 1)  # fmt: skip

    @property
    def evidence(self) -> dict[str, float]:
        base = self.baseline or 0.0
        orders, mu, seconds = self._since()
        ratio = orders / mu if mu > 0 else 1.0
        return {
            "baseline_per_1k_min": base * 60_000,
            "recent_per_1k_min": base * ratio * 60_000,
            "drop": 1 - ratio,
            "orders": float(orders),
            "expected": mu,
            "seconds": float(seconds),
            "llr": self.score if not self._alarm else self._alarm_llr,
        }

    _seconds = 0
    _alarm_llr = 0.0
    _alarm_base: float | None = None  # the baseline when the alarm opened

    def skip(self) -> None:
        """Forget the running tests (not the baseline): a known cause explains the fall."""
        scores, starts = self._scores, self._starts
        for k in self._ks:  # in place: a coupon skips every second it is live
            scores[k], starts[k] = 0.0, None
        self._best = -1
        self._since_orders, self._since_mu, self._seconds = 0, 0.0, 0

    def update(self, sec: int, orders: int, viewer_s: float) -> None:
        """Take one closed second: its ``orders`` and ``viewer_s`` exposure."""
        if self._alarm:
            self._update_alarmed(orders, viewer_s)
            return
        ow, ew = self._orders_w, self._exposure_w
        # Floats are compared with 0.0, not 0: the interpreter's float-only fast
        # path, for the same answer (this runs every second of every room).
        warm = self._seen >= self.warmup_orders and ew > 0.0  # the baseline before this second
        lag = self._lag
        lag.append((orders, viewer_s))
        if len(lag) > self.lag_s:  # the second ``lag_s`` old teaches the baseline
            old_orders, old_exposure = lag.popleft()
            d = self._decay
            self._orders_w = ow * d + old_orders
            self._exposure_w = ew * d + old_exposure
            if old_orders:  # (adding 0 would leave it as it is)
                self._seen += old_orders
        if not warm or viewer_s <= 0.0:
            return
        mu = ow / ew * viewer_s
        cum_orders, cum_mu = self._cum_orders, self._cum_mu
        self._cum_orders, self._cum_mu = cum_orders + orders, cum_mu + mu
        scores, starts = self._scores, self._starts
        best, top = -1, 0.0
        for k, log_keep, drop in self._tests:
            score = scores[k] + orders * log_keep + drop * mu
            if score <= 0.0:
                scores[k], starts[k] = 0.0, None
                continue
            if starts[k] is None:
                starts[k] = float(sec)
                self._orders0[k], self._mu0[k] = cum_orders, cum_mu
            scores[k] = score
            if score > top:
                best, top = k, score
        self._best = best
        if best < 0:
            return
        self._last_sec = sec
        # A crossing needs score >= h + ln(mu) for some CUSUM; ln(mu) >= 1 - 1/mu,
        # so below that bound no logarithm is needed (the usual second).
        if mu > 0.0 and top < self._h_min + 1.0 - 1.0 / mu:
            return
        log_mu = math.log(mu) if mu > 0 else -30.0
        shift = log_mu + self._margin_at(log_mu)
        for k in self._ks:  # the first to cross, in the order of ``drops``
            score = scores[k]
            if score > 0 and score >= self._h0[k] + shift:
                self._best = best = k
                self._since_orders, self._since_mu, self._seconds = self._since()
                self._alarm = True
                self._alarm_llr = score
                self._alarm_base = self.baseline  # frozen while alarmed: read once
                self._onset = starts[k]
                self._severity = "crit" if self.evidence["drop"] >= self.crit_drop else "warn"
                return

    def _margin_at(self, log_mu: float) -> float:
        """The threshold margin (nats) at ``ln(mu)``, mu the orders expected this second."""
        points = self._margin_points
        if log_mu <= points[0][0]:
            return points[0][1]
        for (x0, m0), (x1, m1) in zip(points, points[1:], strict=False):
            if log_mu <= x1:
                return m0 + (m1 - m0) * (log_mu - x0) / (x1 - x0)
        return points[-1][1]

    def _update_alarmed(self, orders: int, viewer_s: float) -> None:
        """One second while alarmed: count it, and clear once the rate is back."""
        base = self._alarm_base  # ``baseline``, which nothing moves while alarmed
        if base is None or viewer_s <= 0.0:
            return
        mu = base * viewer_s
        self._since_orders += orders
        self._since_mu += mu
        self._seconds += 1
        # Back to the baseline against a ``clear_drop`` fall.
        d = self.clear_drop
        llr = orders * self._log_keep_clear + d * mu
        clear = self._clear - llr
        self._clear = clear = clear if clear > 0.0 else 0.0
        if clear >= self.clear_threshold:
            self._alarm = False
            self._clear = 0.0
            self.skip()
            self._lag.clear()  # the fall is not baseline material
        elif self._since_mu > 0.0 and 1.0 - self._since_orders / self._since_mu >= self.crit_drop:
            self._severity = "crit"  # the evidence's drop, without building the evidence

    # -- the second family: causes and words ---------------------------------

    def observe(self, second: Second) -> None:
        """Take one closed second: the room's featured product, coupons, orders and exposure."""
        self.step(second.state, second.sec, second.orders, second.viewer_s, second.coupon_live)

    def step(self, state: Any, sec: int, orders: int, viewer_s: float, coupon_live: bool) -> bool:
        """``observe`` with the second's numbers at hand (the monitor's call, every second of
        every room); return ``alarm``."""
        featured = state.featured
        if featured != self._featured:
            if self._featured is not None:
                self._switch = (sec, self._featured, featured)
            self._featured = featured
        product = state.products.get(featured) if featured else None
        if product is not None and product.stock == 0:
            if self._sold_out is None or self._sold_out[0] != featured:
                self._sold_out = (featured, sec)
                # The trailing minute still holds the sales that emptied it.
                self._rate_before = product.rate_1m(state.newest_sec)
        elif self._sold_out is not None:
            self._sold_out = None
        if coupon_live:
            # A coupon lifts orders for a while: judging conversion against a
            # coupon-free baseline, or learning the lift as normal, would both
            # raise a false drop when it ends. Coupon seconds are left out.
            self.skip()
            return self._alarm
        self.update(sec, orders, viewer_s)
        return self._alarm

    def cause(self, second: Second) -> tuple[str, dict[str, float]]:
        """What explains the fall, with its numbers: sold_out, product_switch, viewer_drop or none.

        A sold-out featured product comes first (it explains any fall); then a
        switch of the featured product, then a viewer drop, each if it came
        at most ``cause_window_s`` before the onset (or after it).
        """
        since = self._onset if self._onset is not None else float(second.sec)
        earliest = since - self.cause_window_s
        if self._sold_out is not None:
            return "sold_out", {
                "featured_stock": 0.0,
                "sold_out_s_ago": float(second.sec - self._sold_out[1]),
            }
        if self._switch is not None and self._switch[0] >= earliest:
            return "product_switch", {"switch_s_ago": float(second.sec - self._switch[0])}
        opened = second.opened.get("viewer_drop")
        if opened is not None and opened[0] >= earliest:
            return "viewer_drop", {
                "viewer_drop": opened[1].get("drop", 0.0),
                "viewer_drop_s_ago": float(second.ts - opened[0]),
            }
        return "none", {}

    def context(self, second: Second) -> dict[str, float]:
        """The cause's numbers, added to the alert's evidence."""
        return self.cause(second)[1]

    def detail(self, second: Second) -> str:
        """The fall in orders per 1k viewer-minutes, the counts behind it, and its cause."""
        e = self.evidence
        text = (f"orders per 1k viewer-min {e['recent_per_1k_min']:.1f} vs baseline "
                f"{e['baseline_per_1k_min']:.1f} ({-e['drop']:+.0%}; {e['orders']:.0f} orders "
                f"where {e['expected']:.0f} were expected over {e['seconds']:.0f} s)")  # fmt: skip
        cause, numbers = self.cause(second)
        state = second.state
        if cause == "sold_out":
            name = self._name(state, self._sold_out[0])  # type: ignore[index]
            best = advice.best_in_stock(state, exclude=self._sold_out[0])  # type: ignore[index]
            alt = f" or feature {best.name}, in stock" if best is not None else ""
            return (f"{text}: the featured {name} sold out {numbers['sold_out_s_ago']:.0f} s ago"
                    f" — restock it{alt}")  # fmt: skip
        if cause == "product_switch":
            _, old, new = self._switch  # type: ignore[misc]
            back = self._previous_in_stock(state)
            hint = (
                f" — feature {back.name} again"
                if back is not None and back.sku == old
                else f" — feature {back.name}, in stock"
                if back is not None
                else ""
            )
            return (
                f"{text}: right after switching from {self._name(state, old)} to "
                f"{self._name(state, new)} {numbers['switch_s_ago']:.0f} s ago{hint}"
            )
        if cause == "viewer_drop":
            return (
                f"{text}: right after online fell {numbers['viewer_drop']:.0%} "
                f"{numbers['viewer_drop_s_ago']:.0f} s ago — the audience changed, not the "
                "price: pin the offer for the viewers who stayed"
            )
        return f"{text}: consider a coupon"

    def suggest(self, second: Second) -> Suggestion:
        """The answer to the cause: restock, feature again, pin the offer, or a coupon."""
        cause, _ = self.cause(second)
        state = second.state
        if cause == "sold_out":
            product = state.products.get(self._sold_out[0])  # type: ignore[index]
            if product is not None:
                return advice.restock(product, self._rate_before, self.restock_minutes)
        if cause == "product_switch":
            return advice.feature(self._previous_in_stock(state))
        if cause == "viewer_drop":
            return advice.pin_offer(state)
        return {"action": "coupon", "args": {"discount_cents": self.coupon_discount_cents,
                                             "count": self.coupon_count}}  # fmt: skip

    def _previous_in_stock(self, state: Any) -> Any:
        """The product featured before the switch if still in stock, else the best seller."""
        old = self._switch[1] if self._switch is not None else None
        product = state.products.get(old) if old else None
        if product is not None and product.listed and (product.stock is None or product.stock > 0):
            return product
        return advice.best_in_stock(state, exclude=state.featured)

    @staticmethod
    def _name(state: Any, sku: str | None) -> str:
        product = state.products.get(sku) if sku else None
        return product.name if product is not None else str(sku)
