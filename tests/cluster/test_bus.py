"""Hubs on NATS JetStream, in this process: storing, owning, rebuilding, de-duplicating."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import subprocess
import sys

import msgpack
from websockets.asyncio.client import connect

from livemon import config
from livemon.cluster.bus import Bus
from livemon.cluster.runner import BusRunner
from livemon.cluster.worker import ClusterWorker
from livemon.hub import Hub
from plugins.webhook import WebhookAdapter
from tests.cluster.conftest import TOKENS, WAIT_S, embedded_metrics, sim, until
from tests.plugins.test_webhook import SECRET, Shop, listening, shop_order

KEYS = ("orders", "units", "gmv_cents", "comments", "likes", "enters", "online", "buyers",
        "refunds", "total_views")  # fmt: skip


async def start_hub(
    tmp_path, name: str, url: str, lease_s: float = 1.5
) -> tuple[Hub, Bus, ClusterWorker]:
    hub = Hub(config.load(), tmp_path / name, tokens=TOKENS, resume=False)
    await hub.start("127.0.0.1", 0)
    bus = await Bus(url, lease_s=lease_s, name=name).connect()
    worker = ClusterWorker(hub, bus, f"127.0.0.1:{hub.port}")
    await worker.start()
    return hub, bus, worker


async def stop_hub(hub: Hub, bus: Bus, worker: ClusterWorker) -> None:
    await worker.stop()
    await hub.stop()
    await bus.close()


def totals(hub: Hub, room: str) -> dict:
    metrics = hub.snapshot(room)["metrics"]
    return {k: metrics[k] for k in KEYS}


async def test_a_bus_room_folds_to_the_embedded_totals(tmp_path, nats_server) -> None:
    """A sim room fed straight onto the stream is folded by the hub holding its lease
    into exactly the totals an embedded hub gets from the same seed."""
    expected = await embedded_metrics(tmp_path, {"r1": 7})
    hub, bus, worker = await start_hub(tmp_path, "a", nats_server.url)
    try:
        feed_bus = await Bus(nats_server.url).connect()
        await BusRunner(sim("r1", 7), feed_bus).run()
        await until(lambda: worker.publishes("r1") and worker.owned["r1"].lag == 0
                    and "r1" in hub.engine.rooms
                    and totals(hub, "r1")["orders"] == expected["r1"]["orders"],
                    what="room r1 folded")  # fmt: skip
        assert totals(hub, "r1") == {k: expected["r1"][k] for k in KEYS}
        await feed_bus.close()
        await worker.tick()  # its registration now says r1 is caught up
        shown = await asyncio.to_thread(subprocess.run, [sys.executable, "-m", "livemon.cli",
                                        "cluster", "--bus", nats_server.url, "--json"],
                                        capture_output=True, text=True, timeout=WAIT_S)  # fmt: skip
        status = json.loads(shown.stdout)
        assert status["hubs"] == [{"hub": f"127.0.0.1:{hub.port}", "pid": os.getpid(),
                                   "rooms": {"r1": {"lag": 0, "ready": True}}}]  # fmt: skip
        assert status["stream"]["rooms"] == 1 and status["stream"]["messages"] > 0
        assert status["unowned"] == []
        text = await asyncio.to_thread(subprocess.run, [sys.executable, "-m", "livemon.cli",
                                       "cluster", "--bus", nats_server.url],
                                       capture_output=True, text=True, timeout=WAIT_S)  # fmt: skip
        assert f"hub 127.0.0.1:{hub.port} pid {os.getpid()}: 1 rooms" in text.stdout
    finally:
        await stop_hub(hub, bus, worker)


async def test_a_resend_after_a_lost_ack_is_stored_once(tmp_path, nats_server) -> None:
    """An adapter that resends a frame on /ingest after losing the ack (same seq, new
    connection) has it stored once: the room counts its likes once."""
    hub, bus, worker = await start_hub(tmp_path, "a", nats_server.url)
    events = [{"type": "like", "room": "r1", "ts": 1_767_225_600.0 + i, "n": 2} for i in range(5)]
    frame = msgpack.packb({"op": "events", "seq": 1, "events": events})
    hello = msgpack.packb({"op": "hello", "v": 1, "token": TOKENS["ingest"], "name": "raw",
                           "rooms": ["r1"]})  # fmt: skip
    try:
        for attempt in range(2):
            async with connect(f"ws://127.0.0.1:{hub.port}/ingest") as ws:
                await ws.send(hello)
                welcome = msgpack.unpackb(await asyncio.wait_for(ws.recv(), WAIT_S))
                assert welcome["acked_seq"] == (0 if attempt == 0 else 5)
                # The second time the adapter acts as if it never saw the ack.
                await ws.send(frame)
                ack = msgpack.unpackb(await asyncio.wait_for(ws.recv(), WAIT_S))
                assert ack == {"op": "ack", "seq": 5}
        stored = await bus.rooms()
        assert stored == {"r1": 1}
        await until(lambda: "r1" in hub.engine.rooms and worker.publishes("r1"),
                    what="room r1 folded")  # fmt: skip
        assert hub.snapshot("r1")["metrics"]["likes"] == 10
        # A raw resend straight to JetStream with the same message id is a duplicate too.
        await bus.publish_frame("raw", 1, frame, {"r1"}, 0.0)
        assert await bus.rooms() == {"r1": 1}
    finally:
        await stop_hub(hub, bus, worker)


async def test_a_dead_hubs_rooms_are_rebuilt_by_another(tmp_path, nats_server) -> None:
    """When the hub folding a room stops renewing its lease, another hub claims it,
    rebuilds it from the stream's start and has the same totals."""
    expected = await embedded_metrics(tmp_path, {"r1": 3, "r2": 4})
    a = await start_hub(tmp_path, "a", nats_server.url)
    feed_bus = await Bus(nats_server.url).connect()
    try:
        for room, seed in (("r1", 3), ("r2", 4)):
            await BusRunner(sim(room, seed), feed_bus, name=f"sim-{room}").run()
        await until(lambda: set(a[2].owned) == {"r1", "r2"}, what="a owns both")
        # a dies without a word: its task stops, its leases run out.
        for task in a[2]._tasks:
            task.cancel()
        for owned in a[2].owned.values():
            for sub in owned.subs:
                await sub.unsubscribe()
        b = await start_hub(tmp_path, "b", nats_server.url)
        try:
            await until(lambda: set(b[2].owned) == {"r1", "r2"}
                        and all(o.ready for o in b[2].owned.values()),
                        timeout=WAIT_S, what="b took both rooms over")  # fmt: skip
            for room in ("r1", "r2"):
                assert totals(b[0], room) == {k: expected[room][k] for k in KEYS}
        finally:
            await stop_hub(*b)
    finally:
        await feed_bus.close()
        a[2]._tasks.clear()
        a[2].owned.clear()
        await stop_hub(*a)


