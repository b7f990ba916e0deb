"""Suggested actions shared by several detectors: restock, feature the best seller, pin the offer.

Each returns an alert's ``suggest`` map (``{"action", "args"}``) or None.
"""

from __future__ import annotations

from typing import Any

from livemon.engine.room import ProductState, RoomState


def best_in_stock(state: RoomState, exclude: str | None = None) -> ProductState | None:
    """The best seller (units, then GMV), listed and in stock, other than ``exclude``."""
    return max(
        (p for p in state.products.values()
         if p.sku != exclude and p.listed and (p.stock is None or p.stock > 0)),
        key=lambda p: (p.sold, p.gmv_cents), default=None,
    )  # fmt: skip


def restock(product: ProductState, rate_per_min: float, minutes: float) -> dict[str, Any]:
    """Restock ``product`` with ``minutes`` of sales at ``rate_per_min`` (at least 10 units)."""
    add = max(10, round(rate_per_min * minutes))
    return {"action": "restock", "args": {"sku": product.sku, "add": add}}


def feature(product: ProductState | None) -> dict[str, Any] | None:
    """Present ``product`` (None when there is nothing to present)."""
    return None if product is None else {"action": "feature", "args": {"sku": product.sku}}


def pin_offer(state: RoomState) -> dict[str, Any] | None:
    """Pin the featured product's name, price and where to buy it, if one is featured."""
    p = state.products.get(state.featured) if state.featured else None
    if p is None:
        return None
    text = f"{p.name}: {p.price_cents / 100:.2f} — tap the cart for the link"
    return {"action": "pin", "args": {"text": text}}
