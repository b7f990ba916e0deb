"""The replay console: the live console's screens and drawing, driven by a ``Player``.

``ReplayApp`` is a read-only ``LivemonApp`` on the replay's own hub; its
dashboard (``ReplayDashboard``) keeps the live screen's layout but swaps the
command keys and the live status line for replay keys and the ``ReplayBar``:
space pauses, + and - change speed, [ and ] seek a minute, g goes to a time,
b lists the bookmarks (n jumps to the next one).
"""

from __future__ import annotations

from typing import Any

from textual.binding import Binding
from textual.screen import Screen

from livemon.player import Player, speed_label
from livemon.ui.app import LivemonApp
from livemon.ui.dashboard import DashboardScreen
from livemon.ui.messages import SnapshotReceived
from livemon.ui.overview import OverviewScreen
from livemon.ui.replay_bar import BookmarkScreen, ReplayBar, parse_when
from livemon.ui.stage import StageScreen
from livemon.ui.state import RoomView
from livemon.ui.widgets.forms import Invalid, PromptForm
from livemon.ui.widgets.status_bar import StatusBar

NO_COMMANDS = "a replay shows what happened: it cannot send commands"
LATE_S = 6.0  # a snapshot this much older than the one shown is from before a seek back


class ReplayBarScreen(Screen[None]):
    """What every screen of a replay shares: its ``Player``, and the replay bar where the
    live status line was ("● live" is not true of a replay, on any of its screens).

    Put first among a screen's bases; the arguments after ``player`` and ``title``
    go to the screen's own ``__init__``.
    """

    def __init__(self, player: Player, title: str = "", *args: Any) -> None:
        super().__init__(*args)
        self.player = player
        self.title_text = title

    def on_mount(self) -> None:  # (the screen's own on_mount runs too: Textual calls each)
        status = self.query_one(StatusBar)
        status.display = False
        self.mount(ReplayBar(self.player, self.title_text, id="replay"), before=status)


class ReplayStage(ReplayBarScreen, StageScreen):
    """The stage screen of a replay."""


class ReplayOverview(ReplayBarScreen, OverviewScreen):
    """The overview of a replay."""


class ReplayDashboard(ReplayBarScreen, DashboardScreen):
    """The dashboard with replay keys instead of command keys, and the replay bar."""

    inherit_bindings = False
    BINDINGS = [
        Binding("space", "pause", "pause/play"),
        Binding("plus,equals_sign", "speed(1)", "faster", key_display="+"),
        Binding("minus", "speed(-1)", "slower", key_display="-"),
        Binding("left_square_bracket", "seek(-60)", "-1 min", key_display="["),
        Binding("right_square_bracket", "seek(60)", "+1 min", key_display="]"),
        Binding("g", "goto", "go to time"),
        Binding("b", "bookmarks", "bookmarks"),
        Binding("n", "next_bookmark", "next bookmark"),
        Binding("l", "focus_alerts", "alerts ⇄ products"),
    ]

    def __init__(self, player: Player, title: str = "") -> None:
        super().__init__(player, title, "watch")  # read-only: a replay sends no command

    def restart(self) -> None:
        """Forget what was drawn: the next view is drawn anew (after a seek)."""
        self._room = None

    # -- keys -------------------------------------------------------------------------

    def action_pause(self) -> None:
        """Pause or play on."""
        self.player.toggle_pause()
        self._refresh_bar()

    def action_speed(self, step: int) -> None:
        """One step faster or slower along 1x, 2x, 10x, 60x, max."""
        self.player.step_speed(step)
        self.app.notify(f"speed {speed_label(self.player.speed)}", timeout=2)
        self._refresh_bar()

    def action_seek(self, seconds: float) -> None:
        """Seek ``seconds`` of event time from where the replay is."""
        self.player.seek_by(seconds)

    def action_goto(self) -> None:
        """Ask for a time and go there."""
        p = self.player
        if p.first_ts is None or p.last_ts is None:
            self.app.notify("nothing played yet", severity="warning")
            return

        def parse(text: str) -> dict[str, Any]:
            try:
                return {"ts": parse_when(text, p.first_ts, p.last_ts)}  # type: ignore[arg-type]
            except ValueError as exc:
                raise Invalid(str(exc)) from None

        def go(answer: dict[str, Any] | None) -> None:
            if answer is not None:
                p.seek(answer["ts"])

        form = PromptForm("go to (复盘)", "time", parse, ok="go", placeholder="HH:MM:SS or +MM:SS")
        self.app.push_screen(form, go)

    def action_bookmarks(self) -> None:
        """List the bookmarks; a number jumps to one."""
        p = self.player
        bookmarks = p.index.bookmarks if p.index is not None else []

        def go(ts: float | None) -> None:
            if ts is not None:
                p.seek(ts)

        self.app.push_screen(BookmarkScreen(bookmarks, p.first_ts), go)

    def action_next_bookmark(self) -> None:
        """Jump to the first bookmark after the replay's time."""
        p = self.player
        bookmarks = p.index.bookmarks if p.index is not None else []
        later = [m for m in bookmarks if p.clock is None or m.ts > p.clock + 1]
        if not later:
            self.app.notify("no bookmark after this moment" if bookmarks else "no bookmarks")
            return
        p.seek(later[0].ts)

    def _refresh_bar(self) -> None:
        for bar in self.query(ReplayBar):
            bar._redraw()


class ReplayApp(LivemonApp):
    """A read-only console on a replay's hub, with the replay's keys and bar."""

    TITLE = "livemon replay"

    def __init__(self, url: str, token: str, player: Player, title: str = "") -> None:
        super().__init__(url, token, "watch", name="replay")
        self.player = player
        self.replay_screen = ReplayDashboard(player, title)
        self.dashboard = self.replay_screen
        self.stage = ReplayStage(player, title)
        self.overview = ReplayOverview(player, title)
        player.on_seek = self._after_seek

    def _after_seek(self, clock: float) -> None:
        """After a seek the room's curves, alerts and comments start again at the new time."""
        room = self.player.room
        self.state.rooms[room] = RoomView(room)
        self.replay_screen.restart()
        if self.state.current == room:
            self.view = self.state.rooms[room]

    def on_snapshot_received(self, message: SnapshotReceived) -> None:
        data = message.data
        shown = self.state.rooms.get(str(data.get("room")))
        ts, before = data.get("ts"), (shown.snapshot.get("ts") if shown else None)
        if ts is not None and before is not None and ts < before - LATE_S:
            self._after_seek(ts)  # a snapshot from after a seek back, met before its callback
        super().on_snapshot_received(message)

    def action_read_only(self) -> None:
        """Command keys say a replay cannot send commands."""
        self.notify(NO_COMMANDS, severity="warning")

    def help_keys(self) -> list[tuple[str, str]]:
        """The replay's keys (no command keys), for the help screen."""
        keys: list[tuple[str, str]] = []
        for binding in [*self.BINDINGS, *ReplayDashboard.BINDINGS]:
            assert isinstance(binding, Binding)
            if binding.show:
                keys.append((binding.key_display or binding.key, binding.description))
        return keys + [("1-9", "in the bookmark list: go to that bookmark"),
                       ("escape", "close a form or this help")]  # fmt: skip
