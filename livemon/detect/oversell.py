"""``OversellDetector``: an order arrived for more units than were in stock."""

from __future__ import annotations

from typing import Any

from livemon.detect.base import StockDetector
from livemon.engine.room import RoomState


class OversellDetector(StockDetector):
    """Alarms when an order's quantity exceeds the known stock before it; clears on a restock.

    The engine floors stock at 0, so the caller passes the stock *before* the
    order. Unknown stock (None) never alarms. Always ``crit``: a sale was
    taken that cannot be shipped.

    Examples
    --------
    >>> detector = OversellDetector()
    >>> detector.update(5, 2); detector.alarm
    False
    >>> detector.update(0, 1); detector.alarm, detector.severity, detector.evidence
    (True, 'crit', {'oversold_units': 1.0, 'orders': 1.0})
    >>> detector.update(1, 3); detector.evidence
    {'oversold_units': 3.0, 'orders': 2.0}
    >>> detector.restocked(); detector.alarm
    False
    """

    kind = "oversell"

    def __init__(self) -> None:
        self._units = 0
        self._orders = 0

    @property
    def evidence(self) -> dict[str, float]:
        return {"oversold_units": float(self._units), "orders": float(self._orders)}

    def update(self, stock_before: int | None, qty: int) -> None:
        """Take one order of ``qty`` units that met ``stock_before`` units in stock."""
        if stock_before is None or qty <= stock_before:
            return
        self._alarm, self._severity = True, "crit"
        self._units += qty - stock_before
        self._orders += 1

    def restocked(self) -> None:
        """Stock was set above 0 again: the oversell is over."""
        self._alarm = False
        self._units = self._orders = 0

    def observe(self, product: Any, state: RoomState, qty: int = 0,
                before: int | None = None) -> None:  # fmt: skip
        """An order of ``qty`` met ``before`` units; a stock event (qty 0) above 0 restocks."""
        if qty:
            self.update(before, qty)
        elif self._alarm and (product.stock or 0) > 0:
            self.restocked()

    def detail(self, product: Any, state: RoomState) -> str:
        """Units taken that cannot be shipped."""
        return f"{product.name}: {self._units} units ordered beyond stock"
