"""The stage screen alone (`livemon stage`): Pilot tests against the fake hub, and baselines."""

from __future__ import annotations

import asyncio

import pytest

from livemon import config
from livemon.hub import Hub
from livemon.ui.client import ConnectionState
from livemon.ui.messages import (
    CommentsReceived,
    ConnectionChanged,
    SnapshotReceived,
    WelcomeReceived,
)
from livemon.ui.stage_app import StageApp
from livemon.ui.widgets.status_bar import StatusBar
from plugins.sim import SimAdapter

from .conftest import TS
from .screens_data import ALERTS, WELCOME, busy_snapshot

REAL_TOKENS = {"ingest": "ingest-token-0123456", "watch": "watch-token-01234567",
               "control": "control-token-012345"}  # fmt: skip

QUESTIONS = {
    "op": "comments",
    "room": "room-1",
    "items": [
        {"ts": TS - 50, "user": "a", "text": "多少钱?", "tags": ["price"]},
        {"ts": TS - 40, "user": "b", "text": "link please", "tags": ["link"]},
        {"ts": TS - 30, "user": "c", "text": "how much is the scarf", "tags": ["price"]},
        {"ts": TS - 20, "user": "d", "text": "nice", "tags": []},
        {"ts": TS - 10, "user": "e", "text": "what size?", "tags": ["size"]},
        {"ts": TS - 5, "user": "f", "text": "link?", "tags": ["link"]},
        {"ts": TS - 2, "user": "g", "text": "价格多少", "tags": ["price"]},
    ],
}
WELCOME_Q = {**WELCOME, "tags": {"question": ["price", "link", "size"], "tech": ["lag"]}}


async def started(app, pilot, hub, *messages):
    await hub.wait_connected()
    await hub.broadcast(*messages)
    await hub.until(pilot, lambda: app.state.current is not None)
    await pilot.pause()


async def test_stage_shows_numbers_product_countdown_and_questions(hub):
    """`livemon stage` shows online and GMV big, the featured product's stock with a
    countdown (it is under the hub's low floor), and the two most asked questions."""
    app = StageApp(hub.url, hub.watch_token)
    assert app.client.url.endswith("/watch")
    async with app.run_test(size=(120, 40)) as pilot:
        await started(app, pilot, hub, hub.snapshot(), QUESTIONS)
        stage = app.stage
        assert app.screen is stage
        await hub.until(pilot, lambda: stage.digits_text("online") == "12,345")
        assert stage.digits_text("gmv") == "123,457"
        assert stage.query_one("#stage-gmv-box").border_subtitle == "¥123,456.78"
        assert stage.digits_text("stock") == "5"
        assert stage.has_class("-low") and stage.digits_text("eta") == "1:15"
        await hub.until(pilot, lambda: "price ×3" in stage.questions_text)
        lines = stage.questions_text.splitlines()
        assert lines[0].startswith("1. price ×3") and "价格多少" in lines[0]
        assert lines[1].startswith("2. link ×2") and len(lines) == 2


async def test_stage_countdown_only_when_low(hub):
    """A featured product with plenty of stock shows no countdown."""
    app = StageApp(hub.url, hub.watch_token)
    async with app.run_test(size=(120, 40)) as pilot:
        await started(app, pilot, hub, hub.snapshot(featured="A1"))
        await hub.until(pilot, lambda: app.stage.digits_text("stock") == "42")
        assert not app.stage.has_class("-low")


async def test_stage_banner_on_critical_alert_and_shows_the_chosen_room(hub):
    """With --room the stage shows that room; a crit alert there puts up a full-width banner,
    which goes once the alert is acknowledged."""
    app = StageApp(hub.url, hub.watch_token, room="room-2")
    async with app.run_test(size=(120, 40)) as pilot:
        await hub.wait_connected()
        await hub.broadcast(hub.snapshot(), hub.snapshot(room="room-2", online=77))
        await hub.until(pilot, lambda: app.state.current == "room-2")
        await hub.until(pilot, lambda: app.stage.digits_text("online") == "77")
        crit = {"op": "alert", **ALERTS[2], "room": "room-2"}
        await hub.broadcast(crit)
        await hub.until(pilot, lambda: "stock_out 23439" in app.stage.banner_text)
        assert not app._notifications  # no toast over the numbers: the banner says it
        banner = app.stage.query_one("#stage-banner")
        assert banner.outer_size.width >= app.stage.size.width - 2
        await hub.broadcast({**crit, "state": "acked"})
        await hub.until(pilot, lambda: app.stage.banner_text == "")


