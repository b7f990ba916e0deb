"""`RoomState` and `Engine`: event-time placement, windows, refunds, duplicates, closed seconds."""

from __future__ import annotations

from typing import Any

import pytest

from livemon import events as ev
from livemon.engine import Engine, RoomState

R = "r"


def like(ts: float, n: int = 1) -> ev.Like:
    return ev.Like(room=R, ts=float(ts), n=n)


def order(ts: float, oid: str, sku: str = "A", qty: int = 1, price: int = 500,
          buyer: str = "b") -> ev.Order:  # fmt: skip
    return ev.Order(room=R, ts=float(ts), order_id=oid, sku=sku, qty=qty, price_cents=price,
                    buyer=buyer)  # fmt: skip


def product(ts: float, sku: str = "A", stock: int | None = 10) -> ev.Product:
    return ev.Product(room=R, ts=float(ts), sku=sku, name=sku, price_cents=500, stock=stock)


def refund(ts: float, oid: str) -> ev.Refund:
    return ev.Refund(room=R, ts=float(ts), order_id=oid)


def fold(*events: ev.Event) -> RoomState:
    engine = Engine()
    engine.apply(events)
    return engine.rooms[R]


# -- late events ------------------------------------------------------------------------------


def test_late_event_within_5s_counts_in_its_own_second():
    """An event up to 5 s older than the newest goes to its own second, not the newest."""
    state = fold(like(100, 1), like(104, 2), like(100.5, 4))
    likes = state.windows["likes"]
    assert (likes.at(100), likes.at(104)) == (5, 2)
    assert state.clock == 104.0 and state.likes == 7


def test_event_exactly_5s_late_is_still_in_its_own_second():
    """An event exactly 5 s behind the clock is placed in its own second."""
    state = fold(like(100, 1), like(105, 2), like(100, 4))
    assert state.windows["likes"].at(100) == 5


def test_event_over_5s_late_counts_in_the_newest_second():
    """An event more than 5 s late still counts in the totals, in the newest second."""
    state = fold(like(100, 1), like(110, 2), like(104.9, 4))
    likes = state.windows["likes"]
    assert (likes.at(104), likes.at(110)) == (0, 6)
    assert state.likes == 7 and state.metrics()["likes_1m"] == 7


def test_late_event_does_not_move_the_clock_back():
    """A late event leaves the clock (newest event time) where it was."""
    state = fold(like(100), like(103.5), like(101))
    assert state.clock == 103.5 and state.newest_sec == 103


def test_tagged_comments_reach_listeners_with_the_second_they_counted_in():
    """A comment listener gets each tagged comment with the second it counted in: its own
    when on time or up to 5 s late, the newest when later, in the order they came."""
    heard: list[tuple[str, int]] = []
    engine = Engine()
    engine.room(R).comment_listeners.append(
        lambda room, tagged: heard.extend((c.user, sec) for sec, c, _ in tagged)
    )

    def comment(ts: float, user: str, text: str = "多少钱") -> ev.Comment:
        return ev.Comment(room=R, ts=ts, user=user, text=text)

    engine.apply([comment(100.5, "a"), comment(100.7, "plain", "好看"), comment(101.2, "b"),
                  comment(97.9, "late"), comment(101.4, "c"), comment(90.0, "very-late"),
                  comment(101.9, "d")])  # fmt: skip
    engine.rooms[R].tag_comments()
    assert heard == [("a", 100), ("b", 101), ("late", 97), ("c", 101), ("very-late", 101),
                     ("d", 101)]  # fmt: skip


@pytest.mark.parametrize("listened", [False, True])
def test_consoles_get_the_newest_comments_tagged_and_memory_stays_bounded(listened):
    """take_comments returns the newest comments since the last take, tagged, oldest first,
    whether or not a comment listener has the passes tag every comment; a room holds at
    most COMMENTS_KEPT of them however many were folded."""
    from livemon.engine.room import COMMENTS_KEPT

    engine = Engine()
    state = engine.room(R)
    if listened:
        state.comment_listeners.append(lambda room, tagged: None)
    texts = ["hi", "多少钱", "卡了"]
    for start in range(0, 3000, 300):  # many frames, with a tagging pass after each
        engine.apply([ev.Comment(room=R, ts=100 + i / 100, user=f"u{i}", text=texts[i % 3])
                      for i in range(start, start + 300)])  # fmt: skip
        state.tag_comments()
        assert len(state.new_comments) <= COMMENTS_KEPT
    shown = state.take_comments(3)
    assert [(c["user"], c["tags"]) for c in shown] == [("u2997", []), ("u2998", ["price"]),
                                                       ("u2999", ["lag"])]  # fmt: skip
    assert len(engine.rooms[R].take_comments(50)) == 0  # taken: nothing new
    engine.apply([ev.Comment(room=R, ts=131, user=f"v{i}", text="hi") for i in range(999)])
    shown = state.take_comments(COMMENTS_KEPT + 50)
    assert len(shown) == COMMENTS_KEPT and shown[-1]["user"] == "v998"
    for i in range(7):  # passes of one comment each: a take spans several passes
        engine.apply([ev.Comment(room=R, ts=140 + i, user=f"w{i}", text=texts[i % 3])])
        state.tag_comments()
    shown = state.take_comments(4)
    assert [(c["user"], c["tags"]) for c in shown] == [("w3", []), ("w4", ["price"]),
                                                       ("w5", ["lag"]), ("w6", [])]  # fmt: skip


