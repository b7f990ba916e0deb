"""Pilot tests of the alert panel: against the fake hub, and once against the real hub + sim."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import pytest

from livemon.ui import create_app
from livemon.ui.widgets.alert_panel import AlertPanel
from livemon.ui.widgets.confirm_command import ConfirmCommand
from livemon.ui.widgets.help_screen import HelpScreen

from .conftest import TS

SIZE = (160, 50)
FEATURE_A1 = {"action": "feature", "args": {"sku": "A1"}}
COUPON = {"action": "coupon", "args": {"discount_cents": 500, "count": 100}}


def alert(alert_id: str = "a1", **changes: Any) -> dict[str, Any]:
    """A wire alert message (docs/protocol.md): an open warn stock_low of B2 unless changed."""
    message = {
        "op": "alert",
        "id": alert_id,
        "room": "room-1",
        "kind": "stock_low",
        "sku": "B2",
        "severity": "warn",
        "state": "open",
        "since": TS - 30,
        "onset": None,
        "detail": "保温杯 thermos: 5 left, ~75 s to stock-out",
        "evidence": {"stock": 5},
        "suggest": {"action": "restock", "args": {"sku": "B2", "add": 40}},
    }
    message.update(changes)
    return message


def notes(app) -> list[str]:
    """The messages of every notification shown so far."""
    return [n.message for n in app._notifications]


def panel(app) -> AlertPanel:
    return app.dashboard.query_one(AlertPanel)


async def started(app, pilot, hub, *messages) -> AlertPanel:
    """Wait for the handshake and the first snapshot, then send `messages`; return the panel."""
    await hub.wait_connected()
    await hub.broadcast(hub.snapshot())
    await hub.until(pilot, lambda: app.state.current is not None)
    await hub.broadcast(*messages)
    await pilot.pause()
    return panel(app)


async def test_alert_appears_with_colour_and_suggested_action(hub):
    """An open crit alert shows as a red CRIT row with age and suggested action, notified once."""
    app = create_app(hub.url, hub.control_token)
    async with app.run_test(size=SIZE) as pilot:
        out = alert(kind="stock_out", severity="crit", detail="保温杯 sold out while featured",
                    since=TS - 65, suggest=FEATURE_A1)  # fmt: skip
        p = await started(app, pilot, hub, out)
        await hub.until(pilot, lambda: p.alert_ids == ["a1"])
        assert p.row_class("a1") == "crit"
        assert p.cell_text("a1", "badge").strip() == "CRIT"
        assert "#d70000" in p.cell_style("a1", "badge")
        assert p.cell_text("a1", "kind") == "stock_out"
        assert p.cell_text("a1", "sku") == "B2"
        assert p.cell_text("a1", "age") == "1m05s"
        assert p.cell_text("a1", "action") == "→ feature A1"
        assert "sold out" in p.cell_text("a1", "detail")
        assert p.border_subtitle == "▸ 保温杯 sold out while featured"
        assert p.has_class("-crit") and "1 crit" in str(p.border_title)
        assert [n for n in notes(app) if "sold out" in n] == ["保温杯 sold out while featured"]


async def test_coupon_suggestion_is_shown_in_yuan(hub):
    """A conversion_drop's coupon suggestion reads as money and count; a warn row is amber."""
    app = create_app(hub.url, hub.control_token)
    async with app.run_test(size=SIZE) as pilot:
        drop = alert(kind="conversion_drop", sku=None, suggest=COUPON)
        p = await started(app, pilot, hub, drop)
        await hub.until(pilot, lambda: p.alert_ids == ["a1"])
        assert p.cell_text("a1", "action") == "→ coupon ¥5.00 ×100"
        assert p.cell_text("a1", "sku") == "—"
        assert p.row_class("a1") == "warn" and "#ffaf00" in p.cell_style("a1", "badge")
        assert not p.has_class("-crit")


async def test_newest_alert_is_listed_first(hub):
    """Alerts are listed newest first by `since`, whatever order they arrive in."""
    app = create_app(hub.url, hub.control_token)
    async with app.run_test(size=SIZE) as pilot:
        p = await started(
            app, pilot, hub,
            alert("old", since=TS - 300), alert("new", since=TS - 5), alert("mid", since=TS - 60),
        )  # fmt: skip
        await hub.until(pilot, lambda: len(p.alert_ids) == 3)
        assert p.alert_ids == ["new", "mid", "old"]


