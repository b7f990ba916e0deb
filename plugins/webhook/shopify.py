"""Shopify-style order webhooks to protocol events.

``orders/create`` and ``orders/paid`` carry an order with its ``line_items``;
when the order's ``financial_status`` is one of the paid ones, each line
becomes one ``order`` event whose ``order_id`` is ``<order id>:<line id>``.
``refunds/create`` carries ``refund_line_items``; each becomes a ``refund`` of
that line (the protocol refunds a whole order line: a refund of part of a
line's quantity still takes the whole line out, and says so in the log).
"""

from __future__ import annotations

from typing import Any

from plugins.webhook.values import PayloadError, cents, epoch, text, whole

ORDER_TOPICS = ("orders/create", "orders/paid", "orders/updated")
REFUND_TOPICS = ("refunds/create",)


def line_id(order_id: str, line: str) -> str:
    """The protocol ``order_id`` of one order line."""
    return f"{order_id}:{line}"


def order_events(payload: dict[str, Any], room: str, received: float, paid: tuple[str, ...],
                 order_time: bool) -> list[dict[str, Any]]:  # fmt: skip
    """The ``order`` events of a paid order (none for one not paid yet).

    >>> order = {"id": 7, "financial_status": "paid", "processed_at": "2026-01-01T00:00:00Z",
    ...          "customer": {"id": 42}, "discount_codes": [{"code": "LIVE5"}],
    ...          "line_items": [{"id": 1, "sku": "TEA", "quantity": 2, "price": "10.00",
    ...                          "discount_allocations": [{"amount": "1.00"}]}]}
    >>> order_events(order, "r", 0.0, ("paid",), True)  # doctest: +NORMALIZE_WHITESPACE
    [{'type': 'order', 'room': 'r', 'ts': 1767225600.0, 'order_id': '7:1', 'sku': 'TEA',
      'qty': 2, 'price_cents': 950, 'buyer': '42', 'coupon': 'LIVE5'}]
    """
    status = payload.get("financial_status")
    if status not in paid:
        return []
    order = text(payload.get("id"), "order.id")
    ts = _time(payload, ("processed_at", "created_at"), received, order_time)
    buyer = _buyer(payload)
    codes = [c.get("code") for c in payload.get("discount_codes") or [] if isinstance(c, dict)]
    coupon = next((str(c) for c in codes if c), None)
    lines = payload.get("line_items")
    if not isinstance(lines, list) or not lines:
        raise PayloadError("order.line_items must be a non-empty list")
    events = []
    for k, line in enumerate(lines):
        where = f"order.line_items.{k}"
        if not isinstance(line, dict):
            raise PayloadError(f"{where} must be an object")
        qty = whole(line.get("quantity"), f"{where}.quantity", 1)
        gross = cents(line.get("price"), f"{where}.price") * qty
        allocations = [d for d in line.get("discount_allocations") or [] if isinstance(d, dict)]
        off = sum(cents(d.get("amount"), f"{where}.discount_allocations.amount")
                  for d in allocations)  # fmt: skip
        sku = line.get("sku") or line.get("variant_id") or line.get("product_id")
        event = {
            "type": "order", "room": room, "ts": ts,
            "order_id": line_id(order, text(line.get("id"), f"{where}.id")),
            "sku": text(sku, f"{where}.sku"), "qty": qty,
            # The unit price paid: the line's total after its discounts, per unit, half up.
            "price_cents": max(0, (gross - off + qty // 2) // qty), "buyer": buyer,
        }  # fmt: skip
        if coupon:
            event["coupon"] = coupon
        events.append(event)
    return events


def refund_events(payload: dict[str, Any], room: str, received: float,
                  order_time: bool) -> tuple[list[dict[str, Any]], list[str]]:  # fmt: skip
    """The ``refund`` events of a refund, and a note for each line refunded only in part.

    >>> refund = {"id": 9, "order_id": 7, "created_at": "2026-01-01T00:05:00Z",
    ...           "refund_line_items": [{"line_item_id": 1, "quantity": 1,
    ...                                  "line_item": {"quantity": 2}}]}
    >>> refund_events(refund, "r", 0.0, True)  # doctest: +NORMALIZE_WHITESPACE
    ([{'type': 'refund', 'room': 'r', 'ts': 1767225900.0, 'order_id': '7:1'}],
     ['refund 9 returns 1 of 2 units of line 7:1: the whole line is taken out'])
    """
    order = text(payload.get("order_id"), "refund.order_id")
    ts = _time(payload, ("processed_at", "created_at"), received, order_time)
    events, notes = [], []
    for k, item in enumerate(payload.get("refund_line_items") or []):
        where = f"refund.refund_line_items.{k}"
        if not isinstance(item, dict):
            raise PayloadError(f"{where} must be an object")
        oid = line_id(order, text(item.get("line_item_id"), f"{where}.line_item_id"))
        events.append({"type": "refund", "room": room, "ts": ts, "order_id": oid})
        line = item["line_item"] if isinstance(item.get("line_item"), dict) else {}
        back, bought = item.get("quantity"), line.get("quantity")
        if isinstance(back, int) and isinstance(bought, int) and back < bought:
            notes.append(f"refund {payload.get('id')} returns {back} of {bought} units of "
                         f"line {oid}: the whole line is taken out")  # fmt: skip
    return events, notes


def _buyer(payload: dict[str, Any]) -> str:
    customer = payload.get("customer")
    if isinstance(customer, dict) and customer.get("id") is not None:
        return str(customer["id"])
    for key in ("email", "phone", "contact_email"):
        if payload.get(key):
            return str(payload[key])
    return f"order:{payload.get('id')}"  # a guest checkout: one buyer per order


def _time(payload: dict[str, Any], keys: tuple[str, ...], received: float,
          order_time: bool) -> float:  # fmt: skip
    if order_time:
        for key in keys:
            if payload.get(key):
                return epoch(payload[key], key)
    return received
