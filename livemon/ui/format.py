"""Pure formatting of wire values for display; every function renders nil as "—".

Kept apart from the widgets so the dashboard and the stage screen (and a later
replay screen) show the same number the same way.
"""

from __future__ import annotations

from datetime import datetime

DASH = "—"


def count(value: int | float | None) -> str:
    """Format a count with thousands separators.

    >>> count(1234567), count(None), count(3.0)
    ('1,234,567', '—', '3')
    """
    if value is None:
        return DASH
    return f"{round(value):,}"


def money(cents: int | None, symbol: str = "¥") -> str:
    """Format integer minor units as currency with two decimals.

    >>> money(123456), money(5), money(-250), money(None)
    ('¥1,234.56', '¥0.05', '-¥2.50', '—')
    """
    if cents is None:
        return DASH
    sign = "-" if cents < 0 else ""
    whole, frac = divmod(abs(int(cents)), 100)
    return f"{sign}{symbol}{whole:,}.{frac:02d}"


def percent(ratio: float | None, places: int = 2) -> str:
    """Format a ratio (0.0123) as a percentage.

    >>> percent(0.0123), percent(None)
    ('1.23%', '—')
    """
    if ratio is None:
        return DASH
    return f"{ratio * 100:.{places}f}%"


def decimal(value: float | None, places: int = 1) -> str:
    """Format a rate with a fixed number of decimals.

    >>> decimal(2.345), decimal(0), decimal(None)
    ('2.3', '0.0', '—')
    """
    if value is None:
        return DASH
    return f"{value:.{places}f}"


def eta(seconds: float | None) -> str:
    """Format seconds to stock-out as m:ss, hours and minutes past an hour, days and hours
    past 100 hours, days past 100 days (so it fits the products' ETA column); nil as a dash.

    >>> eta(95), eta(3725.4), eta(0), eta(None)
    ('1:35', '1h02m', '0:00', '—')
    >>> eta(99 * 3600 + 59 * 60), eta(100 * 3600), eta(20_000_000)
    ('99h59m', '4d04h', '231d')
    """
    if seconds is None:
        return DASH
    minutes, secs = divmod(max(0, int(seconds)), 60)
    hours = minutes // 60
    if hours >= 100:
        days = hours // 24
        return f"{days}d" if days >= 100 else f"{days}d{hours % 24:02d}h"
    if minutes >= 60:
        return f"{hours}h{minutes % 60:02d}m"
    return f"{minutes}:{secs:02d}"


def clock(ts: float | None) -> str:
    """Format an event-time epoch timestamp as local wall-clock time HH:MM:SS."""
    if ts is None:
        return DASH
    return datetime.fromtimestamp(ts).strftime("%H:%M:%S")


def duration(seconds: float | None) -> str:
    """Format a length of time as m:ss, or h:mm:ss from an hour on; nil as a dash.

    >>> duration(75), duration(3725), duration(-3), duration(None)
    ('1:15', '1:02:05', '0:00', '—')
    """
    if seconds is None:
        return DASH
    hours, rest = divmod(max(0, int(seconds)), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
