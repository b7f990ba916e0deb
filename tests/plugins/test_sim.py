"""Behaviour of the ``sim`` adapter and its seeded room model."""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from typing import Any

import msgpack
import pytest

from livemon.adapters import CommandRefused
from livemon.events import from_dict
from plugins.sim import SimAdapter, SimRoom
from plugins.sim.room import START
from plugins.sim.texts import LAG

Events = list[dict[str, Any]]


def run_room(room: SimRoom, commands: dict[int, list[tuple[str, dict]]] | None = None) -> Events:
    """Every event of ``room``, giving it ``commands`` before the listed seconds."""
    out: Events = []
    while not room.done:
        for action, args in (commands or {}).get(room.second, []):
            room.apply_command(action, args)
        out.extend(room.step())
    return out


async def run_adapter(sim: SimAdapter) -> Events:
    """Every event the adapter yields, batches flattened."""
    return [e async for batch in sim.batches() for e in batch]


def between(events: Events, kind: str, lo: float, hi: float) -> Events:
    """Events of type ``kind`` with ``START + lo <= ts < START + hi``."""
    return [e for e in events if e["type"] == kind and START + lo <= e["ts"] < START + hi]


def incidents(room: SimRoom | SimAdapter, kind: str) -> list[dict[str, Any]]:
    """The ground-truth incidents of ``kind``."""
    return [i for i in room.ground_truth["incidents"] if i["kind"] == kind]


def viewer_minutes(events: Events, lo: float, hi: float) -> float:
    """Online viewers integrated over [lo, hi) seconds, from the 3-second reports."""
    return sum(e["online"] * 3 for e in between(events, "viewers", lo, hi)) / 60


async def test_every_event_fits_the_protocol():
    """Every event of a mixed-scenario run validates against the protocol."""
    sim = SimAdapter(scenario="mixed", duration=900, viewers=400, speed="max", incident_at=100)
    events = await run_adapter(sim)
    for event in events:
        from_dict(event)
    kinds = Counter(e["type"] for e in events)
    assert kinds.keys() >= {"live", "product", "featured", "viewers", "enter", "comment", "like",
                            "click", "order", "stock", "coupon"}  # fmt: skip
    assert events[0] == {"type": "live", "room": "room-1", "ts": START, "on": True}
    assert events[-1] == {"type": "live", "room": "room-1", "ts": START + 900, "on": False}
    assert [e["ts"] for e in events] == sorted(e["ts"] for e in events)


async def test_same_options_give_identical_events():
    """Two runs with the same options give byte-identical MessagePack."""
    opts = {"scenario": "mixed", "duration": 240, "incident_at": 100, "speed": "max", "seed": 5}
    first = msgpack.packb(await run_adapter(SimAdapter(**opts)))
    second = msgpack.packb(await run_adapter(SimAdapter(**opts)))
    assert first == second


def test_different_seeds_differ():
    """Different seeds give different events."""
    assert run_room(SimRoom(seed=1, duration=120)) != run_room(SimRoom(seed=2, duration=120))


def test_total_views_match_enters():
    """Each viewers report's total is the sum of enter.n up to it, and at least online."""
    entered = 0
    for event in run_room(SimRoom(duration=300, viewers=800)):
        if event["type"] == "enter":
            entered += event["n"]
        elif event["type"] == "viewers":
            assert event["total"] == entered >= event["online"]


def test_stock_never_negative_and_orders_stop_at_zero():
    """Orders stop when a product's stock is 0, and stock never goes negative."""
    room = SimRoom(seed=4, duration=900, viewers=1000)
    room.apply_command("feature", {"sku": "23439"})  # the smallest stock: sells out in minutes
    stock: dict[str, int] = {}
    sold_out_at: dict[str, float] = {}
    for event in run_room(room):
        if event["type"] == "product":
            stock[event["sku"]] = event["stock"]
        elif event["type"] == "order":
            assert stock[event["sku"]] >= event["qty"]
            stock[event["sku"]] -= event["qty"]
            if stock[event["sku"]] == 0:
                sold_out_at[event["sku"]] = event["ts"]
        elif event["type"] == "stock":
            assert event["available"] == stock[event["sku"]]
    assert "23439" in sold_out_at
    truth = {i["sku"]: i["ts"] for i in incidents(room, "stock_out")}
    assert truth == sold_out_at


