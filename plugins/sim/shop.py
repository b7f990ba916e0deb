"""The simulated room's shop: listed products, their stock, the featured one and live coupons.

Pure bookkeeping with no randomness; ``room.SimRoom`` decides who buys.
"""

from __future__ import annotations

from dataclasses import dataclass

from plugins.sim.catalog import CatalogItem

# Buy-rate multiple at a 100% discount; in between it grows linearly with the
# discount's share of the price, so a bigger coupon always sells more.
COUPON_UPLIFT = 3.0


@dataclass
class Listing:
    """A product on sale and its units left."""

    sku: str
    name: str
    price_cents: int
    stock: int


@dataclass
class LiveCoupon:
    """A coupon that went live: for one sku or store-wide (``sku`` None)."""

    coupon_id: str
    discount_cents: int
    left: int
    sku: str | None = None
    expires_ts: float | None = None

    def applies(self, sku: str, ts: float) -> bool:
        """True if an order of ``sku`` at ``ts`` can still use this coupon."""
        if self.left < 1 or (self.expires_ts is not None and ts >= self.expires_ts):
            return False
        return self.sku is None or self.sku == sku


class Shop:
    """Products by sku (catalog order), the featured sku and the coupons issued so far.

    >>> shop = Shop([CatalogItem("a", "A", 1000, 5)])
    >>> shop.coupons.append(LiveCoupon("c1", 250, left=1))
    >>> shop.uplift("a", 0.0), shop.unit_price("a", 0.0)
    (1.75, (750, 'c1'))
    >>> shop.take("a", 2, 0.0), shop.uplift("a", 0.0)
    (3, 1.0)
    """

    def __init__(self, catalog: list[CatalogItem]) -> None:
        self.products = {p.sku: Listing(p.sku, p.name, p.price_cents, p.stock) for p in catalog}
        self.featured: str | None = catalog[0].sku if catalog else None
        self.coupons: list[LiveCoupon] = []

    def best_coupon(self, sku: str, ts: float) -> LiveCoupon | None:
        """The usable coupon with the largest discount for ``sku`` at ``ts``, if any."""
        usable = [c for c in self.coupons if c.applies(sku, ts)]
        return max(usable, key=lambda c: c.discount_cents, default=None)

    def uplift(self, sku: str, ts: float) -> float:
        """How many times more often ``sku`` sells at ``ts`` thanks to the best live coupon."""
        coupon = self.best_coupon(sku, ts)
        if coupon is None:
            return 1.0
        price = self.products[sku].price_cents
        share = 1.0 if price == 0 else min(1.0, coupon.discount_cents / price)
        return 1.0 + COUPON_UPLIFT * share

    def unit_price(self, sku: str, ts: float) -> tuple[int, str | None]:
        """The unit price an order of ``sku`` at ``ts`` pays, and the coupon it uses."""
        price = self.products[sku].price_cents
        coupon = self.best_coupon(sku, ts)
        if coupon is None:
            return price, None
        return max(0, price - coupon.discount_cents), coupon.coupon_id

    def take(self, sku: str, qty: int, ts: float) -> int:
        """Sell up to ``qty`` units of ``sku`` at ``ts`` using the best coupon; the stock left.

        The caller has already priced the order with :meth:`unit_price`.
        """
        item = self.products[sku]
        item.stock -= min(qty, item.stock)
        coupon = self.best_coupon(sku, ts)
        if coupon is not None:
            coupon.left -= 1
        return item.stock
