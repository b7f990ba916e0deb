"""The generic JSON form: any shop back-end's order JSON, read through a field mapping.

The mapping (``[adapters.webhook.fields]`` in config) gives a dotted path for
each field. With ``items`` the order has several lines, each read first from
the line, then from the order body (so ``order_id`` may sit in the body and
``sku`` in each line); without it the body is one line.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from typing import Any

from livemon.adapters.base import Option
from plugins.webhook.values import MISSING, PayloadError, cents, dig, epoch, text, whole

# Mapping keys: what each one reads.
FIELDS = {
    "items": "path of the list of order lines (omit: the body is one line)",
    "order_id": "the order's id (required)",
    "line_id": "a line's id within its order (default: its position in items)",
    "sku": "the product's SKU (required)",
    "qty": "units bought (default 1)",
    "price_cents": "unit price paid in cents/fen (or price)",
    "price": 'unit price paid in major units, e.g. "19.90" (or price_cents)',
    "buyer": "the buyer's id (default: one buyer per order)",
    "coupon": "the coupon code used (optional)",
    "ts": "paid time, epoch seconds/ms or ISO 8601 (default: time received)",
    "status": "the order's payment status (optional; with paid)",
    "paid": "the status value(s) that count as paid, comma-separated (default: any)",
}


@dataclass(frozen=True)
class FieldMap(Option):
    """An option holding a field mapping: a table in config, or TOML/JSON text on --set.

    >>> FieldMap(dict, {}, "x").convert("fields", '{order_id = "no", sku = "item.sku"}')
    {'order_id': 'no', 'sku': 'item.sku'}
    """

    def convert(self, name: str, value: Any) -> dict[str, str]:
        """The mapping, checked: known keys, string paths; a ``ValueError`` naming the key."""
        if isinstance(value, str):
            text_value = value.strip() or "{}"
            try:
                value = tomllib.loads(f"v = {text_value}")["v"]
            except tomllib.TOMLDecodeError as exc:
                example = '{order_id = "no", sku = "sku"}'
                raise ValueError(f"option {name} must be a table like {example}: {exc}") from None
        if not isinstance(value, dict):
            raise ValueError(f"option {name} must be a table of field paths, got {value!r}")
        for key, path in value.items():
            if key not in FIELDS:
                raise ValueError(
                    f"option {name} has no field {key!r} (fields: {', '.join(FIELDS)})"
                )
            if not isinstance(path, str) or not path:
                raise ValueError(f"option {name}.{key} must be a dotted path string, got {path!r}")
        return dict(value)


@dataclass(frozen=True)
class Line:
    """One order line read from a generic payload, before it gets its room and time."""

    order_id: str
    sku: str
    qty: int
    price_cents: int
    buyer: str
    coupon: str | None


def order_events(payload: Any, fields: dict[str, str], room: str,
                 received: float) -> list[dict[str, Any]]:  # fmt: skip
    """The ``order`` events of one generic order (none if its status is not paid).

    >>> fields = {"items": "items", "order_id": "no", "sku": "sku", "qty": "n", "price": "p",
    ...           "buyer": "user"}
    >>> body = {"no": "A1", "user": "u9", "items": [{"sku": "TEA", "n": 2, "p": "9.90"}]}
    >>> order_events(body, fields, "r", 5.0)  # doctest: +NORMALIZE_WHITESPACE
    [{'type': 'order', 'room': 'r', 'ts': 5.0, 'order_id': 'A1:0', 'sku': 'TEA', 'qty': 2,
      'price_cents': 990, 'buyer': 'u9'}]
    """
    if not isinstance(payload, dict):
        raise PayloadError("the body must be a JSON object")
    if not fields.get("order_id") or not fields.get("sku"):
        raise PayloadError("webhook.fields must map at least order_id and sku: see the "
                           "commented example in config/webhook.toml")  # fmt: skip
    if "status" in fields and fields.get("paid"):
        status = dig(payload, fields["status"])
        if str(status) not in [p.strip() for p in fields["paid"].split(",")]:
            return []
    ts = epoch(_get(payload, None, fields, "ts"), fields["ts"]) if "ts" in fields else received
    events = []
    for line in lines(payload, fields):
        event = {"type": "order", "room": room, "ts": ts, "order_id": line.order_id,
                 "sku": line.sku, "qty": line.qty, "price_cents": line.price_cents,
                 "buyer": line.buyer}  # fmt: skip
        if line.coupon:
            event["coupon"] = line.coupon
        events.append(event)
    return events


def lines(payload: dict[str, Any], fields: dict[str, str]) -> list[Line]:
    """Every line of the order, each with its own protocol ``order_id``."""
    order = text(_get(payload, None, fields, "order_id"), fields["order_id"])
    if "items" not in fields:
        return [_line(payload, None, fields, order, order, "the order")]
    items = dig(payload, fields["items"])
    if not isinstance(items, list) or not items:
        raise PayloadError(f"{fields['items']} must be a non-empty list of order lines")
    out = []
    for k, item in enumerate(items):
        if not isinstance(item, dict):
            raise PayloadError(f"{fields['items']}.{k} must be an object")
        lid = _get(payload, item, fields, "line_id") if "line_id" in fields else k
        lid = k if lid in (MISSING, None, "") else lid
        where = f"order line {fields['items']}.{k}"
        out.append(_line(payload, item, fields, order, f"{order}:{text(lid, where)}", where))
    return out


def refund_ids(payload: Any, fields: dict[str, str]) -> tuple[str, list[str] | None]:
    """The order refunded and its refunded line ids (``None``: every line of the order)."""
    if not isinstance(payload, dict):
        raise PayloadError("the body must be a JSON object")
    order = text(_get(payload, None, fields, "order_id"), fields.get("order_id", "order_id"))
    if "items" in fields and "line_id" in fields and dig(payload, fields["items"]) is not MISSING:
        items = dig(payload, fields["items"])
        if not isinstance(items, list):
            raise PayloadError(f"{fields['items']} must be a list of refunded lines")
        return order, [f"{order}:{text(_get(payload, i, fields, 'line_id'), fields['line_id'])}"
                       for i in items if isinstance(i, dict)]  # fmt: skip
    return order, None


def _line(payload: dict[str, Any], item: dict[str, Any] | None, fields: dict[str, str],
          order: str, order_id: str, where: str) -> Line:  # fmt: skip
    def get(key: str) -> Any:
        return _get(payload, item, fields, key, where)

    def path(key: str) -> str:
        return f"{fields[key]} in {where}"

    qty = whole(get("qty"), path("qty"), 1) if "qty" in fields else 1
    if "price_cents" in fields:
        price = whole(get("price_cents"), path("price_cents"))
    elif "price" in fields:
        price = cents(get("price"), path("price"))
    else:
        raise PayloadError("webhook.fields must map price_cents or price")
    buyer = get("buyer") if "buyer" in fields else MISSING
    coupon = get("coupon") if "coupon" in fields else None
    return Line(
        order_id=order_id, sku=text(get("sku"), path("sku")), qty=qty,
        price_cents=price,
        buyer=text(buyer, path("buyer")) if buyer is not MISSING else f"order:{order}",
        coupon=str(coupon) if coupon not in (None, MISSING, "") else None,
    )  # fmt: skip


def _get(payload: dict[str, Any], item: dict[str, Any] | None, fields: dict[str, str],
         key: str, where: str = "the order") -> Any:  # fmt: skip
    """The value of mapped field ``key``: from the line first, then the body; ``PayloadError``
    naming the path when neither has it (optional fields are checked by the caller)."""
    path = fields[key]
    value = dig(item, path) if item is not None else MISSING
    if value is MISSING:
        value = dig(payload, path)
    if value is MISSING and key not in ("buyer", "coupon", "line_id"):
        raise PayloadError(f"no {key} at {path!r} in {where} (webhook.fields.{key})")
    return value