def test_conversion_drop_halves_orders_per_viewer_minute():
    """After a conversion_drop the orders per viewer-minute roughly halve, online unchanged."""
    room = SimRoom(scenario="conversion_drop", duration=1800, incident_at=900, viewers=2000,
                   buy_rate=0.05)  # fmt: skip
    events = run_room(room)
    assert incidents(room, "conversion_drop")[0]["ts"] == START + 900
    before = len(between(events, "order", 300, 900)) / viewer_minutes(events, 300, 900)
    after = len(between(events, "order", 900, 1500)) / viewer_minutes(events, 900, 1500)
    assert 0.35 < after / before < 0.65
    assert 0.85 < viewer_minutes(events, 900, 1500) / viewer_minutes(events, 300, 900) < 1.15


def test_drop_option_sets_the_conversion_factor():
    """drop=0.8 gives a milder fall than the default 0.5."""
    room = SimRoom(scenario="conversion_drop", duration=1800, incident_at=900, viewers=2000,
                   buy_rate=0.05, drop=0.8)  # fmt: skip
    events = run_room(room)
    before = len(between(events, "order", 300, 900)) / viewer_minutes(events, 300, 900)
    after = len(between(events, "order", 900, 1500)) / viewer_minutes(events, 900, 1500)
    assert 0.65 < after / before < 0.95


def test_viewer_drop_cuts_online_by_a_third_or_more():
    """After a viewer_drop, online is at least 30% below its level just before."""
    room = SimRoom(scenario="viewer_drop", duration=900, incident_at=600)
    events = run_room(room)
    assert incidents(room, "viewer_drop")[0]["ts"] == START + 600
    before = [e["online"] for e in between(events, "viewers", 540, 600)]
    after = [e["online"] for e in between(events, "viewers", 615, 675)]
    assert max(after) <= 0.7 * min(before)


def test_viewer_drop_size_and_pace_are_options():
    """viewer_drop=0.2 over 30 s takes about a fifth of the audience, reached after 30 s."""
    room = SimRoom(scenario="viewer_drop", duration=900, incident_at=600, viewer_drop=0.2,
                   viewer_drop_s=30)  # fmt: skip
    events = run_room(room)
    assert "20% over 30 s" in incidents(room, "viewer_drop")[0]["detail"]
    before = sum(e["online"] for e in between(events, "viewers", 540, 600)) / 20
    midway = [e["online"] for e in between(events, "viewers", 612, 616)]
    after = sum(e["online"] for e in between(events, "viewers", 640, 700)) / 20
    assert 0.72 * before < after < 0.88 * before
    assert min(midway) > after  # still falling halfway through the 30 s


def test_stockout_sells_the_featured_product_out_in_minutes():
    """A stockout sets the featured stock low so it hits 0 a few minutes after incident_at."""
    room = SimRoom(scenario="stockout", duration=1200, incident_at=400)
    events = run_room(room)
    out = incidents(room, "stock_out")
    assert [i["sku"] for i in out] == ["23084"]
    assert START + 460 < out[0]["ts"] < START + 700
    assert "injected" in out[0]["detail"]
    low = [i for i in incidents(room, "stock_low") if i["sku"] == "23084"]
    assert START + 400 <= low[0]["ts"] < out[0]["ts"]
    last = [e for e in events if e["type"] == "order" and e["sku"] == "23084"][-1]
    assert last["ts"] == out[0]["ts"]
    assert {"type": "stock", "room": "room-1", "ts": START + 400, "sku": "23084"}.items() <= (
        between(events, "stock", 400, 401)[0].items()
    )


def test_flash_sale_brings_a_coupon_and_a_surge_of_questions():
    """A flash_sale issues a store-wide coupon and multiplies comments, mostly questions."""
    room = SimRoom(scenario="flash_sale", duration=900, incident_at=500, viewers=600)
    events = run_room(room)
    assert incidents(room, "comment_surge")[0]["ts"] == START + 500
    coupon = between(events, "coupon", 500, 501)[0]
    assert "sku" not in coupon and coupon["expires_ts"] == START + 1100
    before = between(events, "comment", 380, 500)
    during = between(events, "comment", 500, 620)
    assert len(during) >= 2.5 * len(before)
    asks = ("价", "链接", "尺码", "怎么买", "price", "link", "size", "how to buy")
    questions = [c for c in during if any(w in c["text"] for w in asks)]
    assert len(questions) > 0.5 * len(during)
    assert any(o.get("coupon") == coupon["coupon_id"] for o in between(events, "order", 500, 900))


def test_tech_issue_brings_lag_comments_from_many_users():
    """A tech_issue has at least 5 distinct users report lag within its first minute."""
    room = SimRoom(scenario="tech_issue", duration=600, incident_at=300, viewers=300)
    events = run_room(room)
    assert incidents(room, "tech_issue")[0]["ts"] == START + 300
    lag = [c for c in between(events, "comment", 300, 360) if c["text"] in LAG]
    assert len({c["user"] for c in lag}) >= 5
    assert len([c for c in between(events, "comment", 0, 300) if c["text"] in LAG]) <= 3


