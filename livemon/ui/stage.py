"""`StageScreen`: the streamer's big-number side screen, readable from across the room.

It draws from the same snapshot as the dashboard (no state of its own beyond
the last snapshot), so both always agree.
"""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Digits, Label

from livemon.ui import format as fmt


def _digits_money(cents: int | None) -> str:
    """Money for Digits, which has no ¥ glyph: the symbol sits in the caption."""
    return fmt.money(cents, symbol="")


STAGE_NUMBERS = (("online", "在线 ONLINE"), ("gmv", "GMV ¥"), ("orders", "订单 ORDERS"))


class StageScreen(Screen[None]):
    """Huge digits for online viewers, GMV and orders, and the featured product's stock."""

    DEFAULT_CSS = """
    StageScreen {
        background: $background;
        padding: 1 2;
    }
    StageScreen Grid {
        grid-size: 3 1;
        grid-gutter: 2;
        height: 9;
    }
    StageScreen .stage-box {
        border: heavy $primary;
        border-title-color: $text;
        border-title-style: bold;
        height: 9;
        align: center middle;
    }
    StageScreen Digits {
        width: auto;
        text-style: bold;
    }
    StageScreen #stage-featured {
        margin-top: 1;
        border: heavy $warning;
        border-title-color: $warning;
        border-title-style: bold;
        height: 1fr;
        padding: 1 2;
    }
    StageScreen #stage-product {
        text-style: bold;
        color: $warning;
        width: 1fr;
        content-align: center middle;
        height: 3;
    }
    StageScreen #stage-product-stats {
        height: 5;
        align: center middle;
    }
    StageScreen .stage-caption {
        width: auto;
        margin: 1 2 0 4;
        text-style: bold;
        color: $text-muted;
    }
    """

    BINDINGS = [Binding("s,escape", "app.toggle_stage", "dashboard")]

    def __init__(self) -> None:
        super().__init__(id="stage")

    def compose(self) -> ComposeResult:
        with Grid():
            for key, title in STAGE_NUMBERS:
                with Vertical(classes="stage-box") as box:
                    box.border_title = title
                    yield Digits("—", id=f"stage-{key}")
        with Vertical(id="stage-featured") as featured:
            featured.border_title = "▶ 讲解中 NOW SELLING"
            yield Label("—", id="stage-product")
            with Horizontal(id="stage-product-stats"):
                yield Label("stock", classes="stage-caption")
                yield Digits("—", id="stage-stock")
                yield Label("sells out in", classes="stage-caption")
                yield Digits("—", id="stage-eta")

    def on_mount(self) -> None:
        self.watch(self.app, "view", self._view)

    def _view(self, view: Any) -> None:
        self._draw(view.snapshot if view is not None else {})

    def _draw(self, snapshot: dict[str, Any]) -> None:
        metrics = snapshot.get("metrics") or {}
        self.query_one("#stage-online", Digits).update(fmt.count(metrics.get("online")))
        self.query_one("#stage-gmv", Digits).update(_digits_money(metrics.get("gmv_cents")))
        self.query_one("#stage-orders", Digits).update(fmt.count(metrics.get("orders")))
        featured = snapshot.get("featured")
        product = next(
            (p for p in snapshot.get("products") or () if p.get("sku") == featured), None
        )
        if product is None:
            name, stock, eta = "no product featured", fmt.DASH, fmt.DASH
        else:
            name = str(product.get("name") or featured)
            stock, eta = fmt.count(product.get("stock")), fmt.eta(product.get("eta_s"))
        self.query_one("#stage-product", Label).update(name)
        self.query_one("#stage-stock", Digits).update(stock)
        self.query_one("#stage-eta", Digits).update(eta)

    def digits_text(self, key: str) -> str:
        """The value shown by one of the big numbers (online, gmv, orders, stock, eta)."""
        return self.query_one(f"#stage-{key}", Digits).value
