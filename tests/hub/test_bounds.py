"""Numbers beyond their bounds, totals past what a snapshot carries, and a ts too far ahead.

Each is rejected alone with a reason naming the field and the bound; the
valid events beside it are counted, and every console keeps getting
snapshots (before these bounds, one order priced 2**63-1 made every snapshot
fail to encode and closed every console with 1011, also after a restart).
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from livemon import config, replay
from livemon.engine import Engine
from livemon.hub import Hub

R = "r1"
T0 = 1_767_225_600.0
MAX_TOTAL = 2**53 - 1  # the most a snapshot total may carry (docs/limits.md)
TOKENS = {"ingest": "ti", "watch": "tw", "control": "tc"}


def order(k: int, **over: Any) -> dict[str, Any]:
    event = {"type": "order", "room": R, "ts": T0 + k, "order_id": f"o{k}", "sku": "A",
             "qty": 1, "price_cents": 1000, "buyer": "b"}  # fmt: skip
    return {**event, **over}


def like(ts: float, n: int = 1) -> dict[str, Any]:
    return {"type": "like", "room": R, "ts": ts, "n": n}


async def test_price_near_2_63_is_rejected_and_every_console_keeps_its_snapshots(
    raw, hub, tmp_path
):
    """Orders priced 2**63-1 or near 2**64 are rejected by name; consoles are not closed, a
    valid order beside them counts, and a hub restarted on the dir still serves snapshots."""
    watcher = await raw.console("/watch")
    feed = await raw.adapter("feed", (R,))
    await feed.events(1, [
        order(0), order(1, price_cents=2**63 - 1), order(2, price_cents=2**64 - 1),
        order(3, qty=2**64 - 2), order(4, price_cents=2**63, qty=2), like(T0 + 5, 7),
    ])  # fmt: skip
    await feed.wait_ack(6)
    assert set(feed.rejects) == {2, 3, 4, 5}
    assert feed.rejects[2] == "order.price_cents must be an int >= 0 (at most 10,000,000,000)"
    assert feed.rejects[4] == "order.qty must be a positive int (at most 1,000,000)"
    snap = await watcher.recv_op("snapshot", room=R)
    await watcher.drain(0.3)  # still open: closing would raise here
    snap = [m for m in watcher.seen if m["op"] == "snapshot"][-1]
    assert snap["metrics"]["gmv_cents"] == 1000 and snap["metrics"]["likes"] == 7

    again = Hub(config.load(), tmp_path, tokens=TOKENS)  # what a restart folds
    try:
        assert again.engine.rooms[R].gmv_cents == 1000
        assert again.snapshot(R)["metrics"]["orders"] == 1
    finally:
        again.recorder.close(end=False)
        again.catalog.close()


N = "a positive int (at most 1,000,000)"
CENTS = "an int >= 0 (at most 10,000,000,000)"
UNITS = "an int >= 0 (at most 1,000,000,000)"
A = {"sku": "A"}
BEYOND = [  # (event, its fields, the field beyond its bound, what the field must be)
    ("viewers", {"online": 10**9 + 1}, "online", UNITS),
    ("viewers", {"online": 1, "total": 10**12 + 1}, "total",
     "an int >= 0 (at most 1,000,000,000,000) or nil"),
    ("enter", {"n": 10**6 + 1}, "n", N),
    ("like", {"n": 2**64 - 1}, "n", N),
    ("click", {**A, "n": 10**6 + 1}, "n", N),
    ("gift", {"user": "u", "value_cents": 10**10 + 1}, "value_cents", CENTS),
    ("product", {**A, "name": "a", "price_cents": 10**10 + 1}, "price_cents", CENTS),
    ("product", {**A, "name": "a", "price_cents": 1, "stock": 10**9 + 1}, "stock",
     UNITS + " or nil"),
    ("stock", {**A, "available": 10**9 + 1}, "available", UNITS),
    ("coupon", {"coupon_id": "c", "discount_cents": 10**10 + 1, "count": 1}, "discount_cents",
     "a positive int (at most 10,000,000,000)"),
    ("coupon", {"coupon_id": "c", "discount_cents": 1, "count": 10**6 + 1}, "count", N),
    ("order", {**A, "order_id": "o", "qty": 1, "price_cents": -1, "buyer": "b"}, "price_cents",
     CENTS),
]  # fmt: skip


@pytest.mark.parametrize(("kind", "fields", "field", "words"), BEYOND,
                         ids=[f"{k}.{f}" for k, _, f, _ in BEYOND])  # fmt: skip
async def test_number_beyond_its_bound_is_rejected_with_the_bound(raw, kind, fields, field, words):
    """Each number of the protocol has a bound; one beyond it is rejected alone, naming it."""
    feed = await raw.adapter("feed", (R,))
    await feed.events(1, [like(T0, 1), {"type": kind, "room": R, "ts": T0 + 1, **fields},
                          like(T0 + 2, 2)])  # fmt: skip
    await feed.wait_ack(3)
    assert feed.rejects == {2: f"{kind}.{field} must be {words}"}
    assert (await raw.snapshot(R))["metrics"]["likes"] == 3


async def test_totals_never_pass_what_a_snapshot_carries(raw):
    """An order that would take gmv_cents past 2**53-1 is rejected; the total stays exact."""
    watcher = await raw.console("/watch")
    feed = await raw.adapter("feed", (R,))
    big = {"qty": 10**6, "price_cents": 4 * 10**9}  # 4e15 cents each: two fit, a third does not
    await feed.events(1, [order(0, **big), order(1, **big), order(2, **big), order(3)])
    await feed.wait_ack(4)
    assert list(feed.rejects) == [3]
    assert "past 9,007,199,254,740,991" in feed.rejects[3] and "gmv_cents" in feed.rejects[3]
    metrics = (await raw.snapshot(R))["metrics"]
    assert metrics["gmv_cents"] == 8 * 10**15 + 1000 <= MAX_TOTAL
    assert metrics["orders"] == 3 and metrics["units"] == 2 * 10**6 + 1
    await watcher.recv_op("snapshot", room=R)  # the watcher is served, not closed


async def test_ts_years_ahead_is_rejected_and_the_room_keeps_moving(raw, hub, tmp_path):
    """A ts years ahead of both clocks is rejected; the room's one-minute windows keep moving,
    and a replay of the recording rejects the same event."""
    now = time.time()
    feed = await raw.adapter("feed", (R,))
    await feed.events(1, [like(now, 1), like(now + 3 * 365 * 86400, 100), like(now + 1, 2)])
    await feed.wait_ack(3)
    assert list(feed.rejects) == [2]
    assert "like.ts is" in feed.rejects[2] and "ahead of both" in feed.rejects[2]
    await feed.events(4, [like(now + 90, 4)])  # 90 s on: the earlier likes leave the minute
    await feed.wait_ack(4)
    metrics = (await raw.snapshot(R))["metrics"]
    assert metrics["likes"] == 7 and metrics["likes_1m"] == 4

    (log,) = tmp_path.rglob("*.lmrec")
    engine, walls = Engine(), []
    for _, kind, _, events in replay.records(log, R, walls=walls):
        if kind == "events":
            engine.apply(events, walls[-1])
    assert engine.rooms[R].likes == 7


async def test_a_new_room_starting_years_ahead_is_rejected(raw):
    """A room's first event years ahead of the hub's clock is rejected (the room has no clock)."""
    feed = await raw.adapter("feed", (R,))
    await feed.events(1, [like(time.time() + 86400 * 400, 5), like(time.time(), 1)])
    await feed.wait_ack(2)
    assert list(feed.rejects) == [1]


async def test_far_from_the_wall_clock_but_steady_is_taken(raw):
    """A fast simulator ten hours ahead of the wall clock, a backfill years old, and an adapter
    back after an hour's outage (an hour ahead of its room, at the wall clock) are all taken;
    only a jump 20 minutes past the fast room's own clock is not."""
    now = time.time()
    feed = await raw.adapter("feed", (R, "old", "outage"))
    sim = [like(now + 60 * k, 1) for k in range(601)]  # a minute at a time, to 10 h ahead
    old = [{**like(now - 3 * 365 * 86400 + k, 1), "room": "old"} for k in range(5)]
    back = [{**like(now - 3600, 1), "room": "outage"}, {**like(now, 1), "room": "outage"}]
    jump = like(now + 36000 + 1200, 1000)
    last = await feed.events(1, sim + old + back + [jump])
    await feed.wait_ack(last)
    assert list(feed.rejects) == [last], feed.rejects
    assert (await raw.snapshot(R))["metrics"]["likes"] == 601
    assert (await raw.snapshot("old"))["metrics"]["likes"] == 5
    assert (await raw.snapshot("outage"))["metrics"]["likes"] == 2