# -- windows ----------------------------------------------------------------------------------


def test_window_keeps_60_seconds():
    """A second stays in the `_1m` window for 60 s of event time, then leaves it."""
    engine = Engine()
    engine.apply([like(100, 1), like(159, 2)])
    state = engine.rooms[R]
    assert state.metrics()["likes_1m"] == 3
    engine.apply([like(160, 4)])
    assert state.metrics()["likes_1m"] == 6
    assert state.metrics()["likes"] == 7


def test_window_empties_after_a_long_gap():
    """After more than 60 s with no events every window is empty; totals stay."""
    state = fold(product(0), order(0, "o1"), like(1, 3), like(500, 1))
    m = state.metrics()
    assert (m["likes_1m"], m["orders_1m"], m["gmv_1m_cents"]) == (1, 0, 0)
    assert (m["likes"], m["orders"], m["gmv_cents"]) == (4, 1, 500)
    assert state.product_rows()[0]["rate_1m"] == 0 and state.product_rows()[0]["eta_s"] is None


def test_viewer_minutes_integrate_online_over_event_time():
    """conv_1m divides the window's orders by the integral of online (viewer-minutes)."""
    state = fold(
        ev.Viewers(room=R, ts=0.0, online=60),
        order(10, "o1"),
        ev.Viewers(room=R, ts=20.0, online=120),
        like(30),
    )
    # 60 viewers × 20 s + 120 × 10 s = 2400 viewer-seconds = 40 viewer-minutes
    assert state.metrics()["conv_1m"] == pytest.approx(1 / 40 * 1000)


def test_product_rate_and_eta():
    """rate_1m is units in the window per minute and eta_s is stock over that rate."""
    state = fold(product(0, stock=30), order(1, "o1", qty=4), order(2, "o2", qty=2), like(3))
    row = state.product_rows()[0]
    assert (row["stock"], row["sold"], row["rate_1m"]) == (24, 6, 6.0)
    assert row["eta_s"] == pytest.approx(24 / (6 / 60))


# -- refunds and duplicates -------------------------------------------------------------------


def test_refund_takes_the_order_out_of_totals_and_window():
    """A refund removes the order from orders, units, GMV, the window and the product; not stock."""
    state = fold(product(0, stock=10), order(1, "o1", qty=2, price=500), order(2, "o2"),
                 refund(10, "o1"))  # fmt: skip
    m = state.metrics()
    assert (m["orders"], m["units"], m["gmv_cents"], m["refunds"]) == (1, 1, 500, 1)
    assert (m["orders_1m"], m["gmv_1m_cents"]) == (1, 500)
    row = state.product_rows()[0]
    assert (row["sold"], row["gmv_cents"], row["rate_1m"]) == (1, 500, 1.0)
    assert row["stock"] == 7  # lowered by both orders, left alone by the refund


def test_refund_after_the_order_left_the_window():
    """A refund of an order already out of the window changes totals only, never below zero."""
    state = fold(product(0), order(1, "o1"), like(100), refund(101, "o1"))
    m = state.metrics()
    assert (m["orders"], m["orders_1m"], m["gmv_1m_cents"], m["refunds"]) == (0, 0, 0, 1)
    assert state.windows["orders"].total == 0


def test_refund_of_unknown_or_refunded_order_is_rejected():
    """A refund of an unknown order id, or a second refund of one, is rejected by index."""
    engine = Engine()
    changed, rejected = engine.apply([order(1, "o1"), refund(2, "nope"), refund(3, "o1"),
                                      refund(4, "o1")])  # fmt: skip
    assert changed == {R}
    assert [i for i, _ in rejected] == [1, 3]
    assert "refund.order_id" in rejected[0][1]
    assert engine.rooms[R].refunds == 1


def test_duplicate_order_id_is_counted_once():
    """A repeated order id changes nothing: not orders, units, GMV, buyers nor stock."""
    state = fold(product(0, stock=10), order(1, "o1", qty=2, buyer="b1"),
                 order(5, "o1", qty=2, buyer="b2"))  # fmt: skip
    m = state.metrics()
    assert (m["orders"], m["units"], m["gmv_cents"], m["buyers"]) == (1, 2, 1000, 1)
    assert state.product_rows()[0]["stock"] == 8
    assert state.duplicate_orders == 1


