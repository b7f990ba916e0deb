"""A real feed in the hub: quiet is healthy, an outage shows adapter_down, nothing is lost.

The douyin adapter runs inside a hub against the local Douyin stand-in
(real protobuf + gzip frames over a real socket). The room is quiet for a
while (heart-beat replies only), then the link drops and the endpoint answers
503 for a second, then the feed resumes at its cursor.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from pathlib import Path
from typing import Any

from livemon import config
from livemon.hub import Hub
from plugins.douyin import DouyinAdapter
from tests.plugins.douyin_server import Behaviour, DouyinStandIn, chat

TOKENS = {
    "ingest": "ingest-token-0001",
    "watch": "watch-token-00001",
    "control": "control-token-001",
}
SILENCE_S = 0.3
WAIT_S = 10.0
COMMENTS = 30


def down_alerts(hub: Hub, room: str) -> list[dict[str, Any]]:
    if room not in hub.engine.rooms:
        return []
    return [a for a in hub.snapshot(room)["alerts"] if a["kind"] == "adapter_down"]


def feed_state(hub: Hub, room: str) -> str | None:
    if room not in hub.engine.rooms:
        return None
    return {f["name"]: f["state"] for f in hub.snapshot(room)["feeds"]}.get("douyin")


async def until(hub: Hub, check, timeout: float = WAIT_S) -> None:
    """Flush the hub until ``check()`` holds, or fail at the deadline."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not check():
        assert loop.time() < deadline, "condition not reached in time"
        await hub.flush()
        await asyncio.sleep(0.02)


async def test_quiet_is_healthy_an_outage_is_adapter_down_and_nothing_is_lost(
    tmp_path: Path,
) -> None:
    """Quiet with heart-beats: no alert; link out for 1 s: adapter_down; every comment once."""
    cfg = config.load()
    cfg["detect"]["adapter_down"]["silence_s"] = SILENCE_S
    hub = Hub(cfg, tmp_path, tokens=TOKENS)
    await hub.start("127.0.0.1", 0)
    script = [chat(k, f"u{k % 3}", f"c{k}") for k in range(1, COMMENTS + 1)]
    quiet = asyncio.Event()
    how = Behaviour(per_frame=5, quiet_until=quiet, drop_after={1: 2}, unavailable_s=1.0)
    try:
        async with DouyinStandIn(script, how) as server:
            adapter = DouyinAdapter(room="dy", room_id=7001, server=server.url, heartbeat_s=0.1,
                                    timeout_s=0.5, retry_s=0.05, retry_max_s=0.2)  # fmt: skip
            task = asyncio.create_task(hub.run_adapter(adapter))
            try:
                await until(hub, lambda: feed_state(hub, "dy") == "up")
                loop = asyncio.get_running_loop()
                quiet_from = loop.time()
                while loop.time() - quiet_from < 3 * SILENCE_S:  # quiet for 3 silence limits
                    await hub.flush()
                    assert down_alerts(hub, "dy") == []
                    await asyncio.sleep(0.1)
                quiet.set()  # the frames flow, then the link drops
                await until(hub, lambda: down_alerts(hub, "dy") != [])
                (alert,) = down_alerts(hub, "dy")
                # Through the outage the adapter alternates between a failed attempt
                # (down) and the next one (connecting): the alert names whichever holds.
                assert alert["state"] == "open"
                assert re.search(r"feed douyin (down|connecting)", alert["detail"]), alert["detail"]
                await asyncio.wait_for(task, WAIT_S)
            finally:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        assert server.unavailable_answers >= 2 and server.connections == 2
        await hub.flush()
        metrics = hub.snapshot("dy")["metrics"]
        assert metrics["comments"] == COMMENTS
        assert adapter.dropped > 0  # the overlap the endpoint resent was dropped, not counted
    finally:
        await hub.stop()