def test_mixed_spaces_its_incidents():
    """The mixed scenario injects five incidents in order, at fixed gaps around incident_at."""
    room = SimRoom(scenario="mixed", duration=3000, incident_at=1000)
    run_room(room)
    kinds = [i["kind"] for i in room.ground_truth["incidents"] if i["sku"] is None]
    assert kinds == ["tech_issue", "conversion_drop", "viewer_drop", "comment_surge"]
    times = [i["ts"] - START for i in room.ground_truth["incidents"] if i["sku"] is None]
    assert times == [700, 1000, 1420, 1720]
    assert any("injected at 1764002020" in i["detail"] for i in incidents(room, "stock_out"))


def test_default_incident_at_is_chosen_by_seed_within_bounds():
    """Without incident_at the seed picks a time between 35% and 60% of the duration."""
    times = {SimRoom(seed=s, duration=1000).incident_at for s in range(8)}
    assert len(times) > 1 and all(350 <= t <= 600 for t in times)


def test_feature_switches_the_product_and_orders_follow():
    """feature emits a featured event next second and most orders then go to that sku."""
    room = SimRoom(duration=600, viewers=2000, buy_rate=0.05)
    assert room.apply_command("feature", {"sku": "23355"}) == "featuring 23355"
    events = run_room(room, {300: [("feature", {"sku": "22139"})]})
    featured = [e for e in events if e["type"] == "featured"]
    assert [(e["ts"] - START, e["sku"]) for e in featured] == [(0, "23084"), (0, "23355"),
                                                                (300, "22139")]  # fmt: skip
    early = Counter(o["sku"] for o in between(events, "order", 60, 300))
    late = Counter(o["sku"] for o in between(events, "order", 301, 600))
    assert early.most_common(1)[0][0] == "23355"
    assert late["22139"] > 0.6 * late.total()


def test_unfeature_emits_nil():
    """unfeature emits a featured event with a nil sku."""
    events = run_room(SimRoom(duration=20), {10: [("unfeature", {})]})
    assert between(events, "featured", 10, 11)[0]["sku"] is None


def test_coupon_raises_orders_and_lowers_the_price_paid():
    """A coupon is announced, raises the order rate, and orders using it pay less."""
    opts = {"seed": 9, "duration": 900, "viewers": 1500, "buy_rate": 0.04}
    plain = run_room(SimRoom(**opts))
    coupon = {"discount_cents": 1040, "count": 100000, "sku": "23084", "expires_s": 400}
    room = SimRoom(**opts)
    events = run_room(room, {300: [("coupon", coupon)]})
    issued = between(events, "coupon", 300, 301)[0]
    assert issued == {"type": "coupon", "room": "room-1", "ts": START + 300, "coupon_id": "cp1",
                      "discount_cents": 1040, "count": 100000, "sku": "23084",
                      "expires_ts": START + 700}  # fmt: skip
    with_coupon = between(events, "order", 300, 700)
    assert len(with_coupon) > 1.6 * len(between(plain, "order", 300, 700))
    used = [o for o in with_coupon if o.get("coupon") == "cp1"]
    assert used and all(o["price_cents"] == 2080 - 1040 and o["sku"] == "23084" for o in used)
    assert not [o for o in between(events, "order", 701, 900) if "coupon" in o]


def test_bigger_coupon_lifts_more():
    """The uplift of a coupon grows with its discount."""
    from plugins.sim.shop import LiveCoupon

    room = SimRoom(duration=10)
    shop = room.shop
    lifts = []
    for discount in (100, 500, 2000):
        shop.coupons = [LiveCoupon("c", discount, left=5)]
        lifts.append(shop.uplift("23084", 0.0))
    assert 1.0 < lifts[0] < lifts[1] < lifts[2]


def test_coupon_with_limited_count_runs_out():
    """A coupon is used by at most ``count`` orders."""
    coupon = {"discount_cents": 500, "count": 3}
    room = SimRoom(duration=600, viewers=2000, buy_rate=0.05)
    events = run_room(room, {100: [("coupon", coupon)]})
    assert sum(1 for e in events if e.get("coupon") == "cp1" and e["type"] == "order") == 3


def test_restock_emits_the_new_stock():
    """restock adds to the stock and emits an authoritative stock event."""
    room = SimRoom(duration=60, viewers=100)
    events = run_room(room, {30: [("restock", {"sku": "22423", "add": 40})]})
    listed = next(e["stock"] for e in events if e["type"] == "product" and e["sku"] == "22423")
    stock = between(events, "stock", 30, 31)
    assert stock[0]["sku"] == "22423" and stock[0]["available"] == listed + 40