async def test_escalation_updates_the_same_row(hub):
    """A warn alert escalated to crit (same id, still open) changes its row in place."""
    app = create_app(hub.url, hub.control_token)
    async with app.run_test(size=SIZE) as pilot:
        p = await started(app, pilot, hub, alert(detail="5 left"))
        await hub.until(pilot, lambda: p.alert_ids == ["a1"])
        assert p.row_class("a1") == "warn" and not p.has_class("-crit")
        await hub.broadcast(alert(severity="crit", detail="1 left"))
        await hub.until(pilot, lambda: p.row_class("a1") == "crit")
        assert p.alert_ids == ["a1"] and p.row_count == 1
        assert p.cell_text("a1", "detail") == "1 left"
        assert p.has_class("-crit")
        # Opening and escalating are notified once each.
        assert [n for n in notes(app) if n in ("5 left", "1 left")] == ["5 left", "1 left"]


async def test_acked_is_dimmed_and_resolved_is_greyed_at_the_bottom(hub):
    """An acked alert stays in place dimmed; a resolved one moves greyed below the active ones."""
    app = create_app(hub.url, hub.control_token)
    async with app.run_test(size=SIZE) as pilot:
        p = await started(
            app, pilot, hub,
            alert("new", since=TS - 5, severity="crit"), alert("old", since=TS - 60),
        )  # fmt: skip
        await hub.until(pilot, lambda: p.alert_ids == ["new", "old"])
        await hub.broadcast(alert("new", since=TS - 5, severity="crit", state="acked"))
        await hub.until(pilot, lambda: p.row_class("new") == "acked-crit")
        assert "dim" in p.cell_style("new", "kind") and not p.has_class("-crit")
        assert p.alert_ids == ["new", "old"]
        await hub.broadcast(alert("new", since=TS - 5, severity="crit", state="resolved"))
        await hub.until(pilot, lambda: p.alert_ids == ["old", "new"])
        assert p.row_class("new") == "resolved"
        assert p.cell_text("new", "badge") == "resolved"
        assert "dim" in p.cell_style("new", "detail")
        assert "1 active" in str(p.border_title)


async def test_a_acknowledges_the_selected_alert(hub):
    """`a` sends `ack` with the id of the alert under the panel's cursor and notifies the result."""
    app = create_app(hub.url, hub.control_token)
    async with app.run_test(size=SIZE) as pilot:
        p = await started(
            app, pilot, hub, alert("new", since=TS - 5), alert("old", kind="viewer_drop", sku=None)
        )
        await hub.until(pilot, lambda: p.alert_ids == ["new", "old"])
        await pilot.press("l")
        assert p.has_focus
        await pilot.press("down", "a")
        await hub.until(pilot, lambda: hub.commands)
        assert hub.commands[0]["action"] == "ack"
        assert hub.commands[0]["args"] == {"alert_id": "old"}
        assert hub.commands[0]["room"] == "room-1"
        await hub.until(pilot, lambda: any("ack viewer_drop: ok" in n for n in notes(app)))


async def test_a_from_elsewhere_acknowledges_the_newest_alert(hub):
    """With the panel unfocused, the cursor goes to the newest alert, so `a` acks that one."""
    app = create_app(hub.url, hub.control_token)
    async with app.run_test(size=SIZE) as pilot:
        p = await started(app, pilot, hub, alert("old", since=TS - 60))
        await hub.until(pilot, lambda: p.alert_ids == ["old"])
        await hub.broadcast(alert("old", since=TS - 60, state="resolved"), alert("new", since=TS))
        await hub.until(pilot, lambda: p.alert_ids == ["new", "old"])
        assert not p.has_focus
        await pilot.press("a")
        await hub.until(pilot, lambda: hub.commands)
        assert hub.commands[0]["args"] == {"alert_id": "new"}


async def test_x_asks_first_and_sends_exactly_the_suggestion(hub):
    """`x` shows the exact command; `n` sends nothing, `y` sends the suggested action and args,
    then acknowledges the alert (running its action counts as acknowledging it)."""
    app = create_app(hub.url, hub.control_token)
    async with app.run_test(size=SIZE) as pilot:
        p = await started(app, pilot, hub, alert(kind="conversion_drop", sku=None, suggest=COUPON))
        await hub.until(pilot, lambda: p.alert_ids == ["a1"])
        await pilot.press("x")
        await hub.until(pilot, lambda: isinstance(app.screen, ConfirmCommand))
        shown = str(app.screen.query_one("#confirm-wire").render())
        assert "action: coupon" in shown
        assert '"discount_cents": 500, "count": 100' in shown
        assert "room-1" in shown
        await pilot.press("n")
        await hub.until(pilot, lambda: not isinstance(app.screen, ConfirmCommand))
        await pilot.pause(0.1)
        assert hub.commands == []
        await pilot.press("x")
        await hub.until(pilot, lambda: isinstance(app.screen, ConfirmCommand))
        await pilot.press("y")
        await hub.until(pilot, lambda: len(hub.commands) == 2)
        assert hub.commands[0]["action"] == "coupon"
        assert hub.commands[0]["args"] == COUPON["args"]
        assert hub.commands[1]["action"] == "ack"
        assert hub.commands[1]["args"] == {"alert_id": "a1"}
        await hub.until(pilot, lambda: any("coupon ¥5.00 ×100: ok" in n for n in notes(app)))


