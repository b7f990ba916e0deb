"""The overview screen: 20 sim rooms on one real hub, keys against the fake hub, a baseline."""

from __future__ import annotations

import asyncio
import contextlib

from livemon import config
from livemon.hub import Hub
from livemon.ui import create_app
from livemon.ui.client import ConnectionState
from livemon.ui.messages import AlertReceived, ConnectionChanged, SnapshotReceived, WelcomeReceived
from livemon.ui.widgets.status_bar import StatusBar
from plugins.sim import SimAdapter

from .conftest import TS, WELCOME
from .screens_data import ALERTS, busy_snapshot

TOKENS = {"ingest": "ingest-token-0123456", "watch": "watch-token-01234567",
          "control": "control-token-012345"}  # fmt: skip
ROOMS = [f"room-{i:02d}" for i in range(1, 21)]


async def test_twenty_sim_rooms_open_on_the_overview(tmp_path):
    """A hub carrying 20 sim rooms starts the console on the overview, one row per room with
    its own numbers; enter on a row opens that room on the dashboard."""
    hub = Hub(config.load(), tmp_path, tokens=TOKENS)
    await hub.start("127.0.0.1", 0)
    feeds = [
        asyncio.create_task(hub.run_adapter(SimAdapter(
            room=room, seed=i, speed="max", duration=120, viewers=200 + 10 * i),
            name=f"sim-{room}"))  # one feed name per room: each has its own seq
        for i, room in enumerate(ROOMS)
    ]  # fmt: skip
    try:
        await asyncio.wait_for(asyncio.gather(*feeds), 60)
        assert sorted(hub.engine.rooms) == ROOMS
        app = create_app(hub.url(), TOKENS["control"])
        async with app.run_test(size=(160, 50)) as pilot:
            for _ in range(400):
                if app.screen is app.overview and len(app.overview._shown) == 20:
                    break
                await pilot.pause(0.05)
            overview = app.overview
            assert app.screen is overview and len(overview._shown) == 20
            for room in ROOMS:
                online = hub.engine.rooms[room].online
                assert overview.cell_text(room, "online") == f"{online:,}"
            third = overview.table.ordered_rows[2].key.value
            await pilot.press("down", "down", "enter")
            for _ in range(100):
                if app.screen is app.dashboard and app.state.current == third:
                    break
                await pilot.pause(0.05)
            assert app.screen is app.dashboard and app.state.current == third
            gmv = hub.engine.rooms[third].gmv_cents
            assert app.dashboard.tile("gmv").value_text == f"¥{gmv // 100:,}.{gmv % 100:02d}"
    finally:
        for feed in feeds:
            feed.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await feed
        await hub.stop()


async def test_o_toggles_overview_and_crit_shows_on_every_screen(hub):
    """`o` opens the overview and goes back; a crit alert in another room shows in the status
    bar of the dashboard, the overview and the stage screen."""
    app = create_app(hub.url, hub.control_token)
    async with app.run_test(size=(160, 50)) as pilot:
        await hub.wait_connected()
        await hub.broadcast(hub.snapshot(), hub.snapshot(room="room-2", online=7))
        await hub.until(pilot, lambda: len(app.state.rooms) == 2)
        assert app.screen is app.dashboard  # the fake hub's welcome names no rooms
        await pilot.press("o")
        await hub.until(pilot, lambda: app.screen is app.overview)
        await hub.until(pilot, lambda: "room-2" in app.overview._shown)
        assert app.overview.cell_text("room-2", "online") == "7"
        await hub.broadcast({"op": "alert", **ALERTS[2], "room": "room-2"})
        await hub.until(pilot, lambda: "crit" in app.overview.cell_text("room-2", "alerts"))
        for screen_key in ("o", "s"):
            bar = app.screen.query_one(StatusBar)
            await hub.until(pilot, lambda b=bar: "room-2 stock_out 23439" in b.render_text().plain)
            await pilot.press(screen_key)
            await pilot.pause()
        assert app.screen is app.stage
        bar = app.stage.query_one(StatusBar)
        assert "room-2 stock_out 23439" in bar.render_text().plain
        await pilot.press("s")
        await hub.until(pilot, lambda: app.screen is app.dashboard)
        assert app.state.current == "room-1"