async def test_a_nats_restart_loses_nothing(tmp_path, nats_server) -> None:
    """NATS restarted mid-stream: adapters retry until stored, hubs reconnect and fold
    on, and every room's totals equal the embedded run's."""
    rooms = {"r1": 11, "r2": 12, "r3": 13}
    expected = await embedded_metrics(tmp_path, rooms)
    a = await start_hub(tmp_path, "a", nats_server.url)
    b = await start_hub(tmp_path, "b", nats_server.url)
    feed_bus = await Bus(nats_server.url).connect()
    try:
        feeds = [asyncio.create_task(BusRunner(sim(room, seed, speed="40"), feed_bus,
                                               name=f"sim-{room}").run())
                 for room, seed in rooms.items()]  # fmt: skip
        await until(lambda: len(a[2].owned) + len(b[2].owned) == 3, what="rooms owned")
        await asyncio.sleep(0.5)
        assert not all(f.done() for f in feeds), "the stream ended before the restart"
        await asyncio.to_thread(nats_server.stop)
        await asyncio.sleep(1.0)
        await asyncio.to_thread(nats_server.start)
        await asyncio.wait_for(asyncio.gather(*feeds), WAIT_S)

        def folded() -> bool:
            hubs = {room: hub for hub, _, w in (a, b) for room in w.owned}
            return (
                set(hubs) == set(rooms)
                and all(
                    totals(hubs[room], room) == {k: expected[room][k] for k in KEYS}
                    for room in rooms
                    if room in hubs[room].engine.rooms
                )
                and all(room in hubs[room].engine.rooms for room in rooms)
            )

        await until(folded, timeout=WAIT_S, what="every room folded to the embedded totals")
    finally:
        await feed_bus.close()
        await stop_hub(*b)
        await stop_hub(*a)


async def test_a_webhook_on_the_bus_answers_200_only_once_its_order_is_stored(
    tmp_path, nats_server
) -> None:
    """A webhook fed straight onto the bus answers 200 once its order is on the stream;
    with NATS down it answers 503 after ack_timeout_s; the shop's retry once NATS is back
    gets 200, and the hub folding the stream counts each order once."""

    adapter = WebhookAdapter(room="shop-room", port=0, secret=SECRET, ack_timeout_s=1.0)
    feed_bus = await Bus(nats_server.url).connect()
    feed = asyncio.create_task(BusRunner(adapter, feed_bus, name="shop").run())
    shop = Shop(await listening(adapter))
    hub = None
    try:
        first = shop_order(1, [(1, "TEA", 1, "59.00")])
        assert await shop.post("/shopify", first, delivery="wh-1") == (
            200, {"counted": 1, "duplicate": False})  # fmt: skip
        assert await feed_bus.stored_seq("shop") == 1  # on the stream before the 200

        await asyncio.to_thread(nats_server.stop)
        second = shop_order(2, [(2, "CUP", 2, "10.00")])
        status, body = await shop.post("/shopify", second, delivery="wh-2")
        assert status == 503 and "not recorded yet" in body["error"]

        await asyncio.to_thread(nats_server.start)
        status, _ = await shop.post("/shopify", second, delivery="wh-2")  # the shop retries
        assert status == 200

        hub = await start_hub(tmp_path, "a", nats_server.url)
        await until(
            lambda: (
                "shop-room" in hub[0].engine.rooms and totals(hub[0], "shop-room")["orders"] == 2
            ),
            what="both orders folded",
        )
        await asyncio.sleep(0.3)  # a second copy of order 2 would land meanwhile
        assert (totals(hub[0], "shop-room")["orders"],
                totals(hub[0], "shop-room")["gmv_cents"]) == (2, 5900 + 2000)  # fmt: skip
    finally:
        await shop.close()
        feed.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await feed
        await feed_bus.close()
        if hub is not None:
            await stop_hub(*hub)
