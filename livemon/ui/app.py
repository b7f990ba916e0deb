"""`LivemonApp`, the Textual console, and `create_app`, its factory.

The app owns the hub connection (a `HubClient` in a worker), turns each hub
message into a Textual message, keeps per-room state (`ConsoleState`) and
hands the current room to the dashboard and stage screens. Commands are
sent from here so the pending-result bookkeeping lives in one place.
"""

from __future__ import annotations

from typing import Any, Literal

from textual.app import App
from textual.binding import Binding

from livemon.ui.client import (
    ConnectionState,
    HubClient,
    NotConnected,
    TokenRefused,
    hub_url,
)
from livemon.ui.dashboard import DashboardScreen
from livemon.ui.messages import (
    AlertReceived,
    CommentsReceived,
    ConnectionChanged,
    ResultReceived,
    SnapshotReceived,
)
from livemon.ui.stage import StageScreen
from livemon.ui.state import ConsoleState
from livemon.ui.widgets.help_screen import HelpScreen

Role = Literal["control", "watch"]
RESULT_TIMEOUT_S = 10.0
READ_ONLY = "read-only screen: commands need the /control path and a control token (--token)"
MESSAGE_TYPES = {
    "snapshot": SnapshotReceived,
    "comments": CommentsReceived,
    "alert": AlertReceived,
    "result": ResultReceived,
}


