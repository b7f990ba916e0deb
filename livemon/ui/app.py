"""`LivemonApp`, the Textual console, and `create_app`, its factory.

Data flows the Textual way. The app owns the hub connection (a `HubClient`
in a worker) and the per-room memory (`ConsoleState`); it turns hub messages
into reactive state (`connection`, `view`, `rooms`, `pending_count`,
`critical`, `facts`) that the screens and the status bars watch. Screens
never call the app: they post `SendCommand`, `StepRoom` and `OpenRoom`
messages up, and the app sends commands, so the pending-result bookkeeping
lives in one place.
"""

from __future__ import annotations

import math
import time
from ssl import SSLContext
from typing import Any, Literal

from textual import work
from textual.app import App
from textual.binding import Binding
from textual.reactive import reactive

from livemon.ui.client import ConnectionState, HubClient, NotConnected, TokenRefused, hub_url
from livemon.ui.dashboard import DashboardScreen
from livemon.ui.messages import (
    READ_ONLY,
    AlertReceived,
    CommentsReceived,
    ConnectionChanged,
    OpenRoom,
    ResultReceived,
    SendCommand,
    SnapshotReceived,
    StepRoom,
    WelcomeReceived,
)
from livemon.ui.overview import OverviewScreen
from livemon.ui.stage import StageScreen
from livemon.ui.state import ConsoleState, HubFacts, RoomView
from livemon.ui.widgets.alert_panel import alert_label
from livemon.ui.widgets.help_screen import HelpScreen

Role = Literal["control", "watch"]
RESULT_TIMEOUT_S = 10.0
MESSAGE_TYPES = {
    "welcome": WelcomeReceived,
    "snapshot": SnapshotReceived,
    "comments": CommentsReceived,
    "alert": AlertReceived,
    "result": ResultReceived,
}
COMMAND_KEYS = "f,u,c,r,m,a,x,h,p"  # the dashboard's command keys (see DashboardScreen)


