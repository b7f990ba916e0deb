"""``StockOutDetector``: a listed product's stock reached 0."""

from __future__ import annotations

from typing import Any

from livemon.detect import advice
from livemon.detect.base import StockDetector, Suggestion
from livemon.engine.room import RoomState


class StockOutDetector(StockDetector):
    """Alarms the moment a product's known stock is 0; clears when it is above 0 again.

    Fed on every stock change (orders, ``stock`` and ``product`` events), so
    the alarm carries the event time of the change itself. ``crit`` when the
    product is the featured one (viewers are being shown what they cannot
    buy), else ``warn``.

    Examples
    --------
    >>> detector = StockOutDetector()
    >>> for stock, featured in ((3, True), (0, False), (0, True), (20, True)):
    ...     detector.update(stock, featured)
    ...     print(stock, detector.alarm, detector.severity)
    3 False None
    0 True warn
    0 True crit
    20 False None
    """

    kind = "stock_out"

    def __init__(self, restock_minutes: float = 10.0) -> None:
        self.restock_minutes = restock_minutes
        self._stock = 0

    @property
    def evidence(self) -> dict[str, float]:
        return {"stock": float(self._stock)}

    def update(self, stock: int, featured: bool = False) -> None:
        """Take the product's stock now and whether it is the featured one."""
        self._stock = stock
        self._alarm = stock <= 0
        if self._alarm and self._severity != "crit":
            self._severity = "crit" if featured else "warn"
        elif not self._alarm:
            self._severity = None

    def observe(self, product: Any, state: RoomState, qty: int = 0,
                before: int | None = None) -> None:  # fmt: skip
        """Take one stock change of ``product`` (its stock now, and whether it is featured)."""
        self.update(product.stock or 0, state.featured == product.sku)

    def detail(self, product: Any, state: RoomState) -> str:
        """The product, and whether viewers are being shown it."""
        return f"{product.name} sold out" + (
            " while featured" if state.featured == product.sku else "")  # fmt: skip

    def suggest(self, product: Any, state: RoomState) -> Suggestion:
        """Featured: present the best seller still in stock; otherwise restock it."""
        if state.featured != product.sku:
            rate = product.rate_1m(state.newest_sec)
            return advice.restock(product, rate, self.restock_minutes)
        return advice.feature(advice.best_in_stock(state, exclude=product.sku))
