"""The ``webhook`` adapter: real signed HTTP requests on loopback, into a real hub."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import json
import os
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from livemon import config
from livemon.adapters.remote import RemoteRunner
from livemon.events import from_dict
from livemon.hub import Hub
from plugins.webhook import WebhookAdapter
from tests.hub.conftest import FullDisk

TOKENS = {"ingest": "ti", "watch": "tw", "control": "tc"}
SECRET = "shpss_test_secret"
WAIT_S = 5.0
# The adapter answers once the hub has recorded a delivery: on a loaded machine an fsync can
# take seconds, so the tests give it longer than a shop would (the product default is 4 s).
ACK_TIMEOUT_S = 20.0
HTTP_TIMEOUT_S = ACK_TIMEOUT_S + 10


def signature(body: bytes, secret: str = SECRET) -> str:
    """Shopify's signature, computed here from its definition (not with the adapter's code)."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def shop_order(order_id: int, lines: list[tuple[int, str, int, str]], status: str = "paid",
               codes: tuple[str, ...] = ()) -> dict[str, Any]:  # fmt: skip
    """A Shopify-style ``orders/create`` payload; lines are (id, sku, quantity, price)."""
    return {
        "id": order_id, "name": f"#{order_id}", "financial_status": status, "currency": "CNY",
        "created_at": "2026-01-01T08:00:00+08:00", "processed_at": "2026-01-01T08:00:01+08:00",
        "customer": {"id": 5000 + order_id}, "email": "buyer@example.com",
        "discount_codes": [{"code": c, "amount": "5.00", "type": "fixed_amount"} for c in codes],
        "line_items": [{"id": lid, "sku": sku, "quantity": qty, "price": price, "title": sku,
                        "discount_allocations": []} for lid, sku, qty, price in lines],
    }  # fmt: skip


class Shop:
    """A shop back-end that delivers webhooks by real HTTP to the adapter's port."""

    def __init__(self, port: int) -> None:
        self.base = f"http://127.0.0.1:{port}"
        self.http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=HTTP_TIMEOUT_S))
        self.deliveries = 0

    async def post(self, path: str, payload: Any, topic: str = "orders/create",
                   delivery: str | None = None, sign: str | None = "good",
                   header: str = "X-Shopify-Hmac-Sha256") -> tuple[int, dict]:  # fmt: skip
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        self.deliveries += 1
        headers = {"Content-Type": "application/json", "X-Shopify-Topic": topic,
                   "X-Shopify-Webhook-Id": delivery or f"delivery-{self.deliveries}"}  # fmt: skip
        if sign == "good":
            headers[header] = signature(body)
        elif sign is not None:
            headers[header] = sign
        async with self.http.post(self.base + path, data=body, headers=headers) as response:
            return response.status, await response.json()

    async def close(self) -> None:
        await self.http.close()


@pytest.fixture
async def hub(tmp_path) -> AsyncIterator[Hub]:
    """A real hub on loopback."""
    server = Hub(config.load(), tmp_path, tokens=TOKENS)
    await server.start("127.0.0.1", 0)
    yield server
    await server.stop()


async def listening(adapter: WebhookAdapter) -> int:
    """The adapter's port once it says its feed is up."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT_S
    while adapter.feed_state != "up":
        assert loop.time() < deadline, f"webhook not up: {adapter.feed_state} {adapter.feed_detail}"
        await asyncio.sleep(0.01)
    assert adapter.port
    return adapter.port


async def settled(hub: Hub, check) -> None:
    """Wait (deadline 5 s) until ``check()`` holds for the hub."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT_S
    while not check():
        assert loop.time() < deadline, "the hub did not reach the expected state"
        await hub.flush()
        await asyncio.sleep(0.01)


def metrics(hub: Hub, room: str = "r") -> dict[str, Any]:
    state = hub.engine.rooms.get(room)
    return state.metrics() if state is not None else {}