class LivemonApp(App[None]):
    """The livemon console: a dashboard (and stage screen) fed by one hub connection."""

    CSS_PATH = "livemon.tcss"
    TITLE = "livemon"
    BINDINGS = [
        Binding("q", "quit", "quit"),
        Binding("ctrl+c", "quit", "quit", show=False, priority=True),
        Binding("question_mark,f1", "help", "help", key_display="? / F1"),
        Binding("s", "toggle_stage", "stage screen"),
        Binding("o", "overview", "all rooms"),
        # Reached only when a screen's check_action refused a command key.
        Binding(COMMAND_KEYS, "read_only", show=False),
    ]
    # Kept in the help screen only: descriptions of keys defined by Textual widgets.
    EXTRA_KEYS = [
        ("ctrl+c", "quit (as q)"),
        ("↑ / ↓", "select a product, alert or room row"),
        ("home / end", "the first / last row (pgup / pgdn: a page)"),
        ("/", "on the overview: find rooms by name (esc: every room again)"),
        ("enter", "on an alert: its suggested action (asks first: y / enter send, n / esc not)"),
        ("tab", "move focus: products, alerts (forms: next field)"),
        ("enter", "submit a form"),
        ("escape", "close a form or this help"),
        ("ctrl+p", "command palette"),
    ]

    ALERT_NOTICES = True  # a notification when an alert opens or escalates
    # Warn alerts of rooms not on screen: at most one notification this often (the
    # toast's own time), the others counted in it, so that a hub of hundreds of rooms
    # does not stack toasts over the screen. The overview lists them all.
    OTHER_ROOMS_NOTICE_S = 8.0

    connection: reactive[ConnectionState] = reactive(ConnectionState("connecting"), init=False)
    view: reactive[RoomView | None] = reactive(None, always_update=True, init=False)
    rooms: reactive[int] = reactive(0, init=False)
    pending_count: reactive[int] = reactive(0, init=False)
    critical: reactive[tuple[str, ...]] = reactive((), init=False)
    facts: reactive[HubFacts] = reactive(HubFacts(), init=False)

    def __init__(
        self,
        url: str,
        token: str,
        role: Role = "control",
        *,
        name: str = "console",
        connect: bool = True,
        ssl: SSLContext | None = None,
    ) -> None:
        """Create the console for the hub at `url`; `connect=False` leaves it offline (tests)."""
        super().__init__()
        if role not in ("control", "watch"):
            raise ValueError(f"role must be 'control' or 'watch', not {role!r}")
        self.role: Role = role
        self.url = hub_url(url, f"/{role}")
        self.client = HubClient(self.url, token, name, on_state=self._on_client_state, ssl=ssl)
        self.connect = connect
        self.state = ConsoleState()
        self._critical_version = -1  # the state's alerts_version that ``critical`` shows
        self._other_notice_at = -math.inf  # monotonic time of the last other-room warn toast
        self._other_unshown = 0  # other-room warn alerts not toasted since then
        self.dashboard = DashboardScreen(role)
        self.stage = StageScreen()
        self.overview = OverviewScreen()
        self.pending: dict[str, str] = {}
        self._started = False  # the first welcome has chosen the start screen

    def get_default_screen(self) -> DashboardScreen:
        return self.dashboard

    def on_mount(self) -> None:
        self.install_screen(self.stage, "stage")
        self.install_screen(self.overview, "overview")
        if self.connect:
            self._pump()

    @work(name="hub", group="hub", exclusive=True)
    async def _pump(self) -> None:
        """Turn every hub message into a Textual message until the token is refused."""
        try:
            await self.client.run(self._on_hub_message)
        except TokenRefused:
            pass  # already reported through the `refused` connection state

    def _on_hub_message(self, message: dict[str, Any]) -> None:
        kind = MESSAGE_TYPES.get(message["op"])
        if kind is not None:
            self.post_message(kind(message))

    def _on_client_state(self, state: ConnectionState) -> None:
        self.post_message(ConnectionChanged(state))

    # -- hub messages: state in, reactive state out ---------------------------------

    def on_connection_changed(self, message: ConnectionChanged) -> None:
        state = message.state
        self.connection = state
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
            self.pending_count = 0

    def on_welcome_received(self, message: WelcomeReceived) -> None:
        self.facts = HubFacts.from_welcome(message.data)
        rooms = message.data.get("rooms") or ()
        if not self._started:
            self._started = True
            if len(rooms) > 1 and self.screen is self.dashboard:
                self.push_screen("overview")  # a hub of several rooms opens on all of them

    def on_snapshot_received(self, message: SnapshotReceived) -> None:
        view = self.state.on_snapshot(message.data)
        self.rooms = len(self.state.rooms)
        if view.room == self.state.current:
            self.view = view
        self._check_critical()

    def on_comments_received(self, message: CommentsReceived) -> None:
        view = self.state.room(str(message.data.get("room")))
        view.add_comments(list(message.data.get("items") or ()))
        if view.room == self.state.current:
            self.view = view

    def on_alert_received(self, message: AlertReceived) -> None:
        """Keep an alert's new state in its room, redraw if the room is shown, and notify
        once when the alert opens or escalates (never for an ack or a resolve)."""
        msg = message.data
        view, previous = self.state.on_alert(msg)
        is_open = msg.get("state") == "open" and self.ALERT_NOTICES
        if is_open and (previous is None or previous.get("severity") != msg.get("severity")):
            self._notify_alert(msg, view.room)
        if view.room == self.state.current:
            self.view = view
        self._check_critical()

    def _notify_alert(self, alert: dict[str, Any], room: str) -> None:
        """A toast for an alert that opened or escalated (see ``OTHER_ROOMS_NOTICE_S``)."""
        crit = alert.get("severity") == "crit"
        detail = str(alert.get("detail") or alert.get("kind"))
        where = ""
        if room != self.state.current:
            where = f" in {room}"
            if not crit:
                now = time.monotonic()
                if now - self._other_notice_at < self.OTHER_ROOMS_NOTICE_S:
                    self._other_unshown += 1
                    return
                if self._other_unshown:
                    detail += f"\n(+{self._other_unshown} more in other rooms: o lists them)"
                self._other_notice_at, self._other_unshown = now, 0
        self.notify(
            detail,
            title=f"{alert.get('severity', 'warn')}: {alert.get('kind')}{where}",
            severity="error" if crit else "warning",
            timeout=15 if crit else 8,
        )

    def _check_critical(self) -> None:
        # Once per alert change, not per snapshot: O(alerts) over every room.
        if self.state.alerts_version != self._critical_version:
            self._critical_version = self.state.alerts_version
            self.critical = tuple(f"{room} {alert_label(a)}" for room, a in self.state.critical())

    def on_result_received(self, message: ResultReceived) -> None:
        data = message.data
        label = self.pending.pop(str(data.get("id")), None)
        if label is None:
            return  # a result for a command of an earlier connection, already reported
        self.pending_count = len(self.pending)
        detail = str(data.get("detail") or "")
        if data.get("ok"):
            self.notify(f"{label}: ok{' — ' + detail if detail else ''}", title="done")
        else:
            self.notify(f"{label}: {detail or 'refused'}", title="hub refused", severity="error")

    # -- requests from the screens ----------------------------------------------------

    def on_send_command(self, message: SendCommand) -> None:
        """Send a command for its room (default: the current room); its result will show
        as a notification."""
        if self.role != "control":
            self.notify(READ_ONLY, severity="warning")
            return
        room = message.room or self.state.current
        if room is None:
            self.notify("no room yet: wait for the hub's first snapshot", severity="warning")
            return
        self.run_worker(
            self._send(room, message.action, message.args, message.label), group="commands"
        )

    async def _send(self, room: str, action: str, args: dict[str, Any], label: str) -> None:
        try:
            command_id = await self.client.send_command(room, action, args)
        except NotConnected as exc:
            self.notify(f"{label}: {exc}", title="not sent", severity="error")
            return
        self.pending[command_id] = label
        self.pending_count = len(self.pending)
        self.set_timer(RESULT_TIMEOUT_S, lambda: self._result_overdue(command_id))

    def _result_overdue(self, command_id: str) -> None:
        label = self.pending.get(command_id)
        if label is not None:
            self.notify(
                f"{label}: no result after {RESULT_TIMEOUT_S:.0f}s; check the hub and the adapter",
                severity="warning",
            )

    def on_step_room(self, message: StepRoom) -> None:
        """Show the previous (-1) or next (+1) room."""
        if len(self.state.rooms) < 2:
            self.notify("only one room so far" if self.state.rooms else "no room yet")
            return
        self.state.cycle(message.step)
        self.view = self.state.view

    def on_open_room(self, message: OpenRoom) -> None:
        """Show room `message.room` on the dashboard."""
        view = self.state.open_room(message.room)
        if view is not None:
            self.view = view
        if self.screen is self.overview:
            self.pop_screen()

    # -- keys -----------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """The read-only notice answers command keys only on a watch console."""
        if action == "read_only":
            return self.role != "control"
        return True

    def action_read_only(self) -> None:
        """Say why a command key does nothing here."""
        self.notify(READ_ONLY, severity="warning")

    def help_keys(self) -> list[tuple[str, str]]:
        """Every key of the console with what it does, for the help screen."""
        keys: list[tuple[str, str]] = []
        for binding in [*self.BINDINGS, *DashboardScreen.BINDINGS]:
            assert isinstance(binding, Binding)
            if not binding.show:
                continue
            shown = binding.key_display or " / ".join(binding.key.split(","))
            keys.append((shown, binding.description))
        return keys + self.EXTRA_KEYS

    def action_help(self) -> None:
        """Open the key list."""
        if not isinstance(self.screen, HelpScreen):
            note = READ_ONLY if self.role == "watch" else ""
            rules = self.facts.rules
            if rules:  # the user's own alert rules ([[detect.rules]]), as the hub runs them
                note = "\n".join([note, "your rules:", *rules] if note else ["your rules:", *rules])
            self.push_screen(HelpScreen(self.help_keys(), note))

    def action_overview(self) -> None:
        """Show every room at a glance, or go back from there."""
        if self.screen is self.overview:
            self.pop_screen()
        elif self.screen is self.dashboard:
            self.push_screen("overview")

    def action_toggle_stage(self) -> None:
        """Switch between the dashboard and the big-number stage screen."""
        if self.screen is self.stage:
            self.pop_screen()
        else:
            self.push_screen("stage")


def create_app(
    url: str, token: str, role: Role = "control", ssl: SSLContext | None = None
) -> LivemonApp:
    """Build the console for the hub at `url` (base or full URL) with `token` and `role`.

    `ssl` is the client TLS context for a wss:// hub (livemon.tls.client_context).
    """
    return LivemonApp(url, token, role, ssl=ssl)
