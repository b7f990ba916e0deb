"""`StageApp`: the stage screen alone, a watch-only client of a hub (`livemon stage`).

It is the console app with a watch token and the stage screen as its only
screen: no command keys, no dashboard, nothing that controls the room.
"""

from __future__ import annotations

from ssl import SSLContext

from textual.binding import Binding

from livemon.ui.app import LivemonApp
from livemon.ui.messages import WelcomeReceived
from livemon.ui.stage import StageScreen
from livemon.ui.widgets.status_bar import StatusBar


class StageApp(LivemonApp):
    """The standalone stage screen for room `room` (default: the first room to report)."""

    TITLE = "livemon stage"
    ALERT_NOTICES = False  # the banner shows crit alerts; toasts would cover the numbers
    BINDINGS = [
        Binding("q", "quit", "quit"),
        Binding("ctrl+c", "quit", "quit", show=False, priority=True),
    ]

    def __init__(self, url: str, token: str, room: str | None = None, *, connect: bool = True,
                 ssl: SSLContext | None = None):  # fmt: skip
        super().__init__(url, token, role="watch", name="stage", connect=connect, ssl=ssl)
        self.stage = StageScreen(standalone=True)
        self.state.preferred = room

    def get_default_screen(self) -> StageScreen:  # type: ignore[override]
        return self.stage

    def on_mount(self) -> None:
        if self.connect:
            self._pump()

    def on_welcome_received(self, message: WelcomeReceived) -> None:
        """Say in the status bar which room the stage waits for (with `--room`), and when the
        hub does not carry it (yet) which rooms it does carry, or that the hub has no room
        yet: a misspelt room or an empty hub is no silent blank screen. (The base class's
        handler runs too: Textual calls both.)"""
        want = self.state.preferred
        rooms = [str(r) for r in message.data.get("rooms") or ()]
        if self.state.current is not None or (want is None and rooms):
            return
        if want is None:  # a hub with no room yet: the screen waits, and says so
            self.stage.query_one(StatusBar).set(room="— (waiting for the hub's first room)")
            return
        if rooms and want not in rooms:
            waiting = f"not on this hub yet; it carries {', '.join(rooms[:5])}"
            waiting += f" (+{len(rooms) - 5})" if len(rooms) > 5 else ""
        else:
            waiting = "waiting for its first snapshot"
        self.stage.query_one(StatusBar).set(room=f"{want} ({waiting})")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Only quitting: the stage has no help, command or screen keys."""
        return action == "quit"
