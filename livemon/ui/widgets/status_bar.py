"""`StatusBar`: connection state, hub, room, event-time clock, host and pending commands."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from livemon.ui.client import ConnectionState

STATE_STYLE = {
    "connecting": "bold yellow",
    "live": "bold green",
    "lost": "bold red",
    "refused": "bold white on red",
}
STATE_ICON = {"connecting": "◌", "live": "●", "lost": "✕", "refused": "⛔"}


class StatusBar(Static):
    """One line at the bottom of the dashboard; call `set()` with whatever changed."""

    DEFAULT_CSS = """
    StatusBar {
        height: 1;
        width: 1fr;
        background: $panel;
        color: $text;
        padding: 0 1;
    }
    """

    def __init__(self, url: str, role: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.state = ConnectionState("connecting", url)
        self.url = url
        self.role = role
        self.room = "—"
        self.rooms = 0
        self.clock = "—"
        self.host = "—"
        self.pending = 0

    def on_mount(self) -> None:
        self._redraw()

    def set(self, **fields: object) -> None:
        """Change some of the shown fields (state, room, rooms, clock, host, pending)."""
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
        text = Text()
        text.append(f"{STATE_ICON[state.status]} {state.status}", STATE_STYLE[state.status])
        # When live the detail is just the url, shown separately below.
        if state.detail and state.status != "live" and state.detail != self.url:
            text.append(f" ({state.detail})", STATE_STYLE[state.status])
        text.append(f"  {self.url}", "dim")
        if self.role == "watch":
            text.append("  read-only", "bold magenta")
        room = self.room if self.rooms <= 1 else f"{self.room} (of {self.rooms}: [ ])"
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
        self.update(self.render_text())
