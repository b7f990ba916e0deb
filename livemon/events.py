"""Typed protocol events (PROTOCOL.md, "Events") and their validation.

Valid events decode straight into these ``msgspec`` structs; an event that
does not fit gets one plain message naming the field, in the form
``order.qty must be a positive int``. Unknown keys are ignored.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec

Count = Annotated[int, msgspec.Meta(ge=1)]
NonNeg = Annotated[int, msgspec.Meta(ge=0)]
Positive = Annotated[int, msgspec.Meta(gt=0)]
# Finite seconds since the epoch: NaN fails every comparison, so both
# bounds also keep NaN and infinities out.
Timestamp = Annotated[float, msgspec.Meta(ge=0, le=1e11)]
Text = Annotated[str, msgspec.Meta(max_length=1000)]


class Event(msgspec.Struct, tag_field="type", frozen=True, gc=False):
    """Fields every event has: its room and its event time."""

    room: str
    ts: Timestamp


class Viewers(Event, tag="viewers", frozen=True, gc=False):
    online: NonNeg
    total: NonNeg | None = None


class Enter(Event, tag="enter", frozen=True, gc=False):
    n: Count = 1


class Comment(Event, tag="comment", frozen=True, gc=False):
    user: str
    text: Text


class Like(Event, tag="like", frozen=True, gc=False):
    n: Count


class Gift(Event, tag="gift", frozen=True, gc=False):
    user: str
    value_cents: NonNeg


class Follow(Event, tag="follow", frozen=True, gc=False):
    user: str


class Share(Event, tag="share", frozen=True, gc=False):
    user: str


class Click(Event, tag="click", frozen=True, gc=False):
    sku: str
    n: Count


class Order(Event, tag="order", frozen=True, gc=False):
    order_id: str
    sku: str
    qty: Count
    price_cents: NonNeg
    buyer: str
    coupon: str | None = None


class Refund(Event, tag="refund", frozen=True, gc=False):
    order_id: str


class Product(Event, tag="product", frozen=True, gc=False):
    sku: str
    name: str
    price_cents: NonNeg
    stock: NonNeg | None = None


class Stock(Event, tag="stock", frozen=True, gc=False):
    sku: str
    available: NonNeg


class Featured(Event, tag="featured", frozen=True, gc=False):
    sku: str | None


class Coupon(Event, tag="coupon", frozen=True, gc=False):
    coupon_id: str
    discount_cents: Positive
    count: Count
    sku: str | None = None
    expires_ts: Timestamp | None = None


class Live(Event, tag="live", frozen=True, gc=False):
    on: bool


EVENT_TYPES: tuple[type[Event], ...] = (
    Viewers, Enter, Comment, Like, Gift, Follow, Share, Click,
    Order, Refund, Product, Stock, Featured, Coupon, Live,
)  # fmt: skip
AnyEvent = (
    Viewers | Enter | Comment | Like | Gift | Follow | Share | Click
    | Order | Refund | Product | Stock | Featured | Coupon | Live
)  # fmt: skip
BY_TAG: dict[str, type[Event]] = {t.__struct_config__.tag: t for t in EVENT_TYPES}


class EventError(ValueError):
    """An event that does not fit PROTOCOL.md; the message names the field."""


# How each kind of field is described in an error message.
_KIND_WORDS = {
    "Count": "a positive int",
    "Positive": "a positive int",
    "NonNeg": "an int >= 0",
    "Timestamp": "a finite number of seconds since the epoch",
    "Text": "a string of at most 1000 characters",
}


def _field_rules(cls: type[Event]) -> list[tuple[str, str, bool]]:
    """(field, wording, required) for every field of ``cls``, in order."""
    import typing

    hints = typing.get_type_hints(cls, include_extras=False)
    raw = cls.__annotations__ | Event.__annotations__
    rules = []
    for name, default in zip(
        cls.__struct_fields__,
        (msgspec.NODEFAULT,) * (len(cls.__struct_fields__) - len(cls.__struct_defaults__))
        + cls.__struct_defaults__,
        strict=True,
    ):
        spelled = str(raw.get(name, ""))
        words = next((w for k, w in _KIND_WORDS.items() if k in spelled), None)
        if words is None:
            words = {str: "a string", bool: "a bool", float: "a number"}.get(
                hints[name] if isinstance(hints[name], type) else str, "a string"
            )
        nullable = "None" in spelled
        rules.append((name, words + (" or nil" if nullable else ""), default is msgspec.NODEFAULT))
    return rules


_RULES = {tag: _field_rules(cls) for tag, cls in BY_TAG.items()}
_EVENT_DECODER = msgspec.msgpack.Decoder(AnyEvent)


def explain(raw: Any) -> str:
    """The message for an event that failed typed decoding: names the field.

    >>> explain({"type": "order", "room": "r", "ts": 1.0, "order_id": "o",
    ...          "sku": "a", "qty": -2, "price_cents": 100, "buyer": "b"})
    'order.qty must be a positive int'
    >>> explain({"type": "dance", "room": "r", "ts": 1.0})
    "unknown event type 'dance'"
    >>> explain({"type": "like", "room": "r", "ts": float("nan"), "n": 1})
    'like.ts must be a finite number of seconds since the epoch'
    """
    if not isinstance(raw, dict):
        return f"an event must be a map, got {type(raw).__name__}"
    kind = raw.get("type")
    if not isinstance(kind, str):
        return "event.type must be a string"
    if kind not in _RULES:
        return f"unknown event type {kind!r}"
    for name, words, required in _RULES[kind]:
        if name not in raw:
            if required:
                return f"{kind}.{name} is missing"
            continue
        try:
            msgspec.convert({"type": kind, **_minimal(kind), name: raw[name]}, BY_TAG[kind])
        except msgspec.ValidationError:
            return f"{kind}.{name} must be {words}"
    return f"{kind} event does not fit PROTOCOL.md"


def _minimal(kind: str) -> dict[str, Any]:
    """A valid value for every required field of ``kind``, to test one field alone."""
    sample = {"room": "r", "ts": 0.0, "n": 1, "qty": 1, "online": 0, "available": 0,
              "price_cents": 0, "value_cents": 0, "discount_cents": 1, "count": 1,
              "on": True, "sku": "s"}  # fmt: skip
    return {
        name: sample.get(name, "x") for name, _, required in _RULES[kind] if required
    }


def decode_event(data: bytes) -> Event:
    """Decode one MessagePack-encoded event, or raise ``EventError`` naming the field."""
    try:
        return _EVENT_DECODER.decode(data)
    except msgspec.DecodeError:
        try:
            raw = msgspec.msgpack.decode(data)
        except msgspec.DecodeError:
            raise EventError("event is not valid MessagePack") from None
        raise EventError(explain(raw)) from None


def from_dict(raw: dict[str, Any]) -> Event:
    """Validate one event given as a plain dict (adapters, tests)."""
    try:
        return msgspec.convert(raw, AnyEvent)
    except msgspec.ValidationError:
        raise EventError(explain(raw)) from None
