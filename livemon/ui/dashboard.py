"""`DashboardScreen`: KPI tiles, product table, comment stream, alerts and status bar.

The screen draws the app's reactive `view` (the current room) whenever it
changes, and posts `SendCommand` / `StepRoom` messages up for the app to
carry out. `check_action` is the one place that decides whether the
command keys work (only on a control console).
"""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen

from livemon.ui import format as fmt
from livemon.ui.messages import READ_ONLY, SendCommand, StepRoom
from livemon.ui.state import HubFacts, RoomView
from livemon.ui.widgets.alert_panel import AlertPanel, alert_label, suggestion_label
from livemon.ui.widgets.comment_stream import CommentStream
from livemon.ui.widgets.confirm_command import ConfirmCommand
from livemon.ui.widgets.feed_line import FeedLine
from livemon.ui.widgets.forms import CouponForm, Invalid, PromptForm, parse_positive_int
from livemon.ui.widgets.key_bar import KeyBar
from livemon.ui.widgets.kpi_tile import KpiTile
from livemon.ui.widgets.plan_form import PlanForm
from livemon.ui.widgets.product_table import ProductTable
from livemon.ui.widgets.shift_panel import ShiftPanel
from livemon.ui.widgets.status_bar import StatusBar
from livemon.ui.widgets.target_bars import TargetBars

COMMAND_ACTIONS = frozenset(
    {
        "feature",
        "unfeature",
        "coupon",
        "restock",
        "mark",
        "ack_alert",
        "alert_action",
        "host",
        "plan",
    }
)


def _mark_args(text: str) -> dict[str, Any]:
    label = text.strip()
    if not label:
        raise Invalid("type a label, e.g. 'coupon drop 2'")
    return {"label": label}