@contextlib.asynccontextmanager
async def embedded(hub: Hub, **options: Any):
    """A webhook adapter running inside ``hub``, and a shop that posts to it."""
    options.setdefault("ack_timeout_s", ACK_TIMEOUT_S)
    adapter = WebhookAdapter(room="r", port=0, secret=SECRET, **options)
    task = asyncio.create_task(hub.run_adapter(adapter))
    shop = Shop(await listening(adapter))
    try:
        yield adapter, shop
    finally:
        await shop.close()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_signed_orders_count_once_per_line(hub: Hub) -> None:
    """Each paid line of a signed order is one valid order event with its own order_id."""
    async with embedded(hub) as (_, shop):
        status, body = await shop.post(
            "/shopify", shop_order(1001, [(11, "TEA", 2, "59.00"), (12, "CUP", 1, "19.90")],
                                   codes=("LIVE5",)),
        )  # fmt: skip
        assert (status, body) == (200, {"counted": 2, "duplicate": False})
        status, body = await shop.post("/shopify", shop_order(1002, [(21, "TEA", 1, "59.00")]))
        assert status == 200 and body["counted"] == 1
        await settled(hub, lambda: metrics(hub).get("orders") == 3)
        m = metrics(hub)
        assert (m["orders"], m["units"], m["gmv_cents"]) == (3, 4, 2 * 5900 + 1990 + 5900)
        assert m["buyers"] == 2
        tea = next(p for p in hub.snapshot("r")["products"] if p["sku"] == "TEA")
        assert (tea["sold"], tea["gmv_cents"]) == (3, 3 * 5900)


async def test_a_bad_signature_gets_401_and_counts_nothing(hub: Hub) -> None:
    """A wrong, a missing, and another secret's signature each get 401, and nothing is counted."""
    async with embedded(hub) as (_, shop):
        order = shop_order(2001, [(1, "TEA", 1, "59.00")])
        body = json.dumps(order).encode()
        for sign in ("bm90IGEgc2lnbmF0dXJl", None, signature(body, "another-secret")):
            status, answer = await shop.post("/shopify", body, sign=sign)
            assert status == 401
            assert "check webhook.secret" in answer["error"]
        tampered = body.replace(b'"59.00"', b'"0.01"')
        status, _ = await shop.post("/shopify", tampered, sign=signature(body))
        assert status == 401
        status, _ = await shop.post("/shopify", shop_order(2002, [(1, "CUP", 1, "9.00")]))
        assert status == 200
        await settled(hub, lambda: metrics(hub).get("orders") == 1)
        await asyncio.sleep(0.2)
        await hub.flush()
        assert metrics(hub)["gmv_cents"] == 900  # only the well-signed order


async def test_a_redelivery_gets_200_and_is_not_counted_again(hub: Hub) -> None:
    """The same delivery resent, and the same order under orders/paid, count once."""
    async with embedded(hub) as (_, shop):
        order = shop_order(3001, [(1, "TEA", 1, "59.00"), (2, "CUP", 3, "10.00")])
        assert (await shop.post("/shopify", order, delivery="wh-1"))[1]["counted"] == 2
        for _ in range(3):  # the shop thought the delivery failed and retries
            status, body = await shop.post("/shopify", order, delivery="wh-1")
            assert (status, body) == (200, {"counted": 0, "duplicate": True})
        status, body = await shop.post("/shopify", order, topic="orders/paid", delivery="wh-2")
        assert (status, body) == (200, {"counted": 0, "duplicate": True})
        await settled(hub, lambda: metrics(hub).get("orders") == 2)
        await asyncio.sleep(0.2)
        await hub.flush()
        assert (metrics(hub)["orders"], metrics(hub)["gmv_cents"]) == (2, 5900 + 3000)


