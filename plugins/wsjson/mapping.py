"""A declarative mapping from a feed's JSON / MessagePack messages to protocol events.

The mapping is a table from a message *kind* (the value at the ``kind`` path
of a message) to an event: its ``type`` and, for each field of that event, a
dotted path into the message (``user.name``, ``items.0.sku``) or a literal
``{ value = X }``. For example::

    [adapters.wsjson.map.chat]
    type = "comment"
    user = "user.nick"
    text = "content"

A mapping that names an unknown event type or field, or leaves out a field
the event needs, is refused when the adapter starts (:class:`MapOption`); a
message that does not fit its mapping gets a :class:`MappingError` naming the
mapping entry, the field and the message.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass
from typing import Any

from livemon.adapters.base import Option
from livemon.events import BY_TAG, EventError, from_dict

# Protocol fields that are strings: a number found there (a numeric user id,
# a sku) is written as its decimal text. Every other field is a number or bool.
STRING_FIELDS = frozenset({"user", "text", "sku", "order_id", "name", "buyer", "coupon",
                           "coupon_id"})  # fmt: skip
MISSING = object()


class MappingError(ValueError):
    """A message that does not fit its mapping; the text names the field and the message."""


def dig(data: Any, path: str) -> Any:
    """The value at dotted ``path`` (list items by index), or ``MISSING``.

    >>> dig({"a": {"b": [1, {"c": 2}]}}, "a.b.1.c"), dig({"a": 1}, "a.x") is MISSING
    (2, True)
    """
    for part in path.split("."):
        if isinstance(data, dict) and part in data:
            data = data[part]
        elif (
            isinstance(data, list)
            and part.lstrip("-").isdigit()
            and -len(data) <= int(part) < len(data)
        ):
            data = data[int(part)]
        else:
            return MISSING
    return data


def event_fields(kind: str) -> tuple[list[str], set[str]]:
    """The fields of event ``kind`` a mapping may set (not room, ts) and those it must."""
    cls = BY_TAG[kind]
    names = [n for n in cls.__struct_fields__ if n not in ("type", "room", "ts")]
    with_default = set(cls.__struct_fields__[len(cls.__struct_fields__)
                                             - len(cls.__struct_defaults__):])  # fmt: skip
    return names, {n for n in names if n not in with_default}


@dataclass(frozen=True)
class Entry:
    """How messages of one kind become one event type."""

    kind: str
    event: str
    fields: dict[str, str | dict[str, Any]]  # field -> dotted path, or {"value": literal}


def check_map(value: Any, name: str = "map") -> dict[str, Entry]:
    """The mapping table checked and typed; a ``ValueError`` naming the entry and field.

    >>> sorted(check_map({"chat": {"type": "comment", "user": "u", "text": "t"}}))
    ['chat']
    >>> check_map({"chat": {"type": "comment", "user": "u"}})
    Traceback (most recent call last):
    ...
    ValueError: option map.chat: a comment needs text (a dotted path or { value = ... })
    """
    if not isinstance(value, dict) or not value:
        raise ValueError(f"option {name} must be a table of message kinds, e.g. "
                         '[adapters.wsjson.map.chat] type = "comment" ...')  # fmt: skip
    out: dict[str, Entry] = {}
    for kind, spec in value.items():
        where = f"option {name}.{kind}"
        if not isinstance(spec, dict) or not isinstance(spec.get("type"), str):
            raise ValueError(f"{where} must be a table with type = one of {', '.join(BY_TAG)}")
        event = spec["type"]
        if event not in BY_TAG:
            raise ValueError(f"{where}: no event type {event!r} (types: {', '.join(BY_TAG)})")
        allowed, required = event_fields(event)
        fields = {k: v for k, v in spec.items() if k != "type"}
        for field, source in fields.items():
            if field not in allowed:
                raise ValueError(f"{where}: a {event} has no field {field!r} "
                                 f"(fields: {', '.join(allowed) or 'none'})")  # fmt: skip
            literal = isinstance(source, dict) and set(source) == {"value"}
            if not literal and not (isinstance(source, str) and source):
                raise ValueError(f"{where}.{field} must be a dotted path string or "
                                 f"{{ value = ... }}, got {source!r}")  # fmt: skip
        for field in sorted(required - set(fields)):
            raise ValueError(
                f"{where}: a {event} needs {field} (a dotted path or {{ value = ... }})"
            )
        out[str(kind)] = Entry(str(kind), event, fields)
    return out


class MapOption(Option):
    """The ``map`` option: a table in config, or TOML / JSON text on ``--set``."""

    def convert(self, name: str, value: Any) -> dict[str, Entry]:
        """The checked mapping (already checked: returned as is)."""
        if isinstance(value, dict) and value and all(isinstance(v, Entry) for v in value.values()):
            return value
        if isinstance(value, str):
            text = value.strip()
            try:
                value = json.loads(text) if text.startswith("{") and '":' in text else (
                    tomllib.loads(f"v = {text}")["v"])  # fmt: skip
            except (ValueError, tomllib.TOMLDecodeError) as exc:
                raise ValueError(f"option {name} must be a table: {exc}") from None
        return check_map(value, name)


def sample(message: Any) -> str:
    """``message`` as short JSON text for an error message."""
    text = json.dumps(message, ensure_ascii=False, default=repr)
    return text if len(text) <= 300 else text[:300] + "..."


def build(entry: Entry, message: Any, room: str, ts: float) -> dict[str, Any]:
    """The protocol event ``entry`` makes of ``message``; ``MappingError`` if it does not fit."""
    event: dict[str, Any] = {"type": entry.event, "room": room, "ts": ts}
    for field, source in entry.fields.items():
        if isinstance(source, dict):
            value = source["value"]
        else:
            value = dig(message, source)
            if value is MISSING:
                raise MappingError(f"wsjson: map.{entry.kind}.{field}: no field {source!r} in "
                                   f"message {sample(message)}")  # fmt: skip
        event[field] = _coerce(field, value)
    try:
        from_dict(event)
    except EventError as exc:
        raise MappingError(f"wsjson: map.{entry.kind}: {exc} (from {_describe(entry)}) in "
                           f"message {sample(message)}") from None  # fmt: skip
    return event


def _describe(entry: Entry) -> str:
    return ", ".join(f"{k} = {v!r}" for k, v in entry.fields.items())


def _coerce(field: str, value: Any) -> Any:
    """Numbers as text where the protocol wants text; numeric text as numbers elsewhere."""
    if field in STRING_FIELDS:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return str(value)
        return value
    if isinstance(value, str):
        text = value.strip()
        for kind in (int, float):
            try:
                return kind(text)
            except ValueError:
                pass
    if isinstance(value, float) and value.is_integer() and field != "ts":
        return int(value)
    return value
