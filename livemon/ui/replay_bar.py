"""The replay console's own widgets: the replay bar (state, time, speed, progress with markers)
and the bookmark list.

They read a ``Player`` (livemon.player) directly: the replay runs in the
console's process, so pausing, speed and seeks need no protocol.
"""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from livemon.keyframes import Marker
from livemon.player import Player, speed_label
from livemon.ui import format as fmt

MARK = {"alert": ("▲", "bold red"), "command": ("◆", "bold dodger_blue2"),
        "bookmark": ("★", "bold yellow")}  # fmt: skip
REFRESH_S = 0.25


def parse_when(text: str, first_ts: float, last_ts: float) -> float:
    """The event time a person means: ``+MM:SS`` / ``+H:MM:SS`` / ``+90`` (minutes) from the
    start, or ``HH:MM[:SS]`` on the recording's clock (its first day, local time as shown).

    >>> parse_when("+1:30", 1000.0, 9000.0), parse_when("+2", 1000.0, 9000.0)
    (1090.0, 1120.0)
    """
    from datetime import datetime

    text = text.strip()
    try:
        if text.startswith("+"):
            pieces = [float(p) for p in text[1:].split(":")]
            if len(pieces) == 1:
                return first_ts + pieces[0] * 60
            seconds = 0.0
            for piece in pieces:
                seconds = seconds * 60 + piece
            return first_ts + seconds
        parts = [int(p) for p in text.split(":")]
        if not 2 <= len(parts) <= 3:
            raise ValueError
        day = datetime.fromtimestamp(first_ts)
        at = day.replace(hour=parts[0], minute=parts[1], second=parts[2] if len(parts) > 2 else 0)
        ts = at.timestamp()
        return ts if ts >= first_ts - 1 else ts + 86400  # past midnight: the next day
    except ValueError:
        raise ValueError(
            f"{text!r}: type a time of the recording as HH:MM or HH:MM:SS, or +MM:SS from its "
            f"start (it runs {fmt.clock(first_ts)} to {fmt.clock(last_ts)})"
        ) from None


def markers(player: Player) -> list[tuple[float, str, str]]:
    """``(ts, kind, label)`` to mark on the bar: alerts raised, commands, bookmarks."""
    out = []
    index = player.index
    for m in index.markers if index is not None else ():
        if m.kind == "alert" and m.detail.get("state") == "open":
            out.append((m.ts, "alert", m.label))
        elif m.kind == "command" and m.detail.get("ok"):
            if m.what == "mark":
                out.append((m.ts, "bookmark", m.label))
            elif m.what != "ack":
                out.append((m.ts, "command", m.label))
    return out


