"""`AlertPanel`: the current room's alerts, newest first, each with what to do about it.

Open and acknowledged alerts are listed newest first (by `since`); resolved
ones stay greyed below them (the newest few, see `state.RESOLVED_KEPT`) so the
assistant can see what just ended. The panel only draws and reports keys as
messages; acknowledging and running suggestions go through the app.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import events
from textual.message import Message
from textual.widgets import DataTable
from textual.widgets.data_table import RowDoesNotExist

from livemon.ui import format as fmt
from livemon.ui.widgets.row_cursor import RowTable, row_key_under_cursor

# class -> (badge text, badge style, style of the other cells)
CLASS_LOOK: dict[str, tuple[str, str, str]] = {
    "crit": (" CRIT ", "bold white on #d70000", "bold"),
    "warn": (" WARN ", "bold black on #ffaf00", ""),
    "acked-crit": ("✓ crit", "dim red", "dim"),
    "acked-warn": ("✓ warn", "dim yellow", "dim"),
    "resolved": ("resolved", "dim", "dim #808080"),
}
FIXED = (("badge", "", 8), ("age", "age", 6), ("kind", "kind", 15), ("sku", "sku", 8))
ACTION_WIDTH = 24
DETAIL_MIN = 20
# Narrower than this, the panel drops the detail column (the selected alert's detail is
# under the panel anyway) and shows kind and sku in one cell, so the action keeps its room.
COMPACT_BELOW = 90
COMPACT = (("badge", "", 8), ("age", "age", 6), ("what", "alert", 18))  # "resolved", "25m06s"


def alert_class(alert: dict[str, Any]) -> str:
    """How an alert is shown: `crit`, `warn`, `acked-crit`, `acked-warn` or `resolved`.

    >>> alert_class({"severity": "crit", "state": "open"}), alert_class({"state": "acked"})
    ('crit', 'acked-warn')
    """
    state = alert.get("state")
    if state == "resolved":
        return "resolved"
    severity = "crit" if alert.get("severity") == "crit" else "warn"
    return f"acked-{severity}" if state == "acked" else severity


def age(seconds: float | None) -> str:
    """Format an alert's age (event time since it was raised) compactly.

    >>> age(7.9), age(185), age(3725), age(-2), age(None)
    ('7s', '3m05s', '1h02m', '0s', '—')
    """
    if seconds is None:
        return fmt.DASH
    s = max(0, int(seconds))
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m{s % 60:02d}s"
    return f"{s // 3600}h{s % 3600 // 60:02d}m"


def suggestion_label(suggest: dict[str, Any] | None) -> str | None:
    """A suggested command in words, as the command notifications name it; None if none.

    >>> suggestion_label({"action": "coupon", "args": {"discount_cents": 500, "count": 100}})
    'coupon ¥5.00 ×100'
    >>> suggestion_label({"action": "feature", "args": {"sku": "85123A"}})
    'feature 85123A'
    >>> suggestion_label({"action": "restock", "args": {"sku": "22423", "add": 40}})
    'restock 22423 +40'
    >>> suggestion_label({"action": "mark", "args": {"label": "check the stream"}})
    "mark 'check the stream'"
    >>> suggestion_label(None) is None
    True
    """
    if not suggest or not suggest.get("action"):
        return None
    action = str(suggest["action"])
    args = suggest.get("args") or {}
    if action == "coupon":
        label = f"coupon {fmt.money(args.get('discount_cents'))} ×{args.get('count', '?')}"
        return label + (f" on {args['sku']}" if args.get("sku") else "")
    if action == "feature":
        return f"feature {args.get('sku')}"
    if action == "restock":
        return f"restock {args.get('sku')} +{args.get('add')}"
    if action == "pin":
        return f"pin {args.get('text', '')!r}"
    if action == "mark":
        return f"mark {args.get('label', '')!r}"
    return " ".join([action, *(f"{k}={v}" for k, v in args.items())])


def alert_label(alert: dict[str, Any]) -> str:
    """The alert's kind and sku, to name it in notifications.

    >>> alert_label({"kind": "stock_out", "sku": "A1"}), alert_label({"kind": "viewer_drop"})
    ('stock_out A1', 'viewer_drop')
    """
    sku = alert.get("sku")
    return f"{alert.get('kind')}{' ' + str(sku) if sku else ''}"


def alert_cells(alert: dict[str, Any], now: float | None) -> dict[str, Text]:
    """Render one wire alert as the panel's cells; `now` is the room's event-time clock."""
    badge, badge_style, style = CLASS_LOOK[alert_class(alert)]
    since = alert.get("since")
    action = suggestion_label(alert.get("suggest"))
    return {
        "badge": Text(badge, style=badge_style),
        "age": Text(
            age(now - since if now is not None and since is not None else None),
            style=style,
            justify="right",
        ),
        "kind": Text(str(alert.get("kind") or "?"), style=style),
        "what": Text(alert_label(alert), style=style, no_wrap=True),
        "sku": Text(str(alert.get("sku") or fmt.DASH), style=style),
        "action": Text(f"→ {action}" if action else fmt.DASH, style=f"{style} cyan".strip()),
        "detail": Text(str(alert.get("detail") or ""), style=style, no_wrap=True, end=""),
    }


class AlertPanel(RowTable):
    """A DataTable keyed by alert id; `show()` redraws it, the cursor stays on its alert."""

    DEFAULT_CSS = """
    AlertPanel {
        overflow-x: hidden;
        border: round $warning 60%;
        border-title-color: $warning;
        border-subtitle-align: left;
        border-subtitle-color: $text;
        scrollbar-size-vertical: 1;
    }
    AlertPanel:focus {
        border: round $warning;
    }
    AlertPanel.-crit {
        border: round $error;
        border-title-color: $error;
        border-title-style: bold;
    }
    """

    class ActionRequested(Message):
        """Enter was pressed on an alert's row: run its suggested action."""

        def __init__(self, alert: dict[str, Any]) -> None:
            super().__init__()
            self.alert = alert

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row")
        self.border_title = "alerts"
        self._alerts: dict[str, dict[str, Any]] = {}
        # id -> column -> rendered text, so an unchanged cell is never touched.
        self._shown: dict[str, dict[str, Text]] = {}
        self._order: list[str] = []
        self._layout: tuple[bool, int] = (False, 0)
        self._columns_shown: list[str] = []
        self._now: float | None = None

    def on_mount(self) -> None:
        self._build_columns()

    def on_resize(self, event: events.Resize) -> None:
        if self._layout != self._fitting_layout():
            self._build_columns()
            self._redraw()

    def _fitting_layout(self) -> tuple[bool, int]:
        """(compact, width of the last column) for the panel's width now."""
        compact = 0 < self.size.width < COMPACT_BELOW
        # The last column takes what the others leave (each cell has 1 space either side).
        if compact:
            fixed = sum(width + 2 for _, _, width in COMPACT)
            return True, max(12, self.size.width - 1 - fixed - 2)
        fixed = sum(width + 2 for _, _, width in FIXED) + ACTION_WIDTH + 2
        return False, max(DETAIL_MIN, self.size.width - 1 - fixed - 2)

    def _build_columns(self) -> None:
        self.clear(columns=True)
        self._shown.clear()
        self._order = []
        self._layout = self._fitting_layout()
        compact, last = self._layout
        for key, label, width in COMPACT if compact else FIXED:
            self.add_column(label, key=key, width=width)
        if compact:
            self.add_column("suggested action", key="action", width=last)
        else:
            self.add_column("suggested action", key="action", width=ACTION_WIDTH)
            self.add_column("detail", key="detail", width=last)
        self._columns_shown = [str(c.key.value) for c in self.ordered_columns]

    @property
    def selected_alert(self) -> dict[str, Any] | None:
        """The alert under the cursor, or None when the panel is empty."""
        key = row_key_under_cursor(self)
        return None if key is None else self._alerts.get(key)

    @property
    def alert_ids(self) -> list[str]:
        """The ids of the listed alerts, top to bottom."""
        return list(self._order)

    def row_class(self, alert_id: str) -> str:
        """How the alert `alert_id` is shown (see `alert_class`)."""
        return alert_class(self._alerts[alert_id])

    def cell_text(self, alert_id: str, column: str) -> str:
        """The plain text shown in one cell (for tests)."""
        return self._shown[alert_id][column].plain

    def cell_style(self, alert_id: str, column: str) -> str:
        """The Rich style of one cell (for tests)."""
        return str(self._shown[alert_id][column].style)

    def show(self, alerts: list[dict[str, Any]], now: float | None) -> None:
        """Show `alerts` in the order given; `now` (the room's clock) sets their ages."""
        self._alerts = {str(a.get("id")): a for a in alerts}
        self._now = now
        self._redraw()
        active = [a for a in alerts if a.get("state") != "resolved"]
        crit = sum(1 for a in active if alert_class(a) == "crit")
        self.set_class(crit > 0, "-crit")
        title = f"alerts · {len(active)} active" if active else "alerts · none active"
        self.border_title = title + (f" · ‼ {crit} crit" if crit else "")

    def _redraw(self) -> None:
        order = list(self._alerts)
        cells = {alert_id: alert_cells(a, self._now) for alert_id, a in self._alerts.items()}
        if order == self._order:
            for alert_id, row in cells.items():
                old = self._shown[alert_id]
                for key in self._columns_shown:
                    if old[key] != row[key]:
                        self.update_cell(alert_id, key, row[key])
            self._shown = cells
            self._show_selected()
            return
        # A new, gone or moved alert: rebuild. While the assistant is moving through the
        # panel the cursor stays on its alert; otherwise it goes to the newest alert, so
        # `a` / `x` from elsewhere act on what just came in, not on an old row that moved.
        selected = self.selected_alert if self.has_focus else None
        keep = str(selected.get("id")) if selected else None
        self.clear()
        for alert_id in order:
            row = cells[alert_id]
            self.add_row(*(row[key] for key in self._columns_shown), key=alert_id)
        self._shown, self._order = cells, order
        row = 0
        if keep in self._alerts:
            try:
                row = self.get_row_index(keep)
            except RowDoesNotExist:
                pass
        self.move_cursor(row=row, animate=False)
        self._show_selected()

    def _show_selected(self) -> None:
        # The detail column is narrow; the selected alert's whole detail goes under the panel.
        alert = self.selected_alert
        self.border_subtitle = f"▸ {alert.get('detail') or ''}" if alert else ""

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        self._show_selected()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        alert = self._alerts.get(str(event.row_key.value))
        if alert is not None:
            self.post_message(self.ActionRequested(alert))
