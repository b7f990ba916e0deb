"""Pilot tests of the console against a protocol-faithful fake hub."""

from __future__ import annotations

from livemon.ui import create_app
from livemon.ui.widgets.comment_stream import CommentStream
from livemon.ui.widgets.forms import CouponForm, PromptForm
from livemon.ui.widgets.help_screen import HelpScreen
from livemon.ui.widgets.product_table import ProductTable

SIZE = (160, 50)


def notes(app) -> list[str]:
    """The messages of every notification shown so far."""
    return [n.message for n in app._notifications]


async def started(app, pilot, hub, *messages):
    """Wait for the handshake, send `messages` and wait until the first snapshot is drawn."""
    await hub.wait_connected()
    await hub.broadcast(*messages)
    await hub.until(pilot, lambda: app.state.current is not None)
    await pilot.pause()


async def test_snapshot_values_appear_in_tiles_and_table(hub):
    """A snapshot's metrics show in the KPI tiles and its products in the table, nil as —."""
    app = create_app(hub.url, hub.control_token)
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot, hub, hub.snapshot())
        dash = app.dashboard
        assert dash.tile("online").value_text == "12,345"
        assert "peak 15,000" in dash.tile("online").sub_text
        assert dash.tile("gmv").value_text == "¥123,456.78"
        assert dash.tile("orders").value_text == "321"
        assert dash.tile("conv").value_text == "0.97"
        assert "0.38%" in dash.tile("conv").sub_text
        assert dash.tile("comments").value_text == "87"
        table = dash.query_one(ProductTable)
        assert table.row_count == 3
        assert table.cell_text("A1", "price") == "¥99.00"
        assert table.cell_text("B2", "eta") == "1:15"
        assert table.cell_text("A1", "rate") == "3.5"
        assert table.cell_text("C3", "stock") == "—"
        assert table.cell_text("C3", "eta") == "—"
        assert "room-1" in dash.status.render_text().plain
        assert "小美" in dash.status.render_text().plain


async def test_next_snapshot_updates_cells_in_place(hub):
    """A later snapshot changes the shown numbers without rebuilding the table's rows."""
    app = create_app(hub.url, hub.control_token)
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot, hub, hub.snapshot())
        table = app.dashboard.query_one(ProductTable)
        row_keys = list(table.rows)
        changed = hub.snapshot(online=20000, ts=hub.snapshot()["ts"] + 1)
        changed["products"][0]["stock"] = 0
        await hub.broadcast(changed)
        await hub.until(pilot, lambda: app.dashboard.tile("online").value_text == "20,000")
        assert table.cell_text("A1", "stock") == "0"
        assert list(table.rows) == row_keys
        assert list(app.state.view.online) == [12345, 20000]


async def test_featured_product_is_marked(hub):
    """The featured product's row carries the ▶ marker and no other row does."""
    app = create_app(hub.url, hub.control_token)
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot, hub, hub.snapshot())
        table = app.dashboard.query_one(ProductTable)
        assert table.cell_text("B2", "mark") == "▶"
        assert table.cell_text("A1", "mark") == ""
        await hub.broadcast(hub.snapshot(featured="A1"))
        await hub.until(pilot, lambda: table.cell_text("A1", "mark") == "▶")
        assert table.cell_text("B2", "mark") == ""


async def test_comment_tags_render_as_badges(hub):
    """Comments appear newest last with their question and tech tags as badges."""
    app = create_app(hub.url, hub.control_token)
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot, hub, hub.snapshot(), hub.comments)
        stream = app.dashboard.query_one(CommentStream)
        await hub.until(pilot, lambda: len(stream.plain_lines) >= 3)
        lines = stream.plain_lines
        assert "alice: 多少钱?" in lines[0] and " 价格 " in lines[0]
        assert " link " in lines[1]
        assert "carol" in lines[-1] and " 卡 " in lines[-1]
        # Badges are styled segments, not just text: the tag's segment has a background.
        styles = {seg.text: seg.style for seg in stream.lines[0] if seg.text.strip()}
        assert styles[" 价格 "].bgcolor is not None