ORDER = {"order_id": "o", "sku": "A", "qty": 1, "price_cents": 1, "buyer": "b"}
TOO_LONG = [  # (event, its fields, the string field beyond its bound, the bound)
    ("comment", {"user": "u" * 257, "text": "hi"}, "user", 256),
    ("gift", {"user": "u" * 257, "value_cents": 1}, "user", 256),
    ("follow", {"user": "u" * 257}, "user", 256),
    ("share", {"user": "u" * 257}, "user", 256),
    ("order", {**ORDER, "buyer": "b" * 257}, "buyer", 256),
    ("order", {**ORDER, "order_id": "o" * 129}, "order_id", 128),
    ("order", {**ORDER, "sku": "s" * 129}, "sku", 128),
    ("order", {**ORDER, "coupon": "c" * 129}, "coupon", 128),
    ("refund", {"order_id": "o" * 129}, "order_id", 128),
    ("click", {"sku": "s" * 129, "n": 1}, "sku", 128),
    ("product", {"sku": "A", "name": "名" * 501, "price_cents": 1}, "name", 500),
    ("stock", {"sku": "s" * 129, "available": 1}, "sku", 128),
    ("featured", {"sku": "s" * 129}, "sku", 128),
    ("coupon", {"coupon_id": "c" * 129, "discount_cents": 1, "count": 1}, "coupon_id", 128),
    ("comment", {"user": "u", "text": "字" * 1001}, "text", 1000),
]


