"""Feed states: the hub learns each feed's state, shows it per room, and raises adapter_down."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

import pytest

from livemon import config
from livemon.adapters.base import Adapter, CommandRefused
from livemon.adapters.remote import RemoteRunner
from livemon.hub import Hub

TOKENS = {"ingest": "ti", "watch": "tw", "control": "tc"}
T0 = 1_767_225_600.0
SILENCE_S = 0.2
WAIT_S = 5.0


@pytest.fixture
async def hub(tmp_path):
    """A hub whose adapter_down fires after 0.2 s of trouble, so tests stay short."""
    cfg = config.load()
    cfg["detect"]["adapter_down"]["silence_s"] = SILENCE_S
    server = Hub(cfg, tmp_path, tokens=TOKENS)
    await server.start("127.0.0.1", 0)
    yield server
    await server.stop()


class Scripted(Adapter):
    """An adapter driven by the test: batches and feed states are pushed onto ``script``."""

    name = "scripted"
    description = "test feed"
    capabilities = frozenset({"pin"})

    def __init__(self, room: str = "r", name: str = "scripted", **options: Any) -> None:
        super().__init__(room, **options)
        self.name = name
        self.script: asyncio.Queue[Any] = asyncio.Queue()

    async def batches(self) -> AsyncIterator[list[dict[str, Any]]]:
        while (step := await self.script.get()) is not None:
            if isinstance(step, tuple):
                self.set_feed_state(*step)
            else:
                yield step

    async def command(self, action: str, args: Any) -> str:
        if action != "pin":
            raise CommandRefused(f"{self.name} cannot {action}")
        return f"{self.name} pinned"


def live(ts: float, room: str = "r") -> dict[str, Any]:
    return {"type": "live", "room": room, "ts": ts, "on": True}


def like(ts: float, room: str = "r") -> dict[str, Any]:
    return {"type": "like", "room": room, "ts": ts, "n": 1}


async def until(hub: Hub, check, timeout: float = WAIT_S) -> None:
    """Flush the hub (acks, adapter_down) until ``check()`` holds, or fail at the deadline."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not check():
        assert loop.time() < deadline, "condition not reached in time"
        await hub.flush()
        await asyncio.sleep(0.02)


def feeds(hub: Hub, room: str = "r") -> dict[str, tuple[str, str]]:
    if room not in hub.engine.rooms:
        return {}
    return {f["name"]: (f["state"], f["detail"]) for f in hub.snapshot(room)["feeds"]}


def down_alerts(hub: Hub, room: str = "r") -> list[dict[str, Any]]:
    if room not in hub.engine.rooms:
        return []
    return [a for a in hub.snapshot(room)["alerts"] if a["kind"] == "adapter_down"]


async def test_a_quiet_room_with_an_up_feed_is_not_down_but_a_down_feed_is(hub: Hub) -> None:
    """An in-process feed that says up stays healthy through silence; down raises adapter_down."""
    adapter = Scripted()
    task = asyncio.create_task(hub.run_adapter(adapter))
    try:
        await adapter.script.put(("up", ""))
        await adapter.script.put([live(T0), like(T0)])
        await until(hub, lambda: feeds(hub) == {"scripted": ("up", "")})
        await asyncio.sleep(SILENCE_S * 3)  # a quiet room, three times the silence limit
        await hub.flush()
        assert down_alerts(hub) == []

        await adapter.script.put(("down", "no heart-beat for 30 s, retry in 2 s"))
        await until(hub, lambda: down_alerts(hub) != [])
        (alert,) = down_alerts(hub)
        assert alert["state"] == "open"
        assert "feed scripted down: no heart-beat for 30 s, retry in 2 s" in alert["detail"]
        assert feeds(hub)["scripted"] == ("down", "no heart-beat for 30 s, retry in 2 s")

        await adapter.script.put(("up", ""))
        await adapter.script.put([like(T0 + 1)])
        await until(hub, lambda: down_alerts(hub) == [])
        await adapter.script.put(None)
        await asyncio.wait_for(task, WAIT_S)
        assert feeds(hub)["scripted"] == ("ended", "")
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_the_hub_learns_feed_state_over_ingest(hub: Hub) -> None:
    """A remote adapter's feed state reaches the hub as feed ops, and again after a reconnect."""
    adapter = Scripted(name="remote-feed")
    adapter.set_feed_state("connecting", "signing the room URL")  # before the hub is reached
    runner = RemoteRunner(adapter, hub.url(), TOKENS["ingest"])
    task = asyncio.create_task(runner.run(retry_s=0.05))
    try:
        await adapter.script.put([live(T0)])
        await until(hub, lambda: "r" in hub.engine.rooms)
        await until(
            hub, lambda: feeds(hub) == {"remote-feed": ("connecting", "signing the room URL")}
        )
        adapter.set_feed_state("up")
        await until(hub, lambda: feeds(hub)["remote-feed"] == ("up", ""))
        # The hub drops the adapter's connection: the feed shows down until it is back.
        (ws,) = list(hub.acked)
        await ws.close()
        await until(hub, lambda: list(hub.acked) not in ([], [ws]))
        await until(hub, lambda: feeds(hub)["remote-feed"] == ("up", ""))
        await adapter.script.put([like(T0 + 1)])
        await adapter.script.put(None)
        await asyncio.wait_for(task, WAIT_S)
        assert feeds(hub)["remote-feed"] == ("ended", "")
        assert hub.engine.rooms["r"].metrics()["likes"] == 1
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_a_bad_feed_op_is_dropped_alone(hub: Hub, caplog) -> None:
    """A feed op with an unknown state is logged and ignored; the adapter's events still count."""
    from websockets.asyncio.client import connect

    from livemon import wire

    async with connect(hub.url("/ingest"), compression=None) as ws:
        await ws.send(wire.encode({"op": "hello", "v": 1, "token": "ti", "name": "raw",
                                   "rooms": ["r"], "resume": True}))  # fmt: skip
        assert wire.decode(await asyncio.wait_for(ws.recv(), WAIT_S))["op"] == "welcome"
        await ws.send(wire.encode({"op": "feed", "state": "up"}))
        with caplog.at_level(logging.WARNING, logger="livemon.hub"):
            await ws.send(wire.encode({"op": "feed", "state": "sleepy", "detail": "?"}))
            await ws.send(wire.encode_batch(1, [like(T0)]))
            await until(hub, lambda: "r" in hub.engine.rooms)
        assert "bad feed op: feed state must be one of connecting, up, down, ended" in caplog.text
        assert feeds(hub) == {"raw": ("up", "")}
        assert hub.engine.rooms["r"].metrics()["likes"] == 1


async def test_commands_go_to_the_feed_that_can_carry_them(hub: Hub) -> None:
    """With two feeds in one room, a command reaches the one able to do it, whichever is newer."""
    video, orders = Scripted(name="video"), Scripted(name="orders")
    orders.capabilities = frozenset()
    tasks = [asyncio.create_task(hub.run_adapter(a)) for a in (video, orders)]
    try:
        await video.script.put([like(T0)])
        await until(hub, lambda: "r" in hub.engine.rooms and len(hub.links.get("r", [])) == 2)
        result = await hub.execute({"id": 1, "room": "r", "action": "pin", "args": {"text": "hi"}})
        assert result["ok"] and result["detail"] == "video pinned"
        result = await hub.execute({"id": 2, "room": "r", "action": "feature",
                                    "args": {"sku": "A"}})  # fmt: skip
        assert not result["ok"]
        assert result["detail"] == (
            "no adapter of room r can feature (video can: pin; orders can: nothing)"
        )
    finally:
        for task in tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