def test_overview_baseline(snap_compare, utc):
    """The overview of five rooms (targets, alerts, hosts) matches its baseline at 120x40."""
    app = create_app("ws://127.0.0.1:8765", "token")
    app.connect = False

    async def run_before(pilot) -> None:
        app.post_message(ConnectionChanged(ConnectionState("live", app.url)))
        rooms = [f"room-{i}" for i in range(1, 6)]
        app.post_message(WelcomeReceived({**WELCOME, "rooms": rooms}))
        for i, room in enumerate(rooms):
            snap = busy_snapshot(room=room, ts=TS)
            snap["metrics"] = {**snap["metrics"], "online": 1000 * (i + 1),
                               "gmv_cents": 1_234_500 * (i + 1)}  # fmt: skip
            snap["alerts"] = []
            if i % 2:
                snap["targets"] = []
                snap["host"] = None
            app.post_message(SnapshotReceived(snap))
        app.post_message(AlertReceived({"op": "alert", **ALERTS[0], "room": "room-3"}))
        app.post_message(AlertReceived({"op": "alert", **ALERTS[1], "room": "room-4"}))
        await pilot.pause()
        await pilot.pause(0.6)

    assert snap_compare(app, terminal_size=(120, 40), run_before=run_before)


async def sixty_rooms_overview(app, pilot, hub, prefix: str) -> None:
    """Snapshots of rooms ``{prefix}-00`` to ``{prefix}-59``, then the overview with all 60."""
    await hub.wait_connected()
    await hub.broadcast(*[hub.snapshot(room=f"{prefix}-{i:02d}") for i in range(60)])
    await hub.until(pilot, lambda: len(app.state.rooms) == 60)
    await pilot.press("o")
    await hub.until(pilot, lambda: len(app.overview._shown) == 60)


async def test_home_and_end_go_to_the_first_and_last_room(hub):
    """On the overview, end then enter opens the last room and home then enter the first (a
    plain table's home and end go to the first and last column instead)."""
    app = create_app(hub.url, hub.control_token)
    async with app.run_test(size=(160, 50)) as pilot:
        await sixty_rooms_overview(app, pilot, hub, "room")
        await pilot.press("end", "enter")
        await hub.until(pilot, lambda: app.screen is app.dashboard)
        assert app.state.current == "room-59"
        await pilot.press("o", "home", "enter")
        await hub.until(pilot, lambda: app.screen is app.dashboard)
        assert app.state.current == "room-00"


async def test_slash_finds_rooms_by_name(hub):
    """`/` and a text narrow the overview to the rooms whose name holds it (any case); enter
    goes to the list, where enter opens the room under the cursor; escape shows every room."""
    app = create_app(hub.url, hub.control_token)
    async with app.run_test(size=(160, 50)) as pilot:
        await sixty_rooms_overview(app, pilot, hub, "Room")
        await pilot.press("slash", "r", "o", "o", "m", "-", "4")
        await hub.until(pilot, lambda: len(app.overview._shown) == 10)
        assert sorted(app.overview._shown) == [f"Room-4{i}" for i in range(10)]
        assert app.overview.table.row_count == 10
        title = app.overview.query_one("#overview-title").render()
        assert "'room-4': 10 of 60" in str(title)
        await pilot.press("enter", "down", "down", "enter")
        await hub.until(pilot, lambda: app.screen is app.dashboard)
        assert app.state.current == "Room-42"
        await pilot.press("o", "slash", "escape")
        await hub.until(pilot, lambda: len(app.overview._shown) == 60)
        assert app.screen is app.overview and app.overview.table.row_count == 60