async def test_unpaid_then_paid_counts_at_payment(hub: Hub) -> None:
    """An order created pending counts nothing; its orders/paid delivery counts its lines."""
    async with embedded(hub) as (_, shop):
        status, body = await shop.post("/shopify", shop_order(4001, [(1, "TEA", 1, "59.00")],
                                                              status="pending"))  # fmt: skip
        assert status == 200 and body["counted"] == 0 and "not paid" in body["note"]
        status, body = await shop.post("/shopify", shop_order(4001, [(1, "TEA", 1, "59.00")]),
                                       topic="orders/paid")  # fmt: skip
        assert body["counted"] == 1
        await settled(hub, lambda: metrics(hub).get("orders") == 1)


async def test_a_refund_takes_its_line_out_once(hub: Hub) -> None:
    """refunds/create takes the refunded line out of orders and GMV; a resent refund does not."""
    async with embedded(hub) as (_, shop):
        await shop.post(
            "/shopify", shop_order(5001, [(1, "TEA", 1, "59.00"), (2, "CUP", 1, "9.00")])
        )
        refund = {"id": 77, "order_id": 5001, "created_at": "2026-01-01T08:05:00+08:00",
                  "refund_line_items": [{"id": 1, "line_item_id": 2, "quantity": 1,
                                         "line_item": {"id": 2, "quantity": 1}}]}  # fmt: skip
        status, body = await shop.post("/shopify", refund, topic="refunds/create")
        assert (status, body["counted"]) == (200, 1)
        status, body = await shop.post("/shopify", refund, topic="refunds/create")
        assert (status, body["counted"]) == (200, 0)
        await settled(hub, lambda: metrics(hub).get("refunds") == 1)
        m = metrics(hub)
        assert (m["orders"], m["gmv_cents"], m["refunds"]) == (1, 5900, 1)


async def test_bad_bodies_get_a_clear_answer_and_count_nothing(hub: Hub) -> None:
    """Not JSON gets 400; an order without a needed field gets 422 naming it; nothing counts."""
    async with embedded(hub) as (_, shop):
        status, body = await shop.post("/shopify", b"{not json")
        assert status == 400 and "not JSON" in body["error"]
        broken = shop_order(6001, [(1, "TEA", 1, "59.00"), (2, "CUP", 0, "9.00")])
        status, body = await shop.post("/shopify", broken)
        assert status == 422
        assert body["error"] == "order.line_items.1.quantity must be an integer >= 1, got 0"
        status, body = await shop.post("/shopify", shop_order(6002, [(1, "TEA", 1, "lots")]))
        assert status == 422 and "order.line_items.0.price" in body["error"]
        status, body = await shop.post("/shopify", {"id": 1}, topic="products/update")
        assert status == 200 and body["counted"] == 0 and "not counted" in body["note"]
        await asyncio.sleep(0.2)
        await hub.flush()
        assert metrics(hub) == {}  # the room never got an event


async def test_the_generic_form_reads_orders_through_the_mapping(hub: Hub) -> None:
    """A generic JSON order is read through webhook.fields; a missing field is named in a 422."""
    fields = {"items": "data.goods", "order_id": "data.order_no", "line_id": "line",
              "sku": "sku_code", "qty": "num", "price_cents": "pay_fen", "buyer": "data.uid",
              "coupon": "data.coupon", "ts": "data.paid_at", "status": "data.state",
              "paid": "PAID,SETTLED"}  # fmt: skip
    async with embedded(hub, fields=fields) as (_, shop):
        order = {
            "data": {
                "order_no": "DY-9",
                "uid": "u1",
                "state": "PAID",
                "coupon": "C1",
                "paid_at": 1767225601123,
                "goods": [
                    {"line": "a", "sku_code": "TEA", "num": 2, "pay_fen": 5500},
                    {"line": "b", "sku_code": "CUP", "num": 1, "pay_fen": 990},
                ],
            }
        }
        header = "X-Livemon-Hmac-Sha256"
        status, body = await shop.post("/orders", order, header=header, delivery="g-1")
        assert (status, body["counted"]) == (200, 2)
        status, body = await shop.post("/orders", order, header=header, delivery="g-2")
        assert (status, body) == (200, {"counted": 0, "duplicate": True})
        status, _ = await shop.post("/orders", order, header=header, sign="AAAA")
        assert status == 401
        unpaid = {"data": {**order["data"], "order_no": "DY-10", "state": "WAIT_PAY"}}
        status, body = await shop.post("/orders", unpaid, header=header)
        assert (status, body["counted"]) == (200, 0)
        line = {"num": 1, "pay_fen": 1}
        nosku = {"data": {**order["data"], "order_no": "DY-11", "goods": [line]}}
        status, body = await shop.post("/orders", nosku, header=header)
        assert status == 422
        assert body["error"] == (
            "no sku at 'sku_code' in order line data.goods.0 (webhook.fields.sku)"
        )
        refund = {"data": {"order_no": "DY-9"}}
        status, body = await shop.post("/refunds", refund, header=header)
        assert (status, body["counted"]) == (200, 2)  # every line of the order
        await settled(hub, lambda: metrics(hub).get("refunds") == 2)
        m = metrics(hub)
        assert (m["orders"], m["gmv_cents"], m["refunds"]) == (0, 0, 2)


