"""The simulated room's product catalog, read from ``catalog.json`` beside this module.

The products are real lines of the UCI Online Retail data set (2011-11-21..25,
the most frequently ordered ones): their names, and their median wholesale
``UnitPrice`` in GBP times 10 (roughly GBP to CNY and wholesale to retail),
in integer fen. Stock is given for a room of 1,000 viewers buying at 2% per
minute and is scaled to the room's expected sales, so that the same products
sell out at about the same point of a session whatever its size.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

_DATA = Path(__file__).with_name("catalog.json")

# Stock in catalog.json is sized for this many orders per minute of the featured product.
_BASIS_ORDERS_PER_MIN = 1000 * 0.02


@dataclass(frozen=True)
class CatalogItem:
    """One listed product: its sku, display name, unit price in cents and opening stock."""

    sku: str
    name: str
    price_cents: int
    stock: int


@cache
def _raw() -> tuple[CatalogItem, ...]:
    with _DATA.open(encoding="utf-8") as f:
        return tuple(CatalogItem(**p) for p in json.load(f)["products"])


def load_catalog(viewers: int, buy_rate: float) -> list[CatalogItem]:
    """The catalog with stock scaled to ``viewers × buy_rate`` orders per minute (at least 5).

    >>> [(p.sku, p.stock) for p in load_catalog(1000, 0.02)][:2]
    [('23084', 5000), ('23355', 1500)]
    >>> load_catalog(100, 0.02)[-1].stock
    5
    """
    scale = viewers * buy_rate / _BASIS_ORDERS_PER_MIN
    return [
        CatalogItem(p.sku, p.name, p.price_cents, max(5, round(p.stock * scale))) for p in _raw()
    ]
