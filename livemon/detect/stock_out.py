"""``StockOutDetector``: a listed product's stock reached 0."""

from __future__ import annotations

from livemon.detect.base import Detector


class StockOutDetector(Detector):
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

    def __init__(self) -> None:
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