class DashboardScreen(Screen[None]):
    """The live-room assistant's main screen; `show()` redraws it from a room view."""

    BINDINGS = [
        Binding("f", "feature", "feature"),
        Binding("u", "unfeature", "unfeature"),
        Binding("c", "coupon", "coupon"),
        Binding("r", "restock", "restock"),
        Binding("m", "mark", "bookmark"),
        Binding("a", "ack_alert", "ack alert"),
        Binding("x", "alert_action", "alert's action"),
        Binding("h", "host", "host change"),
        Binding("p", "plan", "plan"),
        Binding("l", "focus_alerts", "alerts ⇄ products"),
        Binding("left_square_bracket", "room(-1)", "prev room", key_display="["),
        Binding("right_square_bracket", "room(1)", "next room", key_display="]"),
    ]

    # The screen gets these classes by its size; livemon.tcss lays it out by them.
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-normal"), (180, "-wide")]
    VERTICAL_BREAKPOINTS = [(0, "-short"), (32, "-tall")]

    def __init__(self, role: str = "control") -> None:
        super().__init__(id="dashboard")
        self.role = role
        self._room: str | None = None  # the room drawn, to notice a switch
        self._comments_seen = 0  # of that room's comments, how many are in the stream

    def compose(self) -> ComposeResult:
        with Horizontal(id="kpis"):
            yield KpiTile("online 在线", short="在线", spark=True, id="kpi-online")
            yield KpiTile("GMV 成交额", short="GMV", spark=True, id="kpi-gmv")
            yield KpiTile("orders 订单", short="单", id="kpi-orders")
            yield KpiTile("conversion 转化", short="转化", id="kpi-conv")
            yield KpiTile("comments/min 弹幕", short="弹幕/m", id="kpi-comments")
        with Horizontal(id="main"):
            with Vertical(id="left"):
                yield ProductTable(id="products")
                yield AlertPanel(id="alerts")
            # The plan key's hint only where the key works (not on a read-only console).
            hint = " (p: plan)" if self.role == "control" else ""
            with Vertical(id="right"):
                yield TargetBars(id="targets-inline", hint=hint)
                yield CommentStream(id="comments")
            with Vertical(id="side"):
                yield TargetBars(id="targets", hint=hint)
                yield ShiftPanel(id="shift")
        yield FeedLine(id="feeds")
        yield StatusBar(id="status")
        yield KeyBar(id="keys")

    def on_mount(self) -> None:
        self.query_one(ProductTable).focus()
        self.watch(self.app, "facts", self._take_facts)
        self.watch(self.app, "view", self._draw)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Command keys work on a control console only (elsewhere the app says why)."""
        if action in COMMAND_ACTIONS and self.role != "control":
            return False
        return True

    @property
    def products(self) -> ProductTable:
        return self.query_one(ProductTable)

    @property
    def alerts(self) -> AlertPanel:
        return self.query_one(AlertPanel)

    @property
    def comments(self) -> CommentStream:
        return self.query_one(CommentStream)

    @property
    def status(self) -> StatusBar:
        return self.query_one(StatusBar)

    def tile(self, key: str) -> KpiTile:
        """The KPI tile `online`, `gmv`, `orders`, `conv` or `comments`."""
        return self.query_one(f"#kpi-{key}", KpiTile)

    def _take_facts(self, facts: HubFacts) -> None:
        self.products.facts = facts
        self.comments.facts = facts

    def _draw(self, view: RoomView | None) -> None:
        """Draw `view` (the current room): everything anew when the room changed."""
        if view is None:
            return
        if view.room != self._room:
            self._room = view.room
            self._comments_seen = 0
            self.products.clear_products()
            self.comments.clear()
        self.comments.add(view.new_comments(self._comments_seen))
        self._comments_seen = view.comments_total
        self.alerts.show(view.ordered_alerts(), view.snapshot.get("ts"))
        if view.snapshot:
            self._show_snapshot(view)

    def _show_snapshot(self, view: RoomView) -> None:
        snapshot = view.snapshot
        m = snapshot.get("metrics") or {}
        get = m.get
        self.tile("online").show(
            fmt.count(get("online")),
            f"peak {fmt.count(get('online_peak'))} · views {fmt.count(get('total_views'))}",
            view.online,
        )
        self.tile("gmv").show(
            fmt.money(get("gmv_cents")),
            f"1m {fmt.money(get('gmv_1m_cents'))} · GPM {fmt.money(get('gpm_cents'))}",
            view.gmv_1m,
        )
        self.tile("orders").show(
            fmt.count(get("orders")),
            f"1m {fmt.count(get('orders_1m'))} · units {fmt.count(get('units'))}\n"
            f"buyers {fmt.count(get('buyers'))} · refunds {fmt.count(get('refunds'))}",
        )
        self.tile("conv").show(
            fmt.decimal(get("conv_1m"), 2),
            f"per 1k viewer-min, 1m\nsession {fmt.percent(get('conv_session'))}",
        )
        self.tile("comments").show(
            fmt.count(get("comments_1m")),
            f"total {fmt.count(get('comments'))}\n"
            f"likes {fmt.count(get('likes_1m'))} · enters {fmt.count(get('enters_1m'))} /min",
        )
        self.products.show(snapshot.get("products") or [], snapshot.get("featured"))
        for bars in self.query(TargetBars):
            bars.show(snapshot.get("targets") or [])
        self.query_one(ShiftPanel).show(snapshot.get("shifts") or [], snapshot.get("ts"))

    # -- commands: validated here, sent by the app (SendCommand) -------------------

    def _target_sku(self) -> str | None:
        return self.products.selected_sku or self.products.featured

    def action_feature(self) -> None:
        """Present the product selected in the table."""
        sku = self.products.selected_sku
        if sku is None:
            self.notify("no product selected: wait for a snapshot, then pick a row with ↑/↓")
            return
        self.post_message(SendCommand("feature", {"sku": sku}, f"feature {sku}"))

    def action_unfeature(self) -> None:
        """Stop presenting any product."""
        self.post_message(SendCommand("unfeature", {}, "unfeature"))

    def action_coupon(self) -> None:
        """Open the coupon form; send `coupon` if it is submitted valid."""

        def send(args: dict[str, Any] | None) -> None:
            if args is not None:
                label = f"coupon {fmt.money(args['discount_cents'])} ×{args['count']}"
                self.post_message(SendCommand("coupon", args, label))

        self.app.push_screen(CouponForm(self._target_sku()), send)

    def action_restock(self) -> None:
        """Ask how many units to add to the selected product; send `restock`."""
        sku = self.products.selected_sku
        if sku is None:
            self.notify("no product selected: pick a row with ↑/↓ first", severity="warning")
            return

        def send(args: dict[str, Any] | None) -> None:
            if args is not None:
                self.post_message(SendCommand("restock", args, f"restock {sku} +{args['add']}"))

        form = PromptForm(
            f"restock {sku} (补库存)",
            "units to add",
            lambda text: {"sku": sku, "add": parse_positive_int(text, "units to add")},
            ok="restock",
            placeholder="e.g. 50",
        )
        self.app.push_screen(form, send)

    def action_mark(self) -> None:
        """Ask for a label and bookmark this moment in the recording."""

        def send(args: dict[str, Any] | None) -> None:
            if args is not None:
                self.post_message(SendCommand("mark", args, f"mark {args['label']!r}"))

        form = PromptForm("bookmark (mark)", "label", _mark_args, ok="mark")
        self.app.push_screen(form, send)

    def action_host(self) -> None:
        """Record an unscheduled host change (主播换班): a `host` command, recorded."""

        def send(args: dict[str, Any] | None) -> None:
            if args is not None:
                self.post_message(SendCommand("host", args, f"host {args['name']}"))

        def parse(text: str) -> dict[str, Any]:
            if not text.strip():
                raise Invalid("type the name of the host now on air")
            return {"name": text.strip()}

        form = PromptForm("host change now (主播换班)", "host now on air", parse, ok="on air")
        self.app.push_screen(form, send)

    def action_plan(self) -> None:
        """Edit this room's session plan (targets, scheduled end, host schedule): `plan`."""
        plan = (self.app.view.snapshot.get("plan") if self.app.view else None) or {}  # type: ignore[attr-defined]
        room = self._room or ""

        def send(args: dict[str, Any] | None) -> None:
            if args is not None:
                self.post_message(SendCommand("plan", args, f"plan of {room}", room=room or None))

        self.app.push_screen(PlanForm(room, plan), send)

    def action_room(self, step: int) -> None:
        """Switch to the previous / next room that has sent a snapshot."""
        self.post_message(StepRoom(step))

    # -- alerts -------------------------------------------------------------------

    def action_focus_alerts(self) -> None:
        """Move the focus to the alert panel, or back to the products from it."""
        (self.products if self.alerts.has_focus else self.alerts).focus()

    def _ack(self, alert: dict[str, Any]) -> None:
        room = str(alert.get("room") or "") or None
        label = alert_label(alert)
        self.post_message(SendCommand("ack", {"alert_id": alert["id"]}, f"ack {label}", room=room))

    def action_ack_alert(self) -> None:
        """Acknowledge the alert selected in the panel (`ack` to the hub)."""
        alert = self.alerts.selected_alert
        if alert is None:
            self.notify("no alert to acknowledge")
            return
        if alert.get("state") != "open":
            self.notify(f"{alert_label(alert)} is already {alert.get('state')}")
            return
        self._ack(alert)

    def action_alert_action(self) -> None:
        """Run the suggested action of the selected alert, after a confirmation; an open
        alert whose action is sent counts as acknowledged (an `ack` follows)."""
        alert = self.alerts.selected_alert
        if alert is None:
            self.notify("no alert selected")
            return
        label = alert_label(alert)
        suggest = alert.get("suggest")
        action = suggestion_label(suggest)
        if suggest is None or action is None:
            self.notify(f"{label} has no suggested action", severity="warning")
            return
        if alert.get("state") == "resolved":
            self.notify(f"{label} is resolved: its suggestion no longer applies")
            return
        room = str(alert.get("room") or self._room or "")
        args = dict(suggest.get("args") or {})

        def send(confirmed: bool | None) -> None:
            if confirmed:
                self.post_message(SendCommand(str(suggest["action"]), args, action, room=room))
                if alert.get("state") == "open":
                    self._ack(alert)

        why = f"{label}: {alert.get('detail') or ''}".rstrip(": ")
        confirm = ConfirmCommand(f"send {action}?", room, str(suggest["action"]), args, why)
        self.app.push_screen(confirm, send)

    def on_alert_panel_action_requested(self, message: AlertPanel.ActionRequested) -> None:
        # Enter on a row is the `x` key for that row, through the same check_action.
        if self.check_action("alert_action", ()):
            self.action_alert_action()
        else:
            self.notify(READ_ONLY, severity="warning")