class LivemonApp(App[None]):
    """The livemon console: a dashboard (and stage screen) fed by one hub connection."""

    CSS_PATH = "livemon.tcss"
    TITLE = "livemon"
    BINDINGS = [
        Binding("q", "quit", "quit"),
        Binding("question_mark,f1", "help", "help", key_display="? / F1"),
        Binding("s", "toggle_stage", "stage screen"),
    ]
    # Kept in the help screen only: descriptions of keys defined by Textual widgets.
    EXTRA_KEYS = [
        ("↑ / ↓", "select a product or alert row"),
        ("enter", "on an alert: its suggested action (asks first: y / enter send, n / esc not)"),
        ("tab", "move focus: products, alerts (forms: next field)"),
        ("enter", "submit a form"),
        ("escape", "close a form or this help"),
        ("ctrl+p", "command palette"),
    ]

    def __init__(
        self,
        url: str,
        token: str,
        role: Role = "control",
        *,
        name: str = "console",
        connect: bool = True,
    ) -> None:
        """Create the console for the hub at `url`; `connect=False` leaves it offline (tests)."""
        super().__init__()
        if role not in ("control", "watch"):
            raise ValueError(f"role must be 'control' or 'watch', not {role!r}")
        self.role: Role = role
        self.url = hub_url(url, f"/{role}")
        self.client = HubClient(self.url, token, name, on_state=self._on_client_state)
        self.connect = connect
        self.state = ConsoleState()
        self.dashboard = DashboardScreen(self.url, role)
        self.stage = StageScreen()
        self.pending: dict[str, str] = {}

    def get_default_screen(self) -> DashboardScreen:
        return self.dashboard

    def on_mount(self) -> None:
        self.install_screen(self.stage, "stage")
        if self.connect:
            self.run_worker(self._pump(), name="hub", group="hub", exclusive=True)

    async def _pump(self) -> None:
        """Turn every hub message into a Textual message until the token is refused."""
        try:
            async for message in self.client.messages():
                kind = MESSAGE_TYPES.get(message["op"])
                if kind is not None:
                    self.post_message(kind(message))
        except TokenRefused:
            pass  # already reported through the `refused` connection state

    def _on_client_state(self, state: ConnectionState) -> None:
        self.post_message(ConnectionChanged(state))

    # -- hub messages --------------------------------------------------------------

    def on_connection_changed(self, message: ConnectionChanged) -> None:
        state = message.state
        self.dashboard.set_status(state=state)
        if state.status == "live":
            self.state.connection_opened()
        if state.status == "refused":
            self.notify(state.detail, title="hub refused the console", severity="error", timeout=30)
        elif state.status == "lost" and self.pending:
            # Results come back on the connection that carried the command; it is gone.
            for label in self.pending.values():
                self.notify(
                    f"{label}: connection lost before the result; check before retrying",
                    severity="warning",
                )
            self.pending.clear()
            self.dashboard.set_status(pending=0)

    def on_snapshot_received(self, message: SnapshotReceived) -> None:
        first = self.state.current is None
        known = len(self.state.rooms)
        view = self.state.on_snapshot(message.data)
        if first:
            self.dashboard.switch_room(view, len(self.state.rooms))
        elif len(self.state.rooms) != known:
            self.dashboard.set_status(rooms=len(self.state.rooms))
        if view.room == self.state.current:
            self.dashboard.show(view)
            self.stage.show(view.snapshot)

    def on_comments_received(self, message: CommentsReceived) -> None:
        view = self.state.room(str(message.data.get("room")))
        items = list(message.data.get("items") or ())
        view.comments.extend(items)
        if view.room == self.state.current:
            self.dashboard.add_comments(items)

    def on_alert_received(self, message: AlertReceived) -> None:
        self.on_alert(message.data)

    def on_alert(self, msg: dict[str, Any]) -> None:
        """Keep an alert's new state in its room, redraw the alert panel if the room is shown,
        and notify once when the alert opens or escalates (never for an ack or a resolve).
        """
        view, previous = self.state.on_alert(msg)
        is_open = msg.get("state") == "open"
        if is_open and (previous is None or previous.get("severity") != msg.get("severity")):
            where = "" if view.room == self.state.current else f" in {view.room}"
            self.notify(
                str(msg.get("detail") or msg.get("kind")),
                title=f"{msg.get('severity', 'warn')}: {msg.get('kind')}{where}",
                severity="error" if msg.get("severity") == "crit" else "warning",
                timeout=15 if msg.get("severity") == "crit" else 8,
            )
        if view.room == self.state.current:
            self.dashboard.show_alerts(view)

    def on_result_received(self, message: ResultReceived) -> None:
        data = message.data
        label = self.pending.pop(str(data.get("id")), None)
        if label is None:
            return  # a result for a command of an earlier connection, already reported
        self.dashboard.set_status(pending=len(self.pending))
        detail = str(data.get("detail") or "")
        if data.get("ok"):
            self.notify(f"{label}: ok{' — ' + detail if detail else ''}", title="done")
        else:
            self.notify(f"{label}: {detail or 'refused'}", title="hub refused", severity="error")

    # -- commands ------------------------------------------------------------------

    def can_command(self) -> bool:
        """True on a control console; otherwise say why not."""
        if self.role != "control":
            self.notify(READ_ONLY, severity="warning")
            return False
        return True

    def command(
        self, action: str, args: dict[str, Any], label: str, *, room: str | None = None
    ) -> None:
        """Send a command for `room` (default: the current room); its result will show as a
        notification."""
        if not self.can_command():
            return
        room = room or self.state.current
        if room is None:
            self.notify("no room yet: wait for the hub's first snapshot", severity="warning")
            return
        self.run_worker(self._send(room, action, args, label), group="commands")

    async def _send(self, room: str, action: str, args: dict[str, Any], label: str) -> None:
        try:
            command_id = await self.client.send_command(room, action, args)
        except NotConnected as exc:
            self.notify(f"{label}: {exc}", title="not sent", severity="error")
            return
        self.pending[command_id] = label
        self.dashboard.set_status(pending=len(self.pending))
        self.set_timer(RESULT_TIMEOUT_S, lambda: self._result_overdue(command_id))

    def _result_overdue(self, command_id: str) -> None:
        label = self.pending.get(command_id)
        if label is not None:
            self.notify(
                f"{label}: no result after {RESULT_TIMEOUT_S:.0f}s; check the hub and the adapter",
                severity="warning",
            )

    # -- navigation ----------------------------------------------------------------

    def cycle_room(self, step: int) -> None:
        """Show the previous (-1) or next (+1) room."""
        if len(self.state.rooms) < 2:
            self.notify("only one room so far" if self.state.rooms else "no room yet")
            return
        self.state.cycle(step)
        view = self.state.view
        assert view is not None
        self.dashboard.switch_room(view, len(self.state.rooms))
        self.stage.show(view.snapshot)

    def help_keys(self) -> list[tuple[str, str]]:
        """Every key of the console with what it does, for the help screen."""
        keys: list[tuple[str, str]] = []
        for binding in [*self.BINDINGS, *DashboardScreen.BINDINGS]:
            assert isinstance(binding, Binding)
            shown = binding.key_display or " / ".join(binding.key.split(","))
            keys.append((shown, binding.description))
        return keys + self.EXTRA_KEYS

    def action_help(self) -> None:
        """Open the key list."""
        if not isinstance(self.screen, HelpScreen):
            note = READ_ONLY if self.role == "watch" else ""
            self.push_screen(HelpScreen(self.help_keys(), note))

    def action_toggle_stage(self) -> None:
        """Switch between the dashboard and the big-number stage screen."""
        if self.screen is self.stage:
            self.pop_screen()
        else:
            self.push_screen("stage")


def create_app(url: str, token: str, role: Role = "control") -> LivemonApp:
    """Build the console for the hub at `url` (base or full URL) with `token` and `role`."""
    return LivemonApp(url, token, role)
