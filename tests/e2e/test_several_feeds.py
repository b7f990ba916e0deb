"""One room, several feeds: a video feed and the shop's order webhook merge in one room."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import aiohttp
import msgpack
from websockets.asyncio.client import connect

from livemon import config
from livemon.adapters.remote import RemoteRunner
from livemon.hub import Hub
from plugins.sim import SimAdapter
from plugins.webhook import WebhookAdapter

TOKENS = {"ingest": "ingest-token-0001", "watch": "watch-token-00001",
          "control": "control-token-001"}  # fmt: skip
SECRET = "shop-secret"
WAIT_S = 30.0  # generous: a loaded machine answers slowly; only a failure waits it out
SIM = {"scenario": "steady", "seed": 3, "speed": "max", "start": 1_767_225_600,
       "duration": 300, "viewers": 300, "buy_rate": 0.05}  # fmt: skip


async def sim_totals_async() -> dict[str, int]:
    """What the sim feed alone adds to a room, counted straight from the adapter's events."""
    totals = {"orders": 0, "gmv_cents": 0, "comments": 0, "refunds": 0}
    refunded: set[str] = set()
    gmv: dict[str, int] = {}
    async for batch in SimAdapter(room="shop-1", **SIM).batches():
        for e in batch:
            if e["type"] == "order":
                totals["orders"] += 1
                gmv[e["order_id"]] = e["qty"] * e["price_cents"]
            elif e["type"] == "comment":
                totals["comments"] += 1
            elif e["type"] == "refund":
                refunded.add(e["order_id"])
    totals["refunds"] = len(refunded)
    totals["orders"] -= len(refunded)  # a refund takes its order out of orders and GMV
    totals["gmv_cents"] = sum(v for k, v in gmv.items() if k not in refunded)
    return totals


def shop_order(order_id: int, lines: list[tuple[int, str, int, str]]) -> bytes:
    """A Shopify-style paid order as the raw body a shop sends."""
    return json.dumps({
        "id": order_id, "financial_status": "paid", "customer": {"id": order_id},
        "processed_at": "2026-01-01T00:01:00Z",
        "line_items": [{"id": lid, "sku": sku, "quantity": q, "price": p}
                       for lid, sku, q, p in lines],
    }).encode()  # fmt: skip


async def deliver(port: int, body: bytes, delivery: str) -> int:
    """POST one signed delivery to the webhook on ``port``; the HTTP status."""
    sig = base64.b64encode(hmac.new(SECRET.encode(), body, hashlib.sha256).digest()).decode()
    headers = {"X-Shopify-Hmac-Sha256": sig, "X-Shopify-Topic": "orders/create",
               "X-Shopify-Webhook-Id": delivery, "Content-Type": "application/json"}  # fmt: skip
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=WAIT_S)) as http:
        async with http.post(f"http://127.0.0.1:{port}/shopify", data=body, headers=headers) as r:
            return r.status


ORDERS = [  # (order id, lines): 5 lines, 8 units, 3 orders
    (9001, [(1, "TEA", 2, "59.00"), (2, "CUP", 1, "19.90")]),
    (9002, [(1, "TEA", 1, "59.00")]),
    (9003, [(1, "GIFTBOX", 3, "128.00"), (2, "CUP", 1, "19.90")]),
]
WEBHOOK_GMV = 2 * 5900 + 1990 + 5900 + 3 * 12800 + 1990


async def watch_until(url: str, room: str, check, timeout: float = WAIT_S) -> dict[str, Any]:
    """Read a /watch console's snapshots of ``room`` until ``check(snapshot)`` holds."""
    async with connect(url + "/watch", compression=None) as ws:
        await ws.send(msgpack.packb({"op": "hello", "v": 1, "token": TOKENS["watch"], "name": "t"}))
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        last = None
        while True:
            left = deadline - loop.time()
            assert left > 0, f"room {room} never reached the expected state; last: {last}"
            message = msgpack.unpackb(await asyncio.wait_for(ws.recv(), left))
            if message.get("op") == "snapshot" and message["room"] == room:
                last = {"metrics": message["metrics"], "feeds": message["feeds"]}
                if check(message):
                    return message


