"""The dashboard at 80x24, 120x40 and 200x60: Pilot checks of what must fit, and baselines."""

from __future__ import annotations

import pytest

from livemon.ui.app import LivemonApp
from livemon.ui.client import ConnectionState
from livemon.ui.messages import (
    CommentsReceived,
    ConnectionChanged,
    SnapshotReceived,
    WelcomeReceived,
)
from livemon.ui.widgets.alert_panel import AlertPanel
from livemon.ui.widgets.help_screen import HelpScreen
from livemon.ui.widgets.key_bar import KeyBar
from livemon.ui.widgets.kpi_tile import KpiTile
from livemon.ui.widgets.product_table import ProductTable

from .conftest import COMMENTS, TS
from .screens_data import WELCOME, busy_snapshot

SIZES = [(80, 24), (120, 40), (200, 60)]


async def fed(app: LivemonApp, pilot) -> None:
    """Give the offline app a live connection, the welcome, a busy snapshot and comments."""
    app.post_message(ConnectionChanged(ConnectionState("live", app.url)))
    app.post_message(WelcomeReceived(WELCOME))
    for second in range(3):
        app.post_message(SnapshotReceived(busy_snapshot(ts=TS - 2 + second)))
        await pilot.pause()
    app.post_message(CommentsReceived(COMMENTS))
    await pilot.pause()
    await pilot.pause()


def visible_rows(table) -> int:
    """How many data rows of a table fit in its visible area."""
    return min(table.row_count, table.scrollable_content_region.height - 1)


async def test_at_80x24_the_dashboard_stays_useful():
    """At 80x24: KPI tiles one line each, >= 5 product rows with stock and ETA (featured
    first), >= 3 alert rows with their suggested action, and a key bar that wraps."""
    app = LivemonApp("ws://127.0.0.1:8765", "token", connect=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await fed(app, pilot)
        dash = app.dashboard
        assert all(tile.outer_size.height == 1 for tile in dash.query(KpiTile))
        table = dash.query_one(ProductTable)
        assert visible_rows(table) >= 5
        assert table.skus[0] == "85099B"
        labels = [str(c.label) for c in table.ordered_columns]
        assert "stock" in labels and "ETA" in labels
        assert table.region.right <= 80
        panel = dash.query_one(AlertPanel)
        assert visible_rows(panel) >= 3
        assert panel.cell_text("a1", "action") == "→ restock 85123A +40"
        bar = dash.query_one(KeyBar)
        assert bar.outer_size.height >= 2
        assert "s stage screen" in bar.render_keys().plain


async def test_at_200x60_names_use_the_width_and_notices_miss_the_comments():
    """At 200x60 product names get the free width, the side column shows the shift on air
    and the earlier ones, and notices land there, not over the comment feed."""
    app = LivemonApp("ws://127.0.0.1:8765", "token", connect=False)
    async with app.run_test(size=(200, 60), notifications=True) as pilot:
        await fed(app, pilot)
        dash = app.dashboard
        table = dash.query_one(ProductTable)
        assert table.name_width >= 34  # "White Hanging Heart T-Light Holder" whole
        shift = str(dash.query_one("#shift").render())
        assert "小美 on air 1:02:05" in shift and "阿杰 1:00:00: GMV ¥43,456.78" in shift
        app.notify("a notice", timeout=30)
        await pilot.pause()
        await pilot.pause()
        toast = app.screen.query_one("Toast")
        comments = dash.query_one("#comments")
        assert toast.region.x >= comments.region.right


async def test_help_fits_and_scrolls_at_80x24():
    """At 80x24 the help screen fits inside the terminal and its key list scrolls."""
    app = LivemonApp("ws://127.0.0.1:8765", "token", connect=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        box = app.screen.query_one("Vertical")
        assert box.region.bottom <= 24 and box.region.right <= 80
        table = app.screen.query_one("#help-keys")
        assert table.max_scroll_y > 0
        await pilot.press("pagedown")
        await pilot.pause()
        assert table.scroll_y == table.max_scroll_y


async def test_status_bar_shows_host_and_time_on_air():
    """The status bar's "on air" shows the host and how long the shift has run."""
    app = LivemonApp("ws://127.0.0.1:8765", "token", connect=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await fed(app, pilot)
        assert "on air 小美 1:02:05" in app.dashboard.status.render_text().plain


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_dashboard_baseline(snap_compare, utc, size):
    """The dashboard of a busy room matches its baseline at each of the three sizes."""
    app = LivemonApp("ws://127.0.0.1:8765", "token", connect=False)

    async def run_before(pilot) -> None:
        await fed(app, pilot)

    assert snap_compare(app, terminal_size=size, run_before=run_before)