async def test_events_fit_the_protocol(hub: Hub) -> None:
    """Every event the adapter yields validates as a protocol event of its room."""
    adapter = WebhookAdapter(room="conf", port=0, secret=SECRET, event_time="received")
    batches = adapter.batches()
    first = asyncio.ensure_future(batches.__anext__())
    shop = Shop(await listening(adapter))
    try:
        await shop.post("/shopify", shop_order(7001, [(1, "TEA", 2, "59.00")], codes=("X",)))
        batch = await asyncio.wait_for(first, WAIT_S)
        (event,) = [from_dict(e) for e in batch]
        assert (event.room, event.order_id, event.qty, event.price_cents) == (
            "conf",
            "7001:1",
            2,
            5900,
        )
        assert event.coupon == "X"
    finally:
        await shop.close()
        await batches.aclose()
    assert adapter.feed_state == "ended"


async def test_orders_survive_the_hub_link_dropping(hub: Hub) -> None:
    """Orders taken while the adapter's link to the hub is down are delivered once it is back."""
    adapter = WebhookAdapter(room="r", port=0, secret=SECRET, ack_timeout_s=ACK_TIMEOUT_S)
    runner = RemoteRunner(adapter, hub.url(), TOKENS["ingest"])
    task = asyncio.create_task(runner.run(retry_s=0.05, max_retry_s=0.2))
    shop = Shop(await listening(adapter))
    try:
        for k in range(5):
            await shop.post("/shopify", shop_order(8000 + k, [(1, "TEA", 1, "10.00")]))
        await settled(hub, lambda: metrics(hub).get("orders") == 5)
        for ws in list(hub.acked):
            await ws.close()  # the hub side drops the adapter
        for k in range(5, 10):  # the shop goes on delivering meanwhile
            await shop.post("/shopify", shop_order(8000 + k, [(1, "TEA", 1, "10.00")]))
        await shop.post("/shopify", shop_order(8003, [(1, "TEA", 1, "10.00")]), delivery="again")
        await settled(hub, lambda: metrics(hub).get("orders") == 10 and runner.acked == 10)
        await asyncio.sleep(0.2)
        await hub.flush()
        assert (metrics(hub)["orders"], metrics(hub)["gmv_cents"]) == (10, 10_000)
        assert {f["name"]: f["state"] for f in hub.snapshot("r")["feeds"]} == {"webhook": "up"}
    finally:
        await shop.close()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def test_options_that_cannot_work_are_refused_with_the_option_named(monkeypatch) -> None:
    """No secret, a bad event_time and a bad field mapping each get a ValueError naming it."""
    with pytest.raises(ValueError, match="webhook needs secret="):
        WebhookAdapter(room="r")
    monkeypatch.delenv("SHOP_SECRET", raising=False)
    with pytest.raises(ValueError, match="secret=env:SHOP_SECRET, but SHOP_SECRET is not set"):
        WebhookAdapter(room="r", secret="env:SHOP_SECRET")
    monkeypatch.setenv("SHOP_SECRET", "from-env")
    assert WebhookAdapter(room="r", secret="env:SHOP_SECRET").settings["secret"] == "from-env"
    with pytest.raises(ValueError, match="event_time must be order or received"):
        WebhookAdapter(room="r", secret="s", event_time="later")
    with pytest.raises(ValueError, match="fields has no field 'skus'"):
        WebhookAdapter(room="r", secret="s", fields={"skus": "x"})
    with pytest.raises(ValueError, match="option fields must be a table"):
        WebhookAdapter(room="r", secret="s", fields="{order_id = ")
    adapter = WebhookAdapter(room="r", secret="s", fields='{order_id = "no", sku = "s"}')
    assert adapter.settings["fields"] == {"order_id": "no", "sku": "s"}