async def test_feature_sends_selected_sku_and_shows_result(hub):
    """`f` on a selected row sends `feature` with its sku and the hub's result is notified."""
    app = create_app(hub.url, hub.control_token)
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot, hub, hub.snapshot())
        await pilot.press("down", "f")
        await hub.until(pilot, lambda: hub.commands)
        command = hub.commands[0]
        assert command["action"] == "feature"
        assert command["args"] == {"sku": "A1"}  # B2 is featured, so first; A1 second
        assert command["room"] == "room-1"
        assert isinstance(command["id"], str) and command["id"]
        await hub.until(pilot, lambda: any("feature A1: ok" in n for n in notes(app)))
        assert app.pending == {}


async def test_refused_command_shows_the_hubs_reason(hub):
    """A result with ok=false shows the hub's reason as an error notification."""
    hub.answers["unfeature"] = (False, "adapter cannot unfeature on this platform")
    app = create_app(hub.url, hub.control_token)
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot, hub, hub.snapshot())
        await pilot.press("u")
        await hub.until(pilot, lambda: any("cannot unfeature" in n for n in notes(app)))


async def test_pending_indicator_shows_until_result(hub):
    """The status bar counts a command as pending until its result arrives."""
    app = create_app(hub.url, hub.control_token)
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot, hub, hub.snapshot())
        app.pending["earlier"] = "mark 'x'"
        app.pending_count = 1
        await pilot.pause()
        assert "1 pending" in app.dashboard.status.render_text().plain
        await hub.broadcast({"op": "result", "id": "earlier", "ok": True, "detail": ""})
        await hub.until(pilot, lambda: not app.pending)
        assert "pending" not in app.dashboard.status.render_text().plain


async def test_coupon_form_rejects_bad_discount_inline(hub):
    """A non-number discount shows an inline error, keeps the form open and sends nothing."""
    app = create_app(hub.url, hub.control_token)
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot, hub, hub.snapshot())
        await pilot.press("c")
        await hub.until(pilot, lambda: isinstance(app.screen, CouponForm))
        await pilot.press(*"abc", "enter")
        await pilot.pause()
        assert isinstance(app.screen, CouponForm)
        error = app.screen.query_one("#discount-error")
        assert "must be a number" in str(error.render())
        assert not error.has_class("-empty")
        await pilot.pause(0.1)
        assert hub.commands == []


async def test_coupon_form_sends_cents(hub):
    """A valid coupon form sends discount in cents, count, sku and expiry in seconds."""
    app = create_app(hub.url, hub.control_token)
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot, hub, hub.snapshot())
        await pilot.press("c")
        await hub.until(pilot, lambda: isinstance(app.screen, CouponForm))
        await pilot.press(*"12.5", "enter")
        await hub.until(pilot, lambda: hub.commands)
        assert hub.commands[0]["action"] == "coupon"
        assert hub.commands[0]["args"] == {
            "discount_cents": 1250,
            "count": 100,
            "sku": "B2",  # the top row: the featured product
            "expires_s": 600,
        }
        await hub.until(pilot, lambda: any("coupon ¥12.50 ×100: ok" in n for n in notes(app)))


async def test_restock_and_mark_forms_send_commands(hub):
    """`r` asks how many units and sends `restock`; `m` asks a label and sends `mark`."""
    app = create_app(hub.url, hub.control_token)
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot, hub, hub.snapshot())
        await pilot.press("r")
        await hub.until(pilot, lambda: isinstance(app.screen, PromptForm))
        await pilot.press("0", "enter")
        await pilot.pause()
        assert "at least 1" in str(app.screen.query_one("#answer-error").render())
        await pilot.press("backspace", "5", "0", "enter")
        await hub.until(pilot, lambda: hub.commands)
        assert hub.commands[-1]["args"] == {"sku": "B2", "add": 50}
        await pilot.press("m")
        await hub.until(pilot, lambda: isinstance(app.screen, PromptForm))
        await pilot.press(*"drop", "enter")
        await hub.until(pilot, lambda: len(hub.commands) == 2)
        assert hub.commands[-1]["action"] == "mark"
        assert hub.commands[-1]["args"] == {"label": "drop"}