class ReplayBar(Static):
    """Two lines above the keys: what is playing, then the progress bar with markers."""

    DEFAULT_CSS = """
    ReplayBar {
        height: 2;
        width: 1fr;
        background: $panel;
        padding: 0 1;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    """

    def __init__(self, player: Player, title: str = "", *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.player = player
        self.title = title
        self.host = fmt.DASH
        self.room = player.room
        self._marks = markers(player)
        self.ended_told = False

    def on_mount(self) -> None:
        self.set_interval(REFRESH_S, self._redraw)
        app: Any = self.app
        if hasattr(app, "view"):
            self.watch(app, "view", self._view)
        self._redraw()

    def on_resize(self) -> None:
        self._redraw()

    def _view(self, view: Any) -> None:
        if view is not None:
            from livemon.ui.widgets.status_bar import on_air

            self.host = on_air(view.snapshot)

    def state_text(self) -> Text:
        """First line: replay state and speed, the recording's time, position, room, host."""
        p = self.player
        text = Text(no_wrap=True, overflow="ellipsis")
        if p.ended:
            text.append("■ replay ended", "bold white on dark_red")
            text.append(" — the recording has ended ([ or g to go back)", "bold")
        elif p.paused:
            text.append(f"⏸ replay paused ({speed_label(p.speed)})", "bold black on yellow")
        else:
            text.append(f"▶ replay {speed_label(p.speed)}", "bold white on dark_blue")
        text.append("  ⏱ ")
        text.append(fmt.clock(p.clock), "bold cyan")
        if p.first_ts is not None and p.clock is not None and p.last_ts is not None:
            text.append(f"  {fmt.duration(p.clock - p.first_ts)}"
                        f" / {fmt.duration(p.last_ts - p.first_ts)}")  # fmt: skip
        text.append("  room ")
        text.append(self.room, "bold")
        text.append("  on air ")
        text.append(self.host, "bold")
        if self.title:
            text.append(f"  {self.title}", "dim")
        return text

    def bar_text(self, width: int) -> Text:
        """Second line: played part, playhead, and markers of alerts, commands and bookmarks."""
        p = self.player
        width = max(10, width)
        if p.first_ts is None or p.last_ts is None or p.last_ts <= p.first_ts:
            return Text("─" * width, "dim")
        span = p.last_ts - p.first_ts

        def cell(ts: float) -> int:
            return min(width - 1, max(0, int((ts - p.first_ts) / span * (width - 1))))  # type: ignore[operator]

        head = cell(p.clock) if p.clock is not None else 0
        chars = ["━" if i < head else "─" for i in range(width)]
        styles = ["bold" if i < head else "dim" for i in range(width)]
        for ts, kind, _ in self._marks:  # bookmarks last, so they show over the rest
            i = cell(ts)
            glyph, style = MARK[kind]
            if chars[i] in "━─" or kind == "bookmark":
                chars[i], styles[i] = glyph, style
        chars[head], styles[head] = "●", "bold green"
        text = Text(no_wrap=True)
        for c, s in zip(chars, styles, strict=True):
            text.append(c, s)
        return text

    def render_text(self) -> Text:
        """Both lines (each is cut at the width, not wrapped: see the CSS)."""
        width = (self.size.width or 80) - 2
        return Text("\n").join([self.state_text(), self.bar_text(width)])

    def _redraw(self) -> None:
        if self.player.ended and not self.ended_told:
            self.ended_told = True
            self.app.notify("the recording has ended: [ seeks back a minute, g goes to a time",
                            title="replay ended")  # fmt: skip
        elif not self.player.ended:
            self.ended_told = False
        self.update(self.render_text())


class BookmarkScreen(ModalScreen[float | None]):
    """The bookmarks of the recording; 1-9 (or enter on the first) jumps to one."""

    DEFAULT_CSS = """
    BookmarkScreen { align: center middle; }
    BookmarkScreen > Vertical {
        width: 70; height: auto; max-height: 80%;
        border: round $accent; background: $surface; padding: 1 2;
    }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,b", "dismiss_none", "close"),
        *(Binding(str(n), f"jump({n})", show=False) for n in range(1, 10)),
    ]

    def __init__(self, bookmarks: list[Marker], first_ts: float | None) -> None:
        super().__init__()
        self.bookmarks = bookmarks
        self.first_ts = first_ts

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("bookmarks (made with m) — press its number to go there", id="bm-title")
            if not self.bookmarks:
                yield Label("no bookmarks in this recording", id="bm-none")
            for n, m in enumerate(self.bookmarks[:9], start=1):
                since = fmt.duration(m.ts - self.first_ts) if self.first_ts is not None else ""
                label = str((m.detail.get("args") or {}).get("label", m.label))
                yield Label(f"{n}  {fmt.clock(m.ts)}  (+{since})  {label}", classes="bookmark")

    def action_jump(self, n: int) -> None:
        """Go to bookmark ``n``."""
        if 1 <= n <= len(self.bookmarks):
            self.dismiss(self.bookmarks[n - 1].ts)

    def action_dismiss_none(self) -> None:
        """Close without jumping."""
        self.dismiss(None)