async def test_enter_on_a_row_asks_then_sends_on_enter(hub):
    """Enter on a focused alert row opens the confirmation; escape cancels, enter sends."""
    app = create_app(hub.url, hub.control_token)
    async with app.run_test(size=SIZE) as pilot:
        p = await started(app, pilot, hub, alert(kind="stock_out", suggest=FEATURE_A1))
        await hub.until(pilot, lambda: p.alert_ids == ["a1"])
        await pilot.press("l", "enter")
        await hub.until(pilot, lambda: isinstance(app.screen, ConfirmCommand))
        await pilot.press("escape")
        await hub.until(pilot, lambda: not isinstance(app.screen, ConfirmCommand))
        assert hub.commands == []
        await pilot.press("enter")
        await hub.until(pilot, lambda: isinstance(app.screen, ConfirmCommand))
        await pilot.press("enter")
        await hub.until(pilot, lambda: len(hub.commands) == 2)
        assert [(c["action"], c["args"]) for c in hub.commands] == [
            ("feature", {"sku": "A1"}),
            ("ack", {"alert_id": "a1"}),
        ]


async def test_x_without_a_suggestion_says_so(hub):
    """`x` on an alert with no suggestion opens nothing, sends nothing and says why."""
    app = create_app(hub.url, hub.control_token)
    async with app.run_test(size=SIZE) as pilot:
        p = await started(app, pilot, hub, alert(kind="viewer_drop", sku=None, suggest=None))
        await hub.until(pilot, lambda: p.alert_ids == ["a1"])
        assert p.cell_text("a1", "action") == "—"
        await pilot.press("x")
        await pilot.pause(0.1)
        assert not isinstance(app.screen, ConfirmCommand)
        assert hub.commands == []
        assert any("viewer_drop has no suggested action" in n for n in notes(app))


async def test_watch_role_refuses_ack_and_action(hub):
    """On a watch console `a`, `x` and enter on a row send nothing and say it is read-only."""
    app = create_app(hub.url, hub.watch_token, role="watch")
    async with app.run_test(size=SIZE) as pilot:
        p = await started(app, pilot, hub, alert(suggest=FEATURE_A1))
        await hub.until(pilot, lambda: p.alert_ids == ["a1"])
        before = len(notes(app))
        await pilot.press("a", "x", "l", "enter")
        await pilot.pause(0.1)
        assert not isinstance(app.screen, ConfirmCommand)
        assert hub.commands == []
        refusals = notes(app)[before:]
        assert len(refusals) == 3 and all("read-only screen" in n for n in refusals)


async def test_snapshot_alerts_fill_the_panel_on_connect(hub):
    """Alerts listed in the first snapshot populate the panel, aged by the snapshot's clock."""
    app = create_app(hub.url, hub.control_token)
    async with app.run_test(size=SIZE) as pilot:
        await hub.wait_connected()
        listed = [
            {k: v for k, v in alert("b", since=TS - 10, severity="crit").items() if k != "op"},
            {k: v for k, v in alert("a", since=TS - 125, state="acked").items() if k != "op"},
        ]
        await hub.broadcast(hub.snapshot(alerts=listed))
        p = panel(app)
        await hub.until(pilot, lambda: p.alert_ids == ["b", "a"])
        assert p.row_class("b") == "crit" and p.row_class("a") == "acked-warn"
        assert p.cell_text("a", "age") == "2m05s"
        await hub.broadcast(hub.snapshot(ts=TS + 10, alerts=listed))
        await hub.until(pilot, lambda: p.cell_text("b", "age") == "20s")


async def test_older_snapshot_does_not_undo_an_alert_message(hub):
    """A snapshot still listing an alert as open does not undo the ack message that came first."""
    app = create_app(hub.url, hub.control_token)
    async with app.run_test(size=SIZE) as pilot:
        p = await started(app, pilot, hub, alert(state="acked"))
        await hub.until(pilot, lambda: p.alert_ids == ["a1"])
        stale = {k: v for k, v in alert().items() if k != "op"}
        await hub.broadcast(hub.snapshot(ts=TS + 1, alerts=[stale]))
        await hub.until(pilot, lambda: app.state.view.snapshot["ts"] == TS + 1)
        await pilot.pause()
        assert p.row_class("a1") == "acked-warn"