async def test_the_webhook_runs_as_its_own_process(hub: Hub) -> None:
    """``livemon adapter webhook --hub URL --token T --set ...`` feeds signed orders to the hub."""
    import socket
    import subprocess
    import sys

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "livemon.cli", "adapter", "webhook", "--hub", hub.url(),
         "--token", TOKENS["ingest"], "--room", "r", "--set", f"port={port}",
         "--set", "secret=env:SHOP_SECRET"],
        env={**os.environ, "SHOP_SECRET": SECRET}, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    shop = Shop(port)
    try:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 20
        while True:
            try:
                status, _ = await shop.post("/shopify", shop_order(1, [(1, "TEA", 2, "59.00")]))
                break
            except aiohttp.ClientConnectionError:
                assert process.poll() is None, process.stderr.read()
                assert loop.time() < deadline, "the webhook process never listened"
                await asyncio.sleep(0.1)
        assert status == 200
        await settled(hub, lambda: metrics(hub).get("gmv_cents") == 11800)
        feeds = hub.snapshot("r")["feeds"]
        assert [(f["name"], f["state"]) for f in feeds] == [("webhook", "up")]
        assert feeds[0]["detail"] == f"listening on http://127.0.0.1:{port}"
    finally:
        await shop.close()
        process.terminate()
        process.wait(10)


def _orders_on_disk(record_dir) -> set[str]:
    """The order ids in the whole records of room r's logs under ``record_dir``."""
    from livemon import replay
    from livemon.events import Order

    return {
        e.order_id
        for path in record_dir.rglob("*.lmrec")
        for _, kind, _, events in replay.records(path, "r")
        if kind == "events"
        for e in events
        if isinstance(e, Order)
    }


async def test_a_200_means_the_order_is_in_the_recording(hub: Hub, monkeypatch) -> None:
    """While the hub cannot write its recording (ENOSPC), a delivery waits ack_timeout_s and
    gets 503, and is forgotten; once the disk is back, the shop's retry of the same delivery
    gets 200 only when its order is in the log on disk, and the room counts it once."""
    disk = FullDisk(monkeypatch)
    disk.full = True
    async with embedded(hub, ack_timeout_s=0.5) as (_, shop):
        order = shop_order(9001, [(1, "TEA", 1, "59.00")])
        status, body = await shop.post("/shopify", order, delivery="wh-9001")
        assert status == 503 and "not recorded yet" in body["error"]
        assert _orders_on_disk(hub.record_dir) == set()
        disk.full = False  # space again: the shop retries the same delivery
        status, body = await shop.post("/shopify", order, delivery="wh-9001")
        assert (status, body) == (200, {"counted": 1, "duplicate": False})
        assert _orders_on_disk(hub.record_dir) == {"9001:1"}  # on disk before the 200
        await settled(hub, lambda: metrics(hub).get("orders") == 1)
        await asyncio.sleep(0.2)
        await hub.flush()
        assert (metrics(hub)["orders"], metrics(hub)["gmv_cents"]) == (1, 5900)