@pytest.mark.parametrize(
    ("action", "args", "why"),
    [
        ("feature", {"sku": "nope"}, "unknown sku 'nope'"),
        ("restock", {"sku": "23084", "add": 0}, "add must be >= 1"),
        ("restock", {"sku": "nope", "add": 3}, "unknown sku"),
        ("coupon", {"discount_cents": 0, "count": 5}, "discount_cents must be >= 1"),
        ("coupon", {"discount_cents": 100}, "count must be an int"),
        ("coupon", {"discount_cents": 100, "count": 5, "sku": "x"}, "unknown sku"),
        ("coupon", {"discount_cents": 100, "count": 5, "expires_s": -1}, "expires_s must be > 0"),
        ("pin", {}, "pin.text"),
        ("host", {"name": "A"}, "sim cannot host"),
    ],
)
async def test_bad_commands_are_refused(action, args, why):
    """Bad args, unknown skus and actions outside the capabilities are refused with why."""
    with pytest.raises(CommandRefused, match=why):
        await SimAdapter(duration=10).command(action, args)


async def test_pin_is_accepted():
    """pin is accepted with the detail 'pinned'."""
    assert await SimAdapter(duration=10).command("pin", {"text": "全场包邮"}) == "pinned"


async def test_commands_from_another_task_apply_while_streaming():
    """A command sent from another task during the feed shows up in the next batches."""
    sim = SimAdapter(duration=40, speed="200", viewers=300)
    seen: Events = []

    async def consume() -> None:
        async for batch in sim.batches():
            seen.extend(batch)

    task = asyncio.create_task(consume())
    while not any(e["ts"] >= START + 10 for e in seen):
        await asyncio.sleep(0.001)
    assert await sim.command("restock", {"sku": "23439", "add": 7}) == "restocking 23439 +7"
    await task
    assert any(e["type"] == "stock" and e["sku"] == "23439" and e["ts"] > START + 10 for e in seen)


async def test_speed_paces_simulated_time():
    """At speed 100, 20 simulated seconds take at least 0.2 s of wall time."""
    began = time.monotonic()
    await run_adapter(SimAdapter(duration=20, speed="100", viewers=50))
    assert time.monotonic() - began >= 0.19


async def test_batch_seconds_groups_seconds():
    """batch_seconds=10 yields one batch per 10 simulated seconds."""
    sim = SimAdapter(duration=50, speed="max", batch_seconds="10")
    batches = [b async for b in sim.batches()]
    assert len(batches) == 5


def test_options_given_as_strings_convert():
    """Options given as strings (``--set seed=3``) convert to their kinds."""
    sim = SimAdapter(seed="3", speed="10", duration="60", viewers="50", buy_rate="0.1",
                     incident_at="20", drop="0.6", start="1700000000",
                     scenario="tech_issue")  # fmt: skip
    opts = sim.ground_truth["options"]
    assert (opts["seed"], opts["speed"], opts["duration"], opts["viewers"]) == (3, 10.0, 60.0, 50)
    assert (opts["buy_rate"], opts["incident_at"], opts["drop"]) == (0.1, 20.0, 0.6)
    assert sim.ground_truth["start"] == 1700000000.0
    assert SimAdapter(speed="max").settings["speed"] == "max"


def test_start_now_is_the_current_second():
    """start=now starts the feed at the current wall-clock second."""
    sim = SimAdapter(start="now", duration=5)
    assert abs(sim.sim.step()[0]["ts"] - time.time()) < 2


@pytest.mark.parametrize(
    ("opts", "named"),
    [
        ({"colour": "red"}, "colour"),
        ({"seed": "three"}, "seed"),
        ({"speed": "fast"}, "speed"),
        ({"scenario": "calm"}, "calm"),
        ({"batch_seconds": 0}, "batch_seconds"),
    ],
)
def test_bad_options_raise_value_error_naming_them(opts, named):
    """An unknown or ill-typed option raises ValueError naming it."""
    with pytest.raises(ValueError, match=named):
        SimAdapter(**opts)


async def test_truth_file_is_written_when_the_feed_ends(tmp_path):
    """With truth set, the ground truth JSON is written when the feed ends."""
    path = tmp_path / "truth.json"
    sim = SimAdapter(scenario="tech_issue", duration=200, incident_at=100, speed="max",
                     truth=str(path))  # fmt: skip
    await run_adapter(sim)
    truth = json.loads(path.read_text(encoding="utf-8"))
    assert truth == sim.ground_truth
    assert set(truth) == {"scenario", "seed", "room", "start", "duration", "options", "incidents"}
    detail = "lag / no sound / black screen comments for 60 s"
    assert truth["incidents"][0] == {"kind": "tech_issue", "ts": START + 100, "sku": None,
                                     "detail": detail}  # fmt: skip
