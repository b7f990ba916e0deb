"""`StatusBar`: connection, room, event-time clock, host on air, pending commands, and any
room's critical alert; one per screen, each following the app's reactive state."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.widgets import Static

from livemon.ui import format as fmt
from livemon.ui.client import ConnectionState

STATE_STYLE = {
    "connecting": "bold yellow",
    "live": "bold green",
    "lost": "bold red",
    "refused": "bold white on red",
}
STATE_ICON = {"connecting": "◌", "live": "●", "lost": "✕", "refused": "⛔"}
WIDE = 120  # below this many columns the hub URL is left out


def on_air(snapshot: dict[str, Any]) -> str:
    """Who is on air and for how long (event time), from a snapshot.

    >>> on_air({"ts": 1000.0, "host": "小美", "shift": {"host": "小美", "since": 100.0}})
    '小美 15:00'
    >>> on_air({"host": "Ann"}), on_air({})
    ('Ann', '—')

    No host named yet (``h`` names one): still how long the room has been on air.

    >>> on_air({"ts": 1000.0, "host": None, "shift": {"host": None, "since": 400.0}})
    '— 10:00'
    """
    host = snapshot.get("host")
    shift = snapshot.get("shift") or {}
    ts, since = snapshot.get("ts"), shift.get("since")
    if not host:
        if ts is None or since is None or shift.get("host"):
            return fmt.DASH
        return f"{fmt.DASH} {fmt.duration(ts - since)}"
    if ts is None or since is None or shift.get("host") != host:
        return str(host)
    return f"{host} {fmt.duration(ts - since)}"


class StatusBar(Static):
    """One line at the bottom of a screen, drawn from the app's reactive state.

    It watches the app's `connection`, `view`, `rooms`, `pending_count` and
    `critical`; `set()` changes fields directly (tests and apps without them).
    """

    DEFAULT_CSS = """
    StatusBar {
        height: 1;
        width: 1fr;
        background: $panel;
        color: $text;
        padding: 0 1;
    }
    StatusBar.-crit {
        background: $error 40%;
    }
    """

    def __init__(self, url: str = "", role: str = "control", *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.state = ConnectionState("connecting", url)
        self.url = url
        self.role = role
        self.room = fmt.DASH
        self.rooms = 0
        self.clock = fmt.DASH
        self.host = fmt.DASH
        self.pending = 0
        self.critical: tuple[str, ...] = ()

    def on_mount(self) -> None:
        app: Any = self.app
        self.url = getattr(app, "url", self.url)
        self.role = getattr(app, "role", self.role)
        for name, callback in (
            ("connection", lambda state: self.set(state=state)),
            ("view", self._view),
            ("rooms", lambda rooms: self.set(rooms=rooms)),
            ("pending_count", lambda pending: self.set(pending=pending)),
            ("critical", lambda critical: self.set(critical=critical)),
        ):
            if hasattr(app, name):
                self.watch(app, name, callback)
        self._redraw()

    def on_resize(self) -> None:
        self._redraw()

    def _view(self, view: Any) -> None:
        if view is None:
            return
        snapshot = view.snapshot
        self.set(room=view.room, clock=fmt.clock(snapshot.get("ts")), host=on_air(snapshot))

    def set(self, **fields: object) -> None:
        """Change some of the shown fields (state, room, rooms, clock, host, pending, critical)."""
        changed = False
        for name, value in fields.items():
            if getattr(self, name) != value:
                setattr(self, name, value)
                changed = True
        if changed:
            self._redraw()

    def render_text(self) -> Text:
        """The bar's content as Rich text."""
        state = self.state
        wide = self.size.width == 0 or self.size.width >= WIDE
        text = Text(no_wrap=True, overflow="ellipsis")
        if self.critical:
            more = f" (+{len(self.critical) - 1})" if len(self.critical) > 1 else ""
            text.append(f"‼ {self.critical[0]}{more}", "bold white on #d70000")
            text.append("  ")
        text.append(f"{STATE_ICON[state.status]} {state.status}", STATE_STYLE[state.status])
        # When live the detail is just the url, shown separately below.
        if state.detail and state.status != "live" and state.detail != self.url:
            text.append(f" ({state.detail})", STATE_STYLE[state.status])
        if wide:
            text.append(f"  {self.url}", "dim")
        if self.role == "watch":
            text.append("  read-only", "bold magenta")
        room = self.room if self.rooms <= 1 else f"{self.room} (of {self.rooms}: [ ] o)"
        text.append("  room ")
        text.append(room, "bold")
        text.append("  ⏱ ")
        text.append(self.clock, "bold cyan")
        text.append("  on air ")
        text.append(self.host, "bold")
        if self.pending:
            text.append(f"  ⏳ {self.pending} pending", "bold yellow")
        return text

    def _redraw(self) -> None:
        self.set_class(bool(self.critical), "-crit")
        self.update(self.render_text())