async def test_help_lists_the_alert_keys(hub):
    """The help screen lists `a`, `x` and `l` with the other keys."""
    app = create_app(hub.url, hub.control_token)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("question_mark")
        await hub.until(pilot, lambda: isinstance(app.screen, HelpScreen))
        listed = app.screen.listed_keys
        for key in ("a", "x", "l", "enter"):
            assert key in listed


# -- against the real hub, fed by the sim ----------------------------------------------------

hub_module = pytest.importorskip("livemon.hub")
config_module = pytest.importorskip("livemon.config")
sim_module = pytest.importorskip("plugins.sim")
TOKENS = {"ingest": "ingest-t", "watch": "watch-t", "control": "control-t"}


async def test_sim_stockout_reaches_the_panel_on_the_real_hub(tmp_path):
    """A sim `stockout` run through the real hub shows a stock_out alert with a suggestion."""
    hub = hub_module.Hub(config_module.load(), tmp_path, tokens=TOKENS)
    await hub.start(port=0)
    try:
        app = create_app(hub.url(), TOKENS["control"])
        async with app.run_test(size=SIZE) as pilot:
            # The sim starts only once the console is live: at speed max the stock-out
            # can be raised and cleared before a late console's first snapshot.
            await pilot_until(pilot, lambda: app.client.state.status == "live")
            sim = sim_module.SimAdapter(room="room-1", scenario="stockout", speed="max",
                                        duration=900, incident_at=120, seed=7)  # fmt: skip
            feed = asyncio.create_task(hub.run_adapter(sim))
            p = panel(app)

            def stock_out() -> list[dict[str, Any]]:
                return [a for a in app.state.rooms.get("room-1", _NoRoom).alerts.values()
                        if a.get("kind") == "stock_out"]  # fmt: skip

            await pilot_until(pilot, lambda: stock_out() and stock_out()[0]["id"] in p.alert_ids)
            found = stock_out()[0]
            assert p.cell_text(found["id"], "kind") == "stock_out"
            assert p.cell_text(found["id"], "sku") == found["sku"]
            if found.get("suggest"):
                assert p.cell_text(found["id"], "action").startswith("→ ")
            feed.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await feed
    finally:
        await hub.stop()


class _NoRoom:
    alerts: dict[str, dict[str, Any]] = {}


async def pilot_until(pilot, condition, timeout: float = 30.0) -> None:
    """Let the app run until `condition()` holds, failing after `timeout` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        assert loop.time() < deadline, "condition not met in time"
        await pilot.pause(0.05)


async def test_warn_alerts_of_other_rooms_toast_at_most_once_an_interval(hub):
    """Warn alerts of rooms not on screen toast once an interval, the next toast counting the
    ones not shown; crit ones and the shown room's always toast (a hub of hundreds of rooms
    must not stack toasts over the screen)."""
    app = create_app(hub.url, hub.control_token)
    async with app.run_test(size=SIZE) as pilot:
        app.OTHER_ROOMS_NOTICE_S = 0.5
        others = [alert(f"w{i}", room="room-2", sku=f"S{i}", detail=f"other {i}") for i in range(4)]
        await started(app, pilot, hub, *others)
        await hub.until(pilot, lambda: len(app.state.rooms["room-2"].alerts) == 4)
        assert [n for n in notes(app) if "other" in n] == ["other 0"]
        await hub.broadcast(alert("c1", room="room-2", severity="crit", detail="other crit"),
                            alert("here", detail="this room"))  # fmt: skip
        await hub.until(pilot, lambda: "this room" in notes(app))
        assert "other crit" in notes(app)
        await asyncio.sleep(0.6)
        await hub.broadcast(alert("w9", room="room-2", sku="S9", detail="other 9"))
        await hub.until(pilot, lambda: any(n.startswith("other 9") for n in notes(app)))
        shown = next(n for n in notes(app) if n.startswith("other 9"))
        assert "+3 more in other rooms" in shown


async def test_at_80x24_the_badge_and_the_age_are_shown_whole(hub):
    """On the 80-column panel a resolved alert's badge reads "resolved" and an age of 25
    minutes "25m06s" (they were cut to "resolv" and "25m06")."""
    app = create_app(hub.url, hub.control_token)
    async with app.run_test(size=(80, 24)) as pilot:
        p = await started(app, pilot, hub, alert("old", since=TS - 1506, state="resolved"))
        await hub.until(pilot, lambda: p.alert_ids == ["old"])
        await pilot.pause(0.1)
        shown = ["".join(s.text for s in p.render_line(y)) for y in range(p.size.height)]
        row = next(line for line in shown if "stock_low" in line)
        assert "resolved" in row and "25m06s" in row, row
