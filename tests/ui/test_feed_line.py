"""The console's feed line: each feed of the room and its state, from a real hub."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from typing import Any

from livemon import config
from livemon.adapters.base import Adapter
from livemon.hub import Hub
from livemon.ui import create_app
from livemon.ui.widgets.feed_line import FeedLine
from plugins.webhook import WebhookAdapter

TOKENS = {"ingest": "ingest-token-0001", "watch": "watch-token-00001",
          "control": "control-token-001"}  # fmt: skip


class VideoFeed(Adapter):
    """A video-platform feed the test drives: one batch, then the states it is told."""

    name = "video"
    description = "test video feed"

    def __init__(self, room: str) -> None:
        super().__init__(room)
        self.states: asyncio.Queue[tuple[str, str] | None] = asyncio.Queue()

    async def batches(self) -> AsyncIterator[list[dict[str, Any]]]:
        now = time.time()
        self.set_feed_state("up")
        yield [{"type": "live", "room": self.room, "ts": now, "on": True},
               {"type": "like", "room": self.room, "ts": now, "n": 3}]  # fmt: skip
        while (state := await self.states.get()) is not None:
            self.set_feed_state(*state)
            yield [{"type": "like", "room": self.room, "ts": time.time(), "n": 1}]


async def until(pilot, check, what: str) -> None:
    for _ in range(400):
        if check():
            return
        await pilot.pause(0.02)
    raise AssertionError(f"timed out waiting for {what}")


async def test_the_console_shows_each_feed_of_the_room(tmp_path) -> None:
    """A video feed and the shop webhook in one room both show; a feed going down shows why."""
    hub = Hub(config.load(), tmp_path, tokens=TOKENS)
    await hub.start("127.0.0.1", 0)
    video = VideoFeed("shop-1")
    shop = WebhookAdapter(room="shop-1", port=0, secret="s3cret")
    tasks = [asyncio.create_task(hub.run_adapter(a)) for a in (video, shop)]
    try:
        app = create_app(hub.url(), TOKENS["control"])
        async with app.run_test(size=(120, 40)) as pilot:
            line = app.dashboard.query_one(FeedLine)

            def shown() -> str:
                return line.render().plain if line.has_class("-shown") else ""

            await until(pilot, lambda: "● video up" in shown() and "● webhook up" in shown(),
                        "both feeds up")  # fmt: skip
            assert line.display and not line.has_class("-down")
            await video.states.put(("down", "no heart-beat reply for 30 s"))
            await until(pilot, lambda: "✕ video down" in shown(), "the video feed down")
            assert "(no heart-beat reply for 30 s, since " in shown()
            assert "● webhook up" in shown() and line.has_class("-down")
            await video.states.put(("up", ""))
            await until(pilot, lambda: "● video up" in shown(), "the video feed back up")
            assert not line.has_class("-down")
    finally:
        for task in tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await hub.stop()


async def test_no_feeds_known_takes_no_room() -> None:
    """Without feeds in the snapshot (an older hub, a replay) the line is not shown."""
    from textual.app import App

    class One(App[None]):
        def compose(self):
            yield FeedLine()

    app = One()
    async with app.run_test(size=(80, 10)):
        line = app.query_one(FeedLine)
        line.show(None)
        assert not line.has_class("-shown")
        line.show([{"name": "douyin", "state": "connecting", "detail": "signing"}])
        assert line.has_class("-shown")
        assert "◌ douyin connecting (signing)" in line.render().plain