async def test_watch_role_refuses_command_keys(hub):
    """On a watch console the command keys send nothing and say it is a read-only screen."""
    app = create_app(hub.url, hub.watch_token, role="watch")
    assert app.client.url.endswith("/watch")
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot, hub, hub.snapshot())
        await pilot.press("f", "u", "c", "r", "m")
        await pilot.pause(0.1)
        assert isinstance(app.screen, type(app.dashboard))
        assert hub.commands == []
        assert notes(app) and all("read-only screen" in n for n in notes(app))


async def test_wrong_token_says_what_to_fix(hub):
    """A 1008 close on a wrong token stops retrying and shows the token message."""
    app = create_app(hub.url, "wrong")
    async with app.run_test(size=SIZE) as pilot:
        await hub.until(pilot, lambda: app.client.state.status == "refused")
        await pilot.pause()
        message = "refused the token (bad token for this path): check LIVEMON_CONTROL_TOKEN"
        assert any(message in n for n in notes(app))
        assert message in app.dashboard.status.render_text().plain


async def test_lost_connection_is_shown_and_retried(hub):
    """When the hub drops the connection the status says lost, then live again after retry."""
    app = create_app(hub.url, hub.control_token)
    app.client.backoff_initial = 0.05
    async with app.run_test(size=SIZE) as pilot:
        await hub.wait_connected()
        await hub.until(pilot, lambda: app.client.state.status == "live")
        await hub.clients[0].close(1011, "hub error")
        await hub.until(pilot, lambda: "lost" in app.dashboard.status.render_text().plain)
        await hub.until(pilot, lambda: app.client.state.status == "live")


async def test_help_screen_lists_every_key(hub):
    """`?` opens a help screen that lists every command key; escape closes it."""
    app = create_app(hub.url, hub.control_token)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("question_mark")
        await hub.until(pilot, lambda: isinstance(app.screen, HelpScreen))
        listed = app.screen.listed_keys
        for key in ("f", "u", "c", "r", "m", "q", "s", "? / F1", "[", "]"):
            assert key in listed
        await pilot.press("escape")
        await hub.until(pilot, lambda: not isinstance(app.screen, HelpScreen))
        await pilot.press("f1")
        await hub.until(pilot, lambda: isinstance(app.screen, HelpScreen))


async def test_stage_screen_shows_the_numbers(hub):
    """`s` shows the stage screen with big online, GMV, orders and the featured product."""
    app = create_app(hub.url, hub.control_token)
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot, hub, hub.snapshot())
        await pilot.press("s")
        await hub.until(pilot, lambda: app.screen is app.stage)
        stage = app.stage
        assert stage.digits_text("online") == "12,345"
        assert stage.digits_text("gmv") == "123,457"
        assert stage.digits_text("stock") == "5"
        assert stage.digits_text("eta") == "1:15"
        assert "保温杯" in str(stage.query_one("#stage-product").render())
        await hub.broadcast(hub.snapshot(online=99, ts=hub.snapshot()["ts"] + 1))
        await hub.until(pilot, lambda: stage.digits_text("online") == "99")
        await pilot.press("s")
        await hub.until(pilot, lambda: app.screen is app.dashboard)


async def test_rooms_switch_with_brackets(hub):
    """The first room to send a snapshot is shown; `]` switches to the next room."""
    app = create_app(hub.url, hub.control_token)
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot, hub, hub.snapshot(), hub.snapshot(room="room-2", online=7))
        await hub.until(pilot, lambda: len(app.state.rooms) == 2)
        assert app.dashboard.tile("online").value_text == "12,345"
        await pilot.press("right_square_bracket")
        await hub.until(pilot, lambda: app.dashboard.tile("online").value_text == "7")
        assert "room-2" in app.dashboard.status.render_text().plain
