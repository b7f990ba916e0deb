"""Alerts over real loopback websockets: /watch receives them, /control acknowledges them."""

from __future__ import annotations

import asyncio

import msgpack
from websockets.asyncio.client import connect

from livemon import config
from livemon.hub import Hub
from plugins.sim import SimAdapter

TOKENS = {"ingest": "i-tok", "watch": "w-tok", "control": "c-tok"}


async def _console(hub: Hub, path: str, token: str):
    ws = await connect(hub.url(path))
    await ws.send(msgpack.packb({"op": "hello", "v": 1, "token": token, "name": "t"}))
    welcome = msgpack.unpackb(await asyncio.wait_for(ws.recv(), 20.0))
    assert welcome["op"] == "welcome"
    return ws


async def _until(ws, op: str, pred=lambda m: True, timeout: float = 20.0) -> dict:
    async with asyncio.timeout(timeout):
        while True:
            message = msgpack.unpackb(await ws.recv())
            if message["op"] == op and pred(message):
                return message


async def test_watch_receives_alerts_and_control_acks_one(tmp_path):
    """A sim stock-out reaches /watch as an alert message; ack on /control acknowledges it."""
    hub = Hub(config.load(), tmp_path, tokens=TOKENS)
    await hub.start(port=0)
    try:
        watch = await _console(hub, "/watch", "w-tok")
        control = await _console(hub, "/control", "c-tok")
        sim = SimAdapter("room-1", scenario="stockout", seed=21, speed="max", duration=2400.0)
        feed = asyncio.create_task(hub.run_adapter(sim))
        alert = await _until(watch, "alert", lambda m: m["kind"] == "stock_out")
        assert set(alert) >= {"id", "room", "kind", "sku", "severity", "state", "since", "onset",
                              "detail", "evidence", "suggest"}  # fmt: skip
        assert alert["state"] == "open" and alert["room"] == "room-1"
        await feed
        await control.send(
            msgpack.packb(
                {
                    "op": "command",
                    "id": "ack-1",
                    "room": "room-1",
                    "action": "ack",
                    "args": {"alert_id": alert["id"]},
                }
            )
        )
        result = await _until(control, "result", lambda m: m["id"] == "ack-1")
        assert result["ok"], result
        acked = await _until(watch, "alert", lambda m: m["id"] == alert["id"]
                             and m["state"] == "acked")  # fmt: skip
        assert acked["kind"] == "stock_out"
        rows: list = []
        for _ in range(40):  # the catalog is written once a second
            await asyncio.sleep(0.1)
            rows = list(hub.catalog.db.query("select state from alerts where id = ?",
                                             [alert["id"]]))  # fmt: skip
            if len(rows) == 2:
                break
        assert [r["state"] for r in rows] == ["open", "acked"]
        snapshot = hub.snapshot("room-1")
        assert any(a["id"] == alert["id"] and a["state"] == "acked" for a in snapshot["alerts"])
        await watch.close()
        await control.close()
    finally:
        await hub.stop()
