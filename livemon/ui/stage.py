"""`StageScreen`: the streamer's side screen, readable from across the room.

Online and GMV in big digits; the featured product with its stock and, when
it runs low (by the hub's own `stock_low` thresholds), a countdown to
stock-out; the two hottest questions in the comments; the target bars; and a
full-width banner while any alert of the room is critical. Nothing on it is
a control. It draws the app's reactive `view`, the same room view the
dashboard draws, so both always agree.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Digits, Label, Static

from livemon.ui import format as fmt
from livemon.ui.state import HubFacts, RoomView, hot_questions
from livemon.ui.widgets.alert_panel import alert_label
from livemon.ui.widgets.status_bar import StatusBar
from livemon.ui.widgets.target_bars import TargetBars


def _digits_money(cents: int | None) -> str:
    """Money for Digits, which has no ¥ glyph: the symbol sits in the caption; whole yuan,
    so the number stays readable from afar.

    >>> _digits_money(12345678), _digits_money(None)
    ('123,457', '—')
    """
    return fmt.DASH if cents is None else f"{round(cents / 100):,}"


def is_low(product: dict[str, Any], facts: HubFacts) -> bool:
    """True when a product's stock is under the hub's `stock_low` floor or its ETA under
    the hub's limit (unknown thresholds: never low).

    >>> facts = HubFacts(low_floor=10, low_eta_s=120.0)
    >>> is_low({"stock": 9}, facts), is_low({"stock": 50, "eta_s": 100.0}, facts)
    (True, True)
    >>> is_low({"stock": 50, "eta_s": 600.0}, facts), is_low({"stock": 0}, facts)
    (False, False)
    """
    stock, eta = product.get("stock"), product.get("eta_s")
    if stock is None or stock <= 0:
        return False
    floor, limit = facts.low_floor, facts.low_eta_s
    return (floor is not None and stock < floor) or (
        limit is not None and eta is not None and eta < limit
    )


class StageScreen(Screen[None]):
    """The big-number side screen; `standalone` (livemon stage) has no way back to a dashboard."""

    DEFAULT_CSS = """
    StageScreen {
        background: $background;
        padding: 0 1;
    }
    StageScreen #stage-banner {
        display: none;
        width: 1fr;
        height: auto;
        background: #d70000;
        color: white;
        text-style: bold;
        content-align: center middle;
        padding: 0 1;
    }
    StageScreen #stage-banner.-on {
        display: block;
    }
    StageScreen #stage-numbers {
        height: 5;
    }
    StageScreen .stage-box {
        border: heavy $primary;
        border-title-color: $text;
        border-title-style: bold;
        height: 5;
        width: 1fr;
        align: center middle;
    }
    StageScreen Digits {
        width: auto;
        text-style: bold;
    }
    StageScreen #stage-featured {
        border: heavy $warning;
        border-title-color: $warning;
        border-title-style: bold;
        height: auto;
        padding: 0 1;
    }
    StageScreen #stage-product {
        text-style: bold;
        color: $warning;
        width: 1fr;
        content-align: center middle;
    }
    StageScreen #stage-product-stats {
        height: 3;
        align: center middle;
    }
    StageScreen .stage-caption {
        width: auto;
        margin: 1 1 0 2;
        text-style: bold;
        color: $text-muted;
    }
    StageScreen .-countdown {
        display: none;
    }
    StageScreen.-low .-countdown {
        display: block;
    }
    StageScreen.-low #stage-eta {
        color: $error;
    }
    StageScreen #stage-questions {
        border: heavy $accent 60%;
        border-title-color: $text;
        height: auto;
        padding: 0 1;
    }
    StageScreen #stage-targets {
        border: heavy $primary 60%;
    }
    StageScreen #stage-status {
        dock: bottom;
    }
    StageScreen.-tall #stage-banner {
        padding: 1 1;
        margin-bottom: 1;
    }
    StageScreen.-tall #stage-numbers, StageScreen.-tall .stage-box {
        height: 9;
    }
    StageScreen.-tall #stage-featured {
        height: 1fr;
        max-height: 16;
        align: center middle;
    }
    StageScreen.-tall #stage-featured, StageScreen.-tall #stage-questions,
    StageScreen.-tall #stage-targets {
        margin-top: 1;
    }
    StageScreen.-tall #stage-product {
        height: 3;
    }
    """

    VERTICAL_BREAKPOINTS = [(0, "-short"), (40, "-tall")]
    BINDINGS = [Binding("s,escape", "app.toggle_stage", "dashboard")]

    def __init__(self, *, standalone: bool = False) -> None:
        super().__init__(id="stage")
        self.standalone = standalone
        self._facts = HubFacts()

    def compose(self) -> ComposeResult:
        yield Static("", id="stage-banner")
        with Horizontal(id="stage-numbers"):
            with Vertical(classes="stage-box") as box:
                box.border_title = "在线 ONLINE"
                yield Digits(fmt.DASH, id="stage-online")
            with Vertical(classes="stage-box", id="stage-gmv-box") as box:
                box.border_title = "GMV ¥"
                yield Digits(fmt.DASH, id="stage-gmv")
        with Vertical(id="stage-featured") as featured:
            featured.border_title = "▶ 讲解中 NOW SELLING"
            yield Label(fmt.DASH, id="stage-product")
            with Horizontal(id="stage-product-stats"):
                yield Label("stock 库存", classes="stage-caption")
                yield Digits(fmt.DASH, id="stage-stock")
                yield Label("sells out in 售罄倒计时", classes="stage-caption -countdown")
                yield Digits(fmt.DASH, id="stage-eta", classes="-countdown")
        with Vertical(id="stage-questions") as questions:
            questions.border_title = "观众在问 ASKED MOST"
            yield Static("", id="stage-asked")
        yield TargetBars(id="stage-targets")
        yield StatusBar(id="stage-status")

    def on_mount(self) -> None:
        self.watch(self.app, "facts", self._take_facts)
        self.watch(self.app, "view", self._view)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """On the standalone stage there is no dashboard to go back to."""
        if action == "app.toggle_stage" or action == "toggle_stage":
            return not self.standalone
        return True

    def _take_facts(self, facts: HubFacts) -> None:
        self._facts = facts

    def _view(self, view: RoomView | None) -> None:
        if view is not None:
            self._draw(view)

    def _draw(self, view: RoomView) -> None:
        snapshot = view.snapshot
        metrics = snapshot.get("metrics") or {}
        self.query_one("#stage-online", Digits).update(fmt.count(metrics.get("online")))
        self.query_one("#stage-gmv", Digits).update(_digits_money(metrics.get("gmv_cents")))
        # The exact figure in small type under the rounded big one.
        self.query_one("#stage-gmv-box").border_subtitle = fmt.money(metrics.get("gmv_cents"))
        featured = snapshot.get("featured")
        product = next(
            (p for p in snapshot.get("products") or () if p.get("sku") == featured), None
        )
        low = False
        if product is None:
            name, stock, eta = "no product featured 暂无讲解商品", fmt.DASH, fmt.DASH
        else:
            name = str(product.get("name") or featured)
            stock, eta = fmt.count(product.get("stock")), fmt.eta(product.get("eta_s"))
            low = is_low(product, self._facts)
        self.set_class(low, "-low")
        self.query_one("#stage-product", Label).update(name)
        self.query_one("#stage-stock", Digits).update(stock)
        self.query_one("#stage-eta", Digits).update(eta)
        self.query_one("#stage-asked", Static).update(self._questions(view))
        self.query_one(TargetBars).show(snapshot.get("targets") or [])
        crit = view.critical_alerts()
        banner = self.query_one("#stage-banner", Static)
        banner.set_class(bool(crit), "-on")
        if crit:
            first = crit[0]
            more = f"   (+{len(crit) - 1} more)" if len(crit) > 1 else ""
            banner.update(f"‼ {alert_label(first)} — {first.get('detail') or ''}{more}")

    def _questions(self, view: RoomView) -> Text:
        asked = hot_questions(view.comments, self._facts.question_tags, view.snapshot.get("ts"))
        if not asked:
            return Text("no questions in the last 5 minutes", style="dim")
        text = Text()
        for i, (tag, count, sample) in enumerate(asked):
            if i:
                text.append("\n")
            text.append(f"{i + 1}. {tag} ×{count}  ", "bold")
            text.append(f"“{sample}”")
        return text

    def digits_text(self, key: str) -> str:
        """The value shown by one of the big numbers (online, gmv, stock, eta)."""
        return self.query_one(f"#stage-{key}", Digits).value

    @property
    def banner_text(self) -> str:
        """The critical-alert banner's text, or "" when it is not shown."""
        banner = self.query_one("#stage-banner", Static)
        return str(banner.render()) if banner.has_class("-on") else ""

    @property
    def questions_text(self) -> str:
        """The hottest questions as shown (plain text)."""
        return self._questions(self.app.view).plain if self.app.view else ""  # type: ignore[attr-defined]
