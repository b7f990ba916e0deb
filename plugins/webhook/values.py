"""Reading shop payload values: money to integer cents, times to epoch seconds, dotted paths."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any


class PayloadError(ValueError):
    """A delivery that cannot be read; the message names the field and what was wrong."""


MISSING = object()


def dig(data: Any, path: str) -> Any:
    """The value at dotted ``path`` in ``data`` (list items by index), or ``MISSING``.

    >>> dig({"a": {"b": [{"c": 3}]}}, "a.b.0.c"), dig({"a": 1}, "a.x") is MISSING
    (3, True)
    """
    for part in path.split("."):
        if isinstance(data, dict) and part in data:
            data = data[part]
        elif isinstance(data, list) and part.isdigit() and int(part) < len(data):
            data = data[int(part)]
        else:
            return MISSING
    return data


def cents(value: Any, field: str) -> int:
    """A money amount in major units ("199.00", 199, 199.5) as integer cents, half up.

    >>> cents("199.00", "price"), cents(0.105, "price"), cents("12", "price")
    (19900, 11, 1200)
    """
    if isinstance(value, bool) or value is None:
        raise PayloadError(f'{field} must be an amount like "199.00", got {value!r}')
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise PayloadError(f'{field} must be an amount like "199.00", got {value!r}') from None
    if not amount.is_finite() or amount < 0:
        raise PayloadError(f"{field} must be an amount >= 0, got {value!r}")
    return int((amount * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def whole(value: Any, field: str, minimum: int = 0) -> int:
    """An integer (or an integral string) of at least ``minimum``; ``PayloadError`` otherwise."""
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        value = int(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise PayloadError(f"{field} must be an integer >= {minimum}, got {value!r}")
    return value


def epoch(value: Any, field: str) -> float:
    """A time as epoch seconds: a number, or ISO 8601 with its offset (no offset: UTC).

    >>> epoch("2026-01-01T08:00:00+08:00", "ts"), epoch(1767225600, "ts")
    (1767225600.0, 1767225600.0)
    """
    if isinstance(value, int | float) and not isinstance(value, bool):
        seconds = float(value)
        return seconds / 1000 if seconds > 1e11 else seconds  # milliseconds, as many shops send
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            pass
        else:
            if moment.tzinfo is None:
                return moment.replace(tzinfo=UTC).timestamp()
            return moment.timestamp()
    raise PayloadError(f"{field} must be epoch seconds or an ISO 8601 time, got {value!r}")


def text(value: Any, field: str) -> str:
    """A non-empty id or name as a string (numbers become their digits)."""
    if isinstance(value, bool) or value is None or value == "" or isinstance(value, dict | list):
        raise PayloadError(f"{field} must be a non-empty string or number, got {value!r}")
    return str(value)
