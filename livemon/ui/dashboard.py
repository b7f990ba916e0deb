"""`DashboardScreen`: KPI tiles, product table, comment stream, alerts and status bar.

The screen only draws; commands go through the app (`LivemonApp.command`),
which owns the hub connection and the pending-result bookkeeping.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer

from livemon.ui import format as fmt
from livemon.ui.state import RoomView
from livemon.ui.widgets.alert_panel import AlertPanel, alert_label, suggestion_label
from livemon.ui.widgets.comment_stream import CommentStream
from livemon.ui.widgets.confirm_command import ConfirmCommand
from livemon.ui.widgets.forms import CouponForm, Invalid, PromptForm, parse_positive_int
from livemon.ui.widgets.kpi_tile import KpiTile
from livemon.ui.widgets.product_table import ProductTable
from livemon.ui.widgets.status_bar import StatusBar

if TYPE_CHECKING:
    from livemon.ui.app import LivemonApp


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
        Binding("l", "focus_alerts", "alerts ⇄ products"),
        Binding("left_square_bracket", "room(-1)", "prev room", key_display="["),
        Binding("right_square_bracket", "room(1)", "next room", key_display="]"),
    ]

    app: LivemonApp  # type: ignore[assignment]

    def __init__(self, url: str, role: str) -> None:
        super().__init__(id="dashboard")
        self.url = url
        self.role = role
        # Hub messages can arrive before the screen is composed (an embedded hub is
        # fast); until then the latest view and status fields wait here.
        self._ready = False
        self._early_view: tuple[RoomView, int] | None = None
        self._early_status: dict[str, object] = {}

    def compose(self) -> ComposeResult:
        with Horizontal(id="kpis"):
            yield KpiTile("online 在线", spark=True, id="kpi-online")
            yield KpiTile("GMV 成交额", spark=True, id="kpi-gmv")
            yield KpiTile("orders 订单", id="kpi-orders")
            yield KpiTile("conversion 转化", id="kpi-conv")
            yield KpiTile("comments/min 弹幕", id="kpi-comments")
        with Horizontal(id="main"):
            with Vertical(id="left"):
                yield ProductTable(id="products")
                yield AlertPanel(id="alerts")
            yield CommentStream(id="comments")
        yield StatusBar(self.url, self.role, id="status")
        yield Footer()

    def on_mount(self) -> None:
        self._ready = True
        self.query_one(ProductTable).focus()
        self.set_status(**self._early_status)
        if self._early_view is not None:
            self.switch_room(*self._early_view)

    def on_unmount(self) -> None:
        # Hub messages still queued while the app shuts down must not reach gone widgets.
        self._ready = False

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

    def set_status(self, **fields: object) -> None:
        """Update status bar fields (see `StatusBar.set`)."""
        if self._ready:
            self.status.set(**fields)
        else:
            self._early_status.update(fields)

    def add_comments(self, items: list[dict[str, Any]]) -> None:
        """Append comments of the current room to the stream."""
        if self._ready:
            self.comments.add(items)
        # Before mount they are replayed from the room view by `switch_room`.

    def show(self, view: RoomView) -> None:
        """Draw the newest snapshot of `view` in place."""
        if not self._ready:
            if self._early_view is not None:
                self._early_view = (view, self._early_view[1])
            return
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
        self.show_alerts(view)
        self.status.set(clock=fmt.clock(snapshot.get("ts")), host=snapshot.get("host") or fmt.DASH)

    def show_alerts(self, view: RoomView) -> None:
        """Redraw the alert panel from `view`'s alerts, aged by its newest snapshot's clock."""
        if self._ready:
            self.alerts.show(view.ordered_alerts(), view.snapshot.get("ts"))

    def switch_room(self, view: RoomView, rooms: int) -> None:
        """Redraw everything for another room, comments included."""
        if not self._ready:
            self._early_view = (view, rooms)
            return
        self.products.clear_products()
        self.comments.clear()
        self.comments.add(view.comments)
        self.status.set(room=view.room, rooms=rooms)
        self.show_alerts(view)
        if view.snapshot:
            self.show(view)

    # -- commands: validation here, sending in the app ------------------------------

    def _target_sku(self) -> str | None:
        return self.products.selected_sku or self.products.featured

    def action_feature(self) -> None:
        """Present the product selected in the table."""
        sku = self.products.selected_sku
        if sku is None:
            self.app.notify("no product selected: wait for a snapshot, then pick a row with ↑/↓")
            return
        self.app.command("feature", {"sku": sku}, f"feature {sku}")

    def action_unfeature(self) -> None:
        """Stop presenting any product."""
        self.app.command("unfeature", {}, "unfeature")

    def action_coupon(self) -> None:
        """Open the coupon form; send `coupon` if it is submitted valid."""
        if not self.app.can_command():
            return

        def send(args: dict[str, Any] | None) -> None:
            if args is not None:
                label = f"coupon {fmt.money(args['discount_cents'])} ×{args['count']}"
                self.app.command("coupon", args, label)

        self.app.push_screen(CouponForm(self._target_sku()), send)

    def action_restock(self) -> None:
        """Ask how many units to add to the selected product; send `restock`."""
        if not self.app.can_command():
            return
        sku = self.products.selected_sku
        if sku is None:
            self.app.notify("no product selected: pick a row with ↑/↓ first", severity="warning")
            return

        def send(args: dict[str, Any] | None) -> None:
            if args is not None:
                self.app.command("restock", args, f"restock {sku} +{args['add']}")

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
        if not self.app.can_command():
            return

        def send(args: dict[str, Any] | None) -> None:
            if args is not None:
                self.app.command("mark", args, f"mark {args['label']!r}")

        form = PromptForm("bookmark (mark)", "label", _mark_args, ok="mark")
        self.app.push_screen(form, send)

    def action_room(self, step: int) -> None:
        """Switch to the previous / next room that has sent a snapshot."""
        self.app.cycle_room(step)

    # -- alerts -------------------------------------------------------------------

    def action_focus_alerts(self) -> None:
        """Move the focus to the alert panel, or back to the products from it."""
        (self.products if self.alerts.has_focus else self.alerts).focus()

    def action_ack_alert(self) -> None:
        """Acknowledge the alert selected in the panel (`ack` to the hub)."""
        if not self.app.can_command():
            return
        alert = self.alerts.selected_alert
        if alert is None:
            self.app.notify("no alert to acknowledge")
            return
        label = alert_label(alert)
        if alert.get("state") != "open":
            self.app.notify(f"{label} is already {alert.get('state')}")
            return
        room = str(alert.get("room") or "") or None
        self.app.command("ack", {"alert_id": alert["id"]}, f"ack {label}", room=room)

    def action_alert_action(self, alert: dict[str, Any] | None = None) -> None:
        """Run the suggested action of the selected alert, after a confirmation."""
        if not self.app.can_command():
            return
        alert = alert or self.alerts.selected_alert
        if alert is None:
            self.app.notify("no alert selected")
            return
        label = alert_label(alert)
        suggest = alert.get("suggest")
        action = suggestion_label(suggest)
        if suggest is None or action is None:
            self.app.notify(f"{label} has no suggested action", severity="warning")
            return
        if alert.get("state") == "resolved":
            self.app.notify(f"{label} is resolved: its suggestion no longer applies")
            return
        room = str(alert.get("room") or self.app.state.current or "")
        args = dict(suggest.get("args") or {})

        def send(confirmed: bool | None) -> None:
            if confirmed:
                self.app.command(str(suggest["action"]), args, action, room=room)

        why = f"{label}: {alert.get('detail') or ''}".rstrip(": ")
        confirm = ConfirmCommand(f"send {action}?", room, str(suggest["action"]), args, why)
        self.app.push_screen(confirm, send)

    def on_alert_panel_action_requested(self, message: AlertPanel.ActionRequested) -> None:
        self.action_alert_action(message.alert)