async def test_stage_has_no_controls(hub):
    """No key on the stage sends a command or leaves the stage; q quits."""
    app = StageApp(hub.url, hub.control_token)  # even a control token gets a watch client
    async with app.run_test(size=(120, 40)) as pilot:
        await started(app, pilot, hub, hub.snapshot())
        await pilot.press("f", "u", "c", "r", "m", "a", "x", "h", "p", "s", "escape", "o")
        await pilot.press("question_mark", "enter", "left_square_bracket")
        await pilot.pause(0.1)
        assert app.screen is app.stage
        assert hub.commands == []
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0


def _feed(app):
    async def run_before(pilot) -> None:
        app.post_message(ConnectionChanged(ConnectionState("live", app.url)))
        app.post_message(WelcomeReceived(WELCOME_Q))
        app.post_message(SnapshotReceived(busy_snapshot(featured="85123A")))
        app.post_message(CommentsReceived(QUESTIONS))
        await pilot.pause()
        app.post_message(SnapshotReceived(busy_snapshot(featured="85123A", ts=TS + 1)))
        await pilot.pause()
        await pilot.pause()

    return run_before


@pytest.mark.parametrize("size", [(80, 24), (200, 60)], ids=["80x24", "200x60"])
def test_stage_baseline(snap_compare, utc, size):
    """The stage screen of a busy room (a crit alert, a low featured product, questions and
    targets) matches its baseline at 80x24 and 200x60."""
    app = StageApp("ws://127.0.0.1:8765", "token", connect=False)
    assert snap_compare(app, terminal_size=size, run_before=_feed(app))


async def real_hub_stage(tmp_path, room: str | None, feed: bool):
    """A real hub (with 60 s of a sim room-1 when ``feed``) and a stage app on it."""
    hub = Hub(config.load(), tmp_path, tokens=REAL_TOKENS)
    await hub.start("127.0.0.1", 0)
    if feed:
        sim = SimAdapter(room="room-1", seed=3, speed="max", duration=60, viewers=100)
        await asyncio.wait_for(hub.run_adapter(sim), 30)
    return hub, StageApp(hub.url(), REAL_TOKENS["watch"], room=room)


async def status_saying(app, pilot, words: str) -> str:
    """The stage's status bar text once it holds ``words`` (or after 10 s)."""
    bar = app.stage.query_one(StatusBar)
    for _ in range(200):
        if words in bar.render_text().plain:
            break
        await pilot.pause(0.05)
    return bar.render_text().plain


async def test_stage_for_a_room_the_hub_lacks_says_which_rooms_it_has(tmp_path):
    """`livemon stage --room` naming a room the real hub does not carry says so in the status
    bar, with the rooms it does carry, instead of a blank screen that looks connected."""
    hub, app = await real_hub_stage(tmp_path, "room-9", feed=True)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            text = await status_saying(app, pilot, "not on this hub")
            assert "room room-9 (not on this hub yet; it carries room-1)" in text, text
            assert app.state.current is None  # it still shows no other room's numbers
    finally:
        await hub.stop()


async def test_stage_on_a_hub_with_no_room_yet_says_it_waits(tmp_path):
    """`livemon stage` on a real hub that carries no room yet says it waits for the first one."""
    hub, app = await real_hub_stage(tmp_path, None, feed=False)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            text = await status_saying(app, pilot, "waiting")
            assert "room — (waiting for the hub's first room)" in text, text
    finally:
        await hub.stop()
