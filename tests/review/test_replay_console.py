"""The replay console, driven by Pilot on a real hub playing a real recording: it says it is a
replay, hides the command keys, pauses, changes speed, seeks, goes to a time, lists and jumps
to bookmarks, and says when the recording has ended."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from livemon import config, keyframes
from livemon.player import Player
from livemon.ui.replay_app import ReplayApp
from livemon.ui.replay_bar import ReplayBar
from livemon.ui.widgets.key_bar import KeyBar
from livemon.ui.widgets.status_bar import StatusBar
from tests.review.conftest import ROOM, Live

WAIT_S = 15.0


async def until(pilot, check: Callable[[], bool], what: str) -> None:
    """Let the app run until ``check()`` holds (deadline ``WAIT_S``)."""

    async def loop() -> None:
        while not check():
            await pilot.pause(0.05)

    try:
        await asyncio.wait_for(loop(), WAIT_S)
    except TimeoutError:
        raise AssertionError(f"timed out waiting for {what}") from None


async def test_replay_console_keys(live: Live) -> None:
    """Space, + and -, [ and ], g, b with a number, and the end of the recording, as a user
    meets them."""
    index = keyframes.build(live.log, ROOM, config.load())
    hub, scratch = keyframes.scratch_hub(config.load())
    await hub.start("127.0.0.1", 0)
    player = Player(hub, live.log, ROOM, 60.0, index)
    feed = asyncio.create_task(player.run(stay=True))
    app = ReplayApp(hub.url(), hub.tokens["watch"], player, "test")
    try:
        async with app.run_test(size=(150, 42)) as pilot:
            await until(pilot, lambda: app.view is not None and app.view.snapshot, "a snapshot")
            screen = app.dashboard
            bar = screen.query_one(ReplayBar)
            line = bar.state_text().plain
            assert line.startswith("▶ replay 60x") and "● live" not in line
            assert not screen.query_one(StatusBar).display
            keys = screen.query_one(KeyBar).render_keys().plain
            for command in ("c coupon", "f feature", "r restock", "a ack alert", "m bookmark"):
                assert command not in keys
            assert "pause/play" in keys and "go to time" in keys

            await pilot.press("space")
            assert player.paused and "paused" in bar.state_text().plain
            await pilot.press("plus")
            assert player.speed is None  # 60x -> max
            await pilot.press("minus", "minus")
            assert player.speed == 10.0

            await pilot.press("g")
            await pilot.press(*"+25:00", "enter")
            target = index.first_ts + 25 * 60
            await until(pilot, lambda: target <= player.clock < target + 2, "go to +25:00")

            before = player.clock
            await pilot.press("right_square_bracket")
            await until(pilot, lambda: player.clock >= before + 59, "a seek of a minute")
            await pilot.press("left_square_bracket", "left_square_bracket")
            await until(pilot, lambda: player.clock <= before - 59, "two seeks back")

            await pilot.press("b")
            await pilot.pause(0.2)
            listed = [str(w.render()) for w in app.screen.query(".bookmark")]
            assert len(listed) == 2 and "warm-up over" in listed[0]
            await pilot.press("1")
            mark = index.bookmarks[0].ts
            await until(pilot, lambda: mark <= player.clock < mark + 2, "the first bookmark")
            await until(pilot, lambda: app.view.snapshot.get("ts", 0) < mark + 30, "redraw")

            player.set_speed(None)
            await pilot.press("space")
            await until(pilot, lambda: player.ended, "the end of the recording")
            await until(pilot, lambda: "replay ended" in bar.state_text().plain, "'ended'")
            await pilot.press("m")  # a command key: says why nothing is sent
            await pilot.pause(0.1)
    finally:
        feed.cancel()
        await asyncio.gather(feed, return_exceptions=True)
        await hub.stop()
        scratch.cleanup()


async def test_replay_bar_keeps_its_progress_line_at_80x24(live: Live) -> None:
    """At 80x24 the replay bar's first line is cut, not wrapped, so its second line (the
    progress bar with the playhead and the alert and command markers) stays on screen."""
    index = keyframes.build(live.log, ROOM, config.load())
    hub, scratch = keyframes.scratch_hub(config.load())
    await hub.start("127.0.0.1", 0)
    player = Player(hub, live.log, ROOM, 10.0, index)
    feed = asyncio.create_task(player.run(stay=True))
    app = ReplayApp(hub.url(), hub.tokens["watch"], player, "a-long-session-title · room-1")
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await until(pilot, lambda: app.view is not None and app.view.snapshot, "a snapshot")
            bar = app.dashboard.query_one(ReplayBar)
            await pilot.pause(0.3)

            def shown(y: int) -> str:
                return "".join(segment.text for segment in bar.render_line(y))

            assert "▶ replay 10x" in shown(0)
            progress = shown(1)
            assert "●" in progress and "▲" in progress and "◆" in progress, progress
    finally:
        feed.cancel()
        await asyncio.gather(feed, return_exceptions=True)
        await hub.stop()
        scratch.cleanup()


async def test_replay_stage_and_overview_say_replay_not_live(live: Live) -> None:
    """On a replay the stage screen (s) and the overview (o) show the replay bar, as the
    dashboard does: none of its screens says "● live"."""
    index = keyframes.build(live.log, ROOM, config.load())
    hub, scratch = keyframes.scratch_hub(config.load())
    await hub.start("127.0.0.1", 0)
    player = Player(hub, live.log, ROOM, 10.0, index)
    feed = asyncio.create_task(player.run(stay=True))
    app = ReplayApp(hub.url(), hub.tokens["watch"], player, "test")
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await until(pilot, lambda: app.view is not None and app.view.snapshot, "a snapshot")
            for key, screen in (("s", app.stage), ("s", app.dashboard), ("o", app.overview)):
                await pilot.press(key)
                await until(pilot, lambda screen=screen: app.screen is screen, f"screen {key}")
                if screen is app.dashboard:
                    continue
                await pilot.pause(0.3)
                bars = [b for b in screen.query(ReplayBar) if b.display]
                assert bars and bars[0].state_text().plain.startswith("▶ replay 10x"), key
                statuses = [s for s in screen.query(StatusBar) if s.display]
                assert not statuses, f"a live status line on the {key} screen"
    finally:
        feed.cancel()
        await asyncio.gather(feed, return_exceptions=True)
        await hub.stop()
        scratch.cleanup()
