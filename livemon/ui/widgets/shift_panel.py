"""`ShiftPanel`: the host on air and the numbers of their shift, and the shifts before it."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.widgets import Static

from livemon.ui import format as fmt


def shift_text(shifts: list[dict[str, Any]], now: float | None) -> Text:
    """The shift on air in detail and one line per earlier shift, newest first.

    >>> print(shift_text([{"host": "A", "since": 0.0, "until": 60.0, "gmv_cents": 1000,
    ...     "orders": 2}, {"host": "B", "since": 60.0, "until": None, "gmv_cents": 500,
    ...     "orders": 1, "buyers": 1, "online_avg": 10, "online_peak": 12, "conv": 0.01,
    ...     "gpm_cents": 3000, "follows": 0, "comments": 4}], 120.0).plain)
    B on air 1:00
    GMV ¥5.00 · orders 1 · buyers 1
    online avg 10 · peak 12
    conv 1.00% · GPM ¥30.00
    follows 0 · comments 4
    A 1:00: GMV ¥10.00 · orders 2
    """
    if not shifts:
        return Text("no shift yet", style="dim")
    now_shift, earlier = shifts[-1], shifts[-2::-1]
    since = now_shift.get("since")
    text = Text()
    text.append(f"{now_shift.get('host') or 'no host named'}", "bold")
    text.append(f" on air {fmt.duration(now - since if now and since is not None else None)}\n")
    g = now_shift.get
    lines = [
        f"GMV {fmt.money(g('gmv_cents'))} · orders {fmt.count(g('orders'))} · "
        f"buyers {fmt.count(g('buyers'))}",
        f"online avg {fmt.count(g('online_avg'))} · peak {fmt.count(g('online_peak'))}",
        f"conv {fmt.percent(g('conv'))} · GPM {fmt.money(g('gpm_cents'))}",
        f"follows {fmt.count(g('follows'))} · comments {fmt.count(g('comments'))}",
    ]
    text.append("\n".join(lines))
    for shift in earlier:
        length = (shift.get("until") or 0) - (shift.get("since") or 0)
        text.append(f"\n{shift.get('host') or '—'} {fmt.duration(length)}: ", "dim")
        text.append(f"GMV {fmt.money(shift.get('gmv_cents'))} · orders "
                    f"{fmt.count(shift.get('orders'))}", "dim")  # fmt: skip
    return text


class ShiftPanel(Static):
    """Shows a snapshot's `shifts`; `show()` redraws when they changed."""

    DEFAULT_CSS = """
    ShiftPanel {
        height: auto;
        border: round $primary 50%;
        border-title-color: $text-muted;
        padding: 0 1;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.border_title = "host shift 主播班次"
        self._shown: Any = None

    def show(self, shifts: list[dict[str, Any]], now: float | None) -> None:
        """Draw the shifts of a snapshot taken at event time `now`."""
        key = (repr(shifts), int(now or 0))
        if key != self._shown:
            self._shown = key
            self.update(shift_text(shifts, now))
