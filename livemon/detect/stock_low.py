"""``StockLowDetector``: a product about to sell out (time to stock-out, or a floor)."""

from __future__ import annotations

from typing import Any

from livemon.detect import advice
from livemon.detect.base import StockDetector, Suggestion
from livemon.engine.room import RoomState


class StockLowDetector(StockDetector):
    """Alarms when the stock lasts less than ``eta_s`` seconds at its rate, or is under ``floor``.

    The rate is units per minute (the engine's trailing minute). The alarm
    clears only once both limits are exceeded ``clear_factor`` times over
    (hysteresis, so a noisy rate does not flap it), or when the stock is 0
    (then ``stock_out`` takes over). ``crit`` when less than half of
    ``eta_s`` is left.

    Parameters
    ----------
    eta_s
        Seconds to stock-out under which it alarms.
    floor
        Units left under which it alarms.
    clear_factor
        Multiple of both limits the stock must exceed to clear.
    restock_minutes
        The suggested restock covers this many minutes of sales at the current rate.

    Examples
    --------
    >>> detector = StockLowDetector()
    >>> for stock in (300, 80, 55, 25, 0):
    ...     detector.update(stock, rate_per_min=30.0)
    ...     print(stock, detector.alarm, detector.severity)
    300 False None
    80 False None
    55 True warn
    25 True crit
    0 False None
    >>> detector.update(9, rate_per_min=0.0); detector.alarm, detector.evidence
    (True, {'stock': 9.0, 'rate_per_min': 0.0, 'eta_s': -1.0})
    """

    kind = "stock_low"

    def __init__(self, eta_s: float = 120.0, floor: int = 10, clear_factor: float = 1.5,
                 restock_minutes: float = 10.0) -> None:  # fmt: skip
        self.restock_minutes = restock_minutes
        self.eta_s = eta_s
        self.floor = floor
        self.clear_factor = clear_factor
        self._stock = 0.0
        self._rate = 0.0

    @property
    def eta(self) -> float | None:
        """Seconds to stock-out at the last rate, None when not selling."""
        return self._stock * 60.0 / self._rate if self._rate > 0 else None

    @property
    def evidence(self) -> dict[str, float]:
        eta = self.eta
        return {"stock": self._stock, "rate_per_min": self._rate,
                "eta_s": -1.0 if eta is None else round(eta, 1)}  # fmt: skip

    def update(self, stock: int, rate_per_min: float) -> None:
        """Take the product's stock now and its units sold per minute."""
        self._stock, self._rate = float(stock), float(rate_per_min)
        if stock <= 0:
            self._alarm = False
            return
        eta = self.eta
        low = stock < self.floor or (eta is not None and eta < self.eta_s)
        if low:
            self._alarm = True
            self._severity = "crit" if eta is not None and eta < self.eta_s / 2 else "warn"
        elif self._alarm:
            k = self.clear_factor
            if stock >= self.floor * k and (eta is None or eta >= self.eta_s * k):
                self._alarm = False

    def observe(self, product: Any, state: RoomState, qty: int = 0,
                before: int | None = None) -> None:  # fmt: skip
        """Take one stock change of ``product``: its stock and trailing-minute rate now."""
        self.update(product.stock or 0, product.rate_1m(state.newest_sec))

    def detail(self, product: Any, state: RoomState) -> str:
        """Units left and, when selling, seconds to stock-out."""
        eta = self.eta
        return f"{product.name}: {product.stock} left" + (
            f", ~{eta:.0f} s to stock-out" if eta is not None else "")  # fmt: skip

    def suggest(self, product: Any, state: RoomState) -> Suggestion:
        """Restock ``restock_minutes`` of sales at the current rate (at least 10 units)."""
        return advice.restock(product, self._rate, self.restock_minutes)