@pytest.mark.parametrize(("kind", "fields", "field", "longest"), TOO_LONG,
                         ids=[f"{k}.{f}" for k, _, f, _ in TOO_LONG])  # fmt: skip
async def test_string_beyond_its_length_is_rejected(raw, kind, fields, field, longest):
    """Every string of an event has a length bound; a longer one is rejected alone, naming it."""
    feed = await raw.adapter("feed", (R,))
    await feed.events(1, [{"type": kind, "room": R, "ts": T0, **fields}, like(T0 + 1, 2)])
    await feed.wait_ack(2)
    assert feed.rejects[1].startswith(f"{kind}.{field} must be a string of at most {longest} ")
    assert list(feed.rejects) == [1]
    assert (await raw.snapshot(R))["metrics"]["likes"] == 2


async def test_command_strings_and_numbers_are_bounded(raw):
    """A pinned text over 1,000 characters or a restock over 10**9 units gets ok=false, why."""
    controller = await raw.console("/control")
    await controller.send({"op": "command", "id": "p1", "room": R, "action": "pin",
                           "args": {"text": "x" * 1001}})  # fmt: skip
    result = await controller.recv_op("result", id="p1")
    assert result["ok"] is False and result["detail"] == "args.text must be at most 1000 characters"
    await controller.send({"op": "command", "id": "r1", "room": R, "action": "restock",
                           "args": {"sku": "A", "add": 10**9 + 1}})  # fmt: skip
    result = await controller.recv_op("result", id="r1")
    assert result["ok"] is False and result["detail"] == "args.add must be at most 1,000,000,000"