async def test_video_and_order_feeds_merge_in_one_room(tmp_path: Path) -> None:
    """Sim over /ingest and signed webhook orders over HTTP add up exactly in one room."""
    expected = await sim_totals_async()
    hub = Hub(config.load(), tmp_path, tokens=TOKENS)
    await hub.start("127.0.0.1", 0)
    shop = WebhookAdapter(room="shop-1", port=0, secret=SECRET, event_time="received",
                          ack_timeout_s=WAIT_S - 5)  # fmt: skip
    shop_task = asyncio.create_task(hub.run_adapter(shop))
    try:
        async with asyncio.timeout(WAIT_S):
            while shop.port is None:
                await asyncio.sleep(0.01)
        for order_id, lines in ORDERS[:2]:  # orders before the video feed starts ...
            assert await deliver(shop.port, shop_order(order_id, lines), f"d{order_id}") == 200
        runner = RemoteRunner(SimAdapter(room="shop-1", **SIM), hub.url(), TOKENS["ingest"])
        await asyncio.wait_for(runner.run(), 60)
        order_id, lines = ORDERS[2]  # ... and after it ended, plus a redelivery of the first
        assert await deliver(shop.port, shop_order(order_id, lines), f"d{order_id}") == 200
        assert await deliver(shop.port, shop_order(*ORDERS[0]), "d9001") == 200

        def merged(snapshot: dict[str, Any]) -> bool:
            return snapshot["metrics"]["orders"] == expected["orders"] + 5

        snapshot = await watch_until(hub.url(), "shop-1", merged)
        m = snapshot["metrics"]
        assert m["gmv_cents"] == expected["gmv_cents"] + WEBHOOK_GMV
        assert m["comments"] == expected["comments"] > 0
        assert m["refunds"] == expected["refunds"]
        feeds = {f["name"]: f["state"] for f in snapshot["feeds"]}
        assert feeds == {"sim": "ended", "webhook": "up"}
    finally:
        shop_task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await shop_task
        await hub.stop()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_serve_runs_a_video_feed_and_the_webhook_in_one_room(tmp_path: Path) -> None:
    """``livemon serve --adapter sim --adapter webhook`` merges both feeds in the --room room."""
    expected = await sim_totals_async()
    hub_port, shop_port = _free_port(), _free_port()
    sets = [f"sim.{k}={v}" for k, v in SIM.items()] + [
        f"webhook.secret={SECRET}",
        f"webhook.port={shop_port}",
        f"webhook.ack_timeout_s={WAIT_S - 5}",
        "webhook.event_time=received",
    ]
    env = {**os.environ, **{f"LIVEMON_{role.upper()}_TOKEN": t for role, t in TOKENS.items()}}
    serve = subprocess.Popen(
        [sys.executable, "-m", "livemon.cli", "serve", "--port", str(hub_port), "--room", "shop-1",
         "--record-dir", str(tmp_path), "--adapter", "sim", "--adapter", "webhook",
         *[arg for s in sets for arg in ("--set", s)]],
        env=env, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 30
        for order_id, lines in ORDERS:
            while True:
                try:
                    status = await deliver(shop_port, shop_order(order_id, lines), f"d{order_id}")
                    break
                except aiohttp.ClientConnectionError:
                    assert serve.poll() is None, serve.stderr.read()
                    assert loop.time() < deadline, "the webhook never listened"
                    await asyncio.sleep(0.1)
            assert status == 200
        url = f"ws://127.0.0.1:{hub_port}"
        snapshot = await watch_until(
            url, "shop-1", lambda s: s["metrics"]["orders"] == expected["orders"] + 5, timeout=30
        )
        assert snapshot["metrics"]["gmv_cents"] == expected["gmv_cents"] + WEBHOOK_GMV
        assert {f["name"] for f in snapshot["feeds"]} == {"sim", "webhook"}
    finally:
        serve.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            serve.wait(20)
        if serve.poll() is None:
            serve.kill()