def test_order_for_unknown_sku_is_counted_and_flagged():
    """An order for a sku never listed is counted and its product marked as not listed."""
    state = fold(order(1, "o1", sku="ghost", qty=3, price=100))
    row = state.product_rows()[0]
    assert (row["sku"], row["sold"], row["listed"], row["stock"]) == ("ghost", 3, False, None)
    assert state.metrics()["gmv_cents"] == 300 and state.unknown_sku_orders == 1


# -- closed seconds ---------------------------------------------------------------------------


def recording_engine(calls: list[tuple[Any, ...]]) -> Engine:
    """An engine whose rooms report each closed second with that second's final numbers."""

    def closed(state: RoomState, sec: int) -> None:
        w = state.windows
        calls.append((state.room, sec, w["likes"].at(sec), w["orders"].at(sec),
                      w["gmv"].at(sec), state.orders))  # fmt: skip

    return Engine(on_new_room=lambda state: state.second_listeners.append(closed))


def test_closed_seconds_are_reported_once_each_in_order():
    """Each second is reported once, in order, once the clock is more than 5 s past its end."""
    calls: list[tuple[Any, ...]] = []
    engine = recording_engine(calls)
    engine.apply([like(100 + k) for k in range(21)])  # clock reaches 120
    assert [c[1] for c in calls] == list(range(100, 115))  # 114 + 1 + 5 <= 120
    engine.apply([like(120.5), like(121)])
    assert [c[1] for c in calls] == list(range(100, 116))
    assert all(c[2] == 1 for c in calls)


def test_closed_second_has_its_late_events():
    """A second is only reported after every late event that can land in it is in."""
    calls: list[tuple[Any, ...]] = []
    engine = recording_engine(calls)
    engine.apply([like(100, 1), like(105.9, 2), like(100.95, 4)])  # 4.95 s late: in second 100
    assert calls == []  # at 105.9 an event at 100.9 could still land in second 100
    engine.apply([like(107, 8)])
    assert [(c[1], c[2]) for c in calls] == [(100, 5), (101, 0)]


EVENTS = [
    product(1000, stock=50),
    ev.Viewers(room=R, ts=1000.0, online=80, total=900),
    *[like(1000 + k * 0.7, 1 + k % 3) for k in range(40)],
    order(1003, "o1", qty=2),
    order(1005.5, "o2"),
    order(1002, "o3", qty=3),  # o3 late
    order(1004, "o1"),  # duplicate
    refund(1010, "o2"),
    order(1012, "o4", sku="B"),
    like(1001, 9),  # a like > 5 s late
    *[order(1013 + k, f"x{k}", qty=1 + k % 2) for k in range(30)],
    ev.Viewers(room=R, ts=1030.0, online=120),
    like(1080),
    refund(1081, "x3"),
    order(1079, "late"),
]


@pytest.mark.parametrize("size", [1, 2, 7, 50, len(EVENTS)])
def test_batching_does_not_change_numbers_or_closed_seconds(size):
    """The same events in batches of any size give identical metrics and listener calls."""
    whole_calls: list[tuple[Any, ...]] = []
    whole = recording_engine(whole_calls)
    whole.apply(EVENTS)
    calls: list[tuple[Any, ...]] = []
    engine = recording_engine(calls)
    for i in range(0, len(EVENTS), size):
        engine.apply(EVENTS[i : i + size])
    assert calls == whole_calls and len(calls) > 60
    assert engine.snapshot(R) == whole.snapshot(R)
    assert [c[1] for c in calls] == sorted({c[1] for c in calls})  # each second once, in order


def test_order_ids_past_the_refund_window_are_kept_compact() -> None:
    """Orders past the refund window leave the exact book: duplicates still drop, refunds
    are rejected with why, and the exact book stays bounded by the window."""
    engine = Engine(refund_window_s=100)
    early = [order(1000.0 + k, f"o{k}") for k in range(50)]
    engine.apply(early)
    room = engine.rooms["r"]
    # A refund inside the window counts.
    assert engine.apply([refund(1060.0, "o1")])[1] == []
    assert room.refunds == 1
    # 300 s later, with orders all along: the early ones are past the window.
    engine.apply([order(1060.0 + k, f"n{k}") for k in range(300)])
    assert "o5" not in room.order_book and "o5" not in room.older_book and "o5" in room.past_ids
    assert len(room.order_book) + len(room.older_book) <= 200
    changed, rejected = engine.apply([refund(1360.0, "o7")])
    assert rejected == [(0, "refund.order_id 'o7' is an order older than the refund window "
                            "(100 s of event time): its amounts are no longer held, so the "
                            "refund is not counted")]  # fmt: skip
    orders = room.orders
    engine.apply([early[9]])  # a resent old order: still a duplicate
    assert room.orders == orders and room.duplicate_orders == 1
    assert engine.apply([refund(1361.0, "never")])[1][0][1].endswith("is not a known order")
