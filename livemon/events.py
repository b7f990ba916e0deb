"""Typed protocol events (docs/protocol.md, "Events") and their validation.

Valid events decode straight into these ``msgspec`` structs; an event that
does not fit gets one plain message naming the field, in the form
``order.qty must be a positive int``. Unknown keys are ignored.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

import msgspec

# Bounds of every number and string of an event (docs/limits.md says why each).
# They keep each total far below MAX_TOTAL, which the engine enforces.
MAX_N = 1_000_000  # enter/like/click n, order qty, coupon count: one event's count
MAX_CENTS = 10_000_000_000  # price, gift value, discount: ¥100,000,000 per unit
MAX_STOCK = 1_000_000_000  # units in stock
MAX_ONLINE = 1_000_000_000  # concurrent viewers
MAX_VIEWS = 1_000_000_000_000  # cumulative views
# Every total a snapshot carries stays an integer that any MessagePack library
# and a JavaScript double hold exactly.
MAX_TOTAL = 2**53 - 1
MAX_ID = 128  # sku, order_id, coupon ids
MAX_NAME = 256  # user, buyer
MAX_TITLE = 500  # product name
MAX_TEXT = 1000  # comment text (docs/protocol.md)
MAX_ROOM = 128  # room id
# A room id: letters (any script), digits, and . _ : @ - after the first.
# No slash, space or control character; never "." or "..".
_ROOM_ID = re.compile(r"\w[\w.:@-]*")

Count = Annotated[int, msgspec.Meta(ge=1, le=MAX_N)]
Cents = Annotated[int, msgspec.Meta(ge=0, le=MAX_CENTS)]
PositiveCents = Annotated[int, msgspec.Meta(gt=0, le=MAX_CENTS)]
Units = Annotated[int, msgspec.Meta(ge=0, le=MAX_STOCK)]
Online = Annotated[int, msgspec.Meta(ge=0, le=MAX_ONLINE)]
Views = Annotated[int, msgspec.Meta(ge=0, le=MAX_VIEWS)]
# Finite seconds since the epoch: NaN fails every comparison, so both
# bounds also keep NaN and infinities out.
Timestamp = Annotated[float, msgspec.Meta(ge=0, le=1e11)]
Id = Annotated[str, msgspec.Meta(max_length=MAX_ID)]
Name = Annotated[str, msgspec.Meta(max_length=MAX_NAME)]
Title = Annotated[str, msgspec.Meta(max_length=MAX_TITLE)]
Text = Annotated[str, msgspec.Meta(max_length=MAX_TEXT)]


class Event(msgspec.Struct, tag_field="type", frozen=True, gc=False):
    """Fields every event has: its room and its event time."""

    room: str
    ts: Timestamp


class Viewers(Event, tag="viewers", frozen=True, gc=False):
    online: Online
    total: Views | None = None


class Enter(Event, tag="enter", frozen=True, gc=False):
    n: Count = 1


class Comment(Event, tag="comment", frozen=True, gc=False):
    user: Name
    text: Text


class Like(Event, tag="like", frozen=True, gc=False):
    n: Count


class Gift(Event, tag="gift", frozen=True, gc=False):
    user: Name
    value_cents: Cents


class Follow(Event, tag="follow", frozen=True, gc=False):
    user: Name


class Share(Event, tag="share", frozen=True, gc=False):
    user: Name


class Click(Event, tag="click", frozen=True, gc=False):
    sku: Id
    n: Count


class Order(Event, tag="order", frozen=True, gc=False):
    order_id: Id
    sku: Id
    qty: Count
    price_cents: Cents
    buyer: Name
    coupon: Id | None = None


class Refund(Event, tag="refund", frozen=True, gc=False):
    order_id: Id


class Product(Event, tag="product", frozen=True, gc=False):
    sku: Id
    name: Title
    price_cents: Cents
    stock: Units | None = None


class Stock(Event, tag="stock", frozen=True, gc=False):
    sku: Id
    available: Units


class Featured(Event, tag="featured", frozen=True, gc=False):
    sku: Id | None


class Coupon(Event, tag="coupon", frozen=True, gc=False):
    coupon_id: Id
    discount_cents: PositiveCents
    count: Count
    sku: Id | None = None
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


def room_problem(room: str) -> str | None:
    """Why ``room`` cannot be a room id, or None if it can.

    >>> room_problem("room-1"), room_problem("直播间_7"), room_problem("7294@douyin")
    (None, None, None)
    >>> room_problem("..")
    'must be letters, digits and . _ : @ - starting with a letter or digit'
    >>> room_problem("r" * 129)
    'must be at most 128 characters'
    """
    if len(room) > MAX_ROOM:
        return f"must be at most {MAX_ROOM} characters"
    if not _ROOM_ID.fullmatch(room):
        return "must be letters, digits and . _ : @ - starting with a letter or digit"
    return None


class EventError(ValueError):
    """An event that does not fit docs/protocol.md; the message names the field."""


# How each kind of field is described in an error message.
_KIND_WORDS = {
    "Count": f"a positive int (at most {MAX_N:,})",
    "Cents": f"an int >= 0 (at most {MAX_CENTS:,})",
    "PositiveCents": f"a positive int (at most {MAX_CENTS:,})",
    "Units": f"an int >= 0 (at most {MAX_STOCK:,})",
    "Online": f"an int >= 0 (at most {MAX_ONLINE:,})",
    "Views": f"an int >= 0 (at most {MAX_VIEWS:,})",
    "Timestamp": "a finite number of seconds since the epoch",
    "Id": f"a string of at most {MAX_ID} characters",
    "Name": f"a string of at most {MAX_NAME} characters",
    "Title": f"a string of at most {MAX_TITLE} characters",
    "Text": f"a string of at most {MAX_TEXT} characters",
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
        words = _KIND_WORDS.get(spelled.split("|")[0].strip())
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
    'order.qty must be a positive int (at most 1,000,000)'
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
    return f"{kind} event does not fit docs/protocol.md"


def _minimal(kind: str) -> dict[str, Any]:
    """A valid value for every required field of ``kind``, to test one field alone."""
    sample = {"room": "r", "ts": 0.0, "n": 1, "qty": 1, "online": 0, "available": 0,
              "price_cents": 0, "value_cents": 0, "discount_cents": 1, "count": 1,
              "on": True, "sku": "s"}  # fmt: skip
    return {name: sample.get(name, "x") for name, _, required in _RULES[kind] if required}


def decode_event(data: bytes) -> Event:
    """Decode one MessagePack-encoded event, or raise ``EventError`` naming the field."""
    try:
        return _EVENT_DECODER.decode(data)
    except (msgspec.DecodeError, RecursionError):
        try:
            raw = msgspec.msgpack.decode(data)
        except msgspec.DecodeError:
            raise EventError("event is not valid MessagePack") from None
        except RecursionError:
            raise EventError("event nests arrays or maps too deeply") from None
        raise EventError(explain(raw)) from None


def from_dict(raw: dict[str, Any]) -> Event:
    """Validate one event given as a plain dict (adapters, tests)."""
    try:
        return msgspec.convert(raw, AnyEvent)
    except msgspec.ValidationError:
        raise EventError(explain(raw)) from None
