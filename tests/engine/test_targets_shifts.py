"""Target projections (steady, accelerating, stalled), behind_target hysteresis, and per-shift
totals that add up exactly to the session's."""

from __future__ import annotations

from livemon import events as ev
from livemon.config import BehindTargetConfig
from livemon.detect.behind_target import BehindTargetDetector
from livemon.detect.lifecycle import AlertBook
from livemon.detect.targets_watch import TargetWatch
from livemon.engine import Engine
from livemon.engine.targets import PACE_HALF_LIFE_S, TargetTracker

T0 = 1_767_225_600.0
ROOM = "r1"


def orders_at(per_second: list[int], start: float = T0, price: int = 1000) -> list[ev.Order]:
    """`per_second[i]` orders in second i (spread inside it), each of one unit at `price`."""
    out = []
    for i, n in enumerate(per_second):
        for k in range(n):
            out.append(ev.Order(room=ROOM, ts=start + i + k / (n + 1), order_id=f"o{i}-{k}",
                                sku="A1", qty=1, price_cents=price, buyer=f"b{i}-{k}"))  # fmt: skip
    return out


def run(per_second: list[int], duration_s: float = 7200.0) -> tuple[Engine, TargetTracker]:
    """Fold the orders, then move the clock past the lateness so every second is closed."""
    engine = Engine()
    state = engine.room(ROOM)
    tracker = TargetTracker(state, {"orders": 10_000, "gmv_cents": 10**9}, duration_s)
    engine.apply([ev.Product(room=ROOM, ts=T0, sku="A1", name="a", price_cents=1000)])
    engine.apply(orders_at(per_second))
    return engine, tracker


def target(tracker: TargetTracker, key: str) -> dict:
    return next(t for t in tracker.snapshot() if t["key"] == key)


def test_steady_pace_projects_a_straight_line():
    """Two orders every second for 20 minutes project done + 2/s x the seconds left."""
    engine, tracker = run([2] * 1200)
    state = engine.rooms[ROOM]
    t = target(tracker, "orders")
    assert t["done"] == 2400
    left = T0 + 7200 - state.clock
    assert abs(t["projected"] - (2400 + 2 * left)) <= 1
    assert abs(t["pace_per_min"] - 120) < 0.01
    gmv = target(tracker, "gmv_cents")
    assert abs(gmv["projected"] - (2400 + 2 * left) * 1000) <= 1000


def test_accelerating_pace_projects_above_the_old_pace_and_below_the_new():
    """After 1 order/s for 20 minutes, 3/s for 5 minutes: the projection lies between the two
    paces' straight lines, past halfway toward the new one (one half-life has gone by)."""
    engine, tracker = run([1] * 1200 + [3] * int(PACE_HALF_LIFE_S))
    state = engine.rooms[ROOM]
    t = target(tracker, "orders")
    left = T0 + 7200 - state.clock
    old, new = t["done"] + 1 * left, t["done"] + 3 * left
    assert old < t["projected"] < new
    assert t["projected"] >= old + 0.45 * (new - old)


def test_stalled_pace_decays_to_what_is_done():
    """After a steady pace, a long stall halves the pace every half-life: the projection
    comes down toward what is done."""
    engine, tracker = run([2] * 1200 + [0] * int(4 * PACE_HALF_LIFE_S) + [1])
    t = target(tracker, "orders")
    assert t["done"] == 2401
    assert 0 < t["pace_per_min"] <= 120 / 16 + 0.5
    engine2, tracker2 = run([2] * 1200)
    assert t["projected"] < target(tracker2, "orders")["projected"] - 1000


def test_behind_target_opens_and_clears_with_hysteresis():
    """Under share for sustain_s opens; wobbling between share and clear_share neither opens
    a closed alert nor clears an open one; clear_share for sustain_s clears."""
    d = BehindTargetDetector(share=0.9, clear_share=0.97, crit_share=0.7, sustain_s=60,
                             warmup_s=100)  # fmt: skip
    t = 0
    for _ in range(200):  # in warm-up and then on target
        d.update(t, 0.5 if t < 100 else 1.0)
        t += 1
    assert not d.alarm
    for _ in range(59):
        d.update(t, 0.85)
        t += 1
    assert not d.alarm
    d.update(t, 0.93)  # between the two lines: the run toward opening restarts
    t += 1
    for _ in range(59):
        d.update(t, 0.85)
        t += 1
    assert not d.alarm
    d.update(t, 0.85)
    t += 1
    assert d.alarm and d.severity == "warn"
    for _ in range(300):  # wobbling between share and clear_share: stays open
        d.update(t, 0.95 if t % 2 else 0.91)
        t += 1
    assert d.alarm
    d.update(t, 0.6)
    t += 1
    assert d.severity == "crit"
    for _ in range(59):
        d.update(t, 0.99)
        t += 1
    assert d.alarm
    d.update(t, 0.99)
    assert not d.alarm


def test_behind_target_alert_in_the_book_with_the_coupon_template():
    """A room far behind its orders target gets one behind_target alert, after warm-up and
    sustain, suggesting the configured coupon; the detail says it in plain words."""
    engine = Engine()
    state = engine.room(ROOM)
    book = AlertBook(ROOM, 30.0)
    tracker = TargetTracker(state, {"orders": 100_000}, 7200.0)
    cfg = BehindTargetConfig(sustain_s=60, warmup_s=120, coupon_discount_cents=800,
                             coupon_count=50)  # fmt: skip
    TargetWatch(state, tracker, book, cfg)
    engine.apply([ev.Product(room=ROOM, ts=T0, sku="A1", name="a", price_cents=1000)])
    engine.apply(orders_at([1] * 400))
    engine.apply([ev.Like(room=ROOM, ts=T0 + 410, n=1)])
    opened = [a for _, a in book.drain() if a["kind"] == "behind_target"]
    assert len(opened) == 1 and opened[0]["state"] == "open"
    assert opened[0]["since"] == T0 + 179  # judged from t=120 s (warm-up), 60 s under share
    assert opened[0]["suggest"] == {
        "action": "coupon",
        "args": {"discount_cents": 800, "count": 50},
    }
    assert "behind by" in opened[0]["detail"] and "at this pace" in opened[0]["detail"]


def test_shift_totals_add_up_to_the_session_with_a_change_mid_second():
    """A host change in the middle of a second splits that second's orders, comments and
    follows between the two shifts; every additive total of the shifts sums to the session's."""
    engine = Engine()
    state = engine.room(ROOM)
    events: list = [ev.Product(room=ROOM, ts=T0, sku="A1", name="a", price_cents=1000),
                    ev.Viewers(room=ROOM, ts=T0, online=100)]  # fmt: skip
    events += orders_at([1] * 10)
    events += [ev.Comment(room=ROOM, ts=T0 + i + 0.2, user=f"u{i}", text="hi") for i in range(10)]
    events += [ev.Follow(room=ROOM, ts=T0 + i + 0.3, user=f"f{i}") for i in range(10)]
    events.sort(key=lambda e: e.ts)
    first = [e for e in events if e.ts < T0 + 4.5]
    second = [e for e in events if e.ts >= T0 + 4.5]
    engine.apply(first)
    state.shifts.change(state, "小美")  # at T0 + 4.3 or so: inside second 4
    changed_at = state.clock
    assert int(changed_at) == int(T0 + 4) and changed_at != int(changed_at)
    engine.apply([ev.Viewers(room=ROOM, ts=T0 + 4.6, online=300)])
    engine.apply(second)
    shifts = state.shifts.all(state)
    assert [s["host"] for s in shifts] == [None, "小美"]
    assert shifts[0]["until"] == shifts[1]["since"] == changed_at
    for key, total in (("gmv_cents", state.gmv_cents), ("orders", state.orders),
                       ("units", state.units), ("comments", state.comments),
                       ("follows", state.follows)):  # fmt: skip
        assert sum(s[key] for s in shifts) == total, key
    assert shifts[0]["orders"] == 5 and shifts[1]["orders"] == 5
    assert shifts[0]["online_peak"] == 100 and shifts[1]["online_peak"] == 300
    assert shifts[1]["buyers"] == 5


def test_scheduled_shifts_start_at_their_time():
    """A host schedule hands over at the slot's start, measured from the first event."""
    engine = Engine()
    state = engine.room(ROOM)
    state.shifts.set_schedule([(0, 60, "A"), (60, 120, "B")], state.clock)
    engine.apply([ev.Like(room=ROOM, ts=T0 + s, n=1) for s in range(0, 130)])
    shifts = state.shifts.all(state)
    assert [s["host"] for s in shifts] == ["A", "B", None]
    assert [s["since"] for s in shifts] == [T0, T0 + 60, T0 + 120]


def test_shift_buyers_stay_their_own_after_a_change_and_a_keyframe():
    """The first shift's buyers stop growing when it ends, while the room's go on; the next
    shift counts only its own buyers, also after the state is pickled and restored."""
    import pickle

    engine = Engine()
    state = engine.room(ROOM)

    def order(ts: float, oid: str, buyer: str) -> ev.Order:
        return ev.Order(room=ROOM, ts=ts, order_id=oid, sku="A1", qty=1, price_cents=100,
                        buyer=buyer)  # fmt: skip

    engine.apply([order(T0 + 1, "o1", "ann")])
    engine.rooms[ROOM] = state = pickle.loads(pickle.dumps(state))
    engine.apply([order(T0 + 2, "o2", "bob")])
    state.shifts.change(state, "小美")
    engine.apply([order(T0 + 3, "o3", "bob"), order(T0 + 4, "o4", "cat")])
    engine.rooms[ROOM] = state = pickle.loads(pickle.dumps(state))
    engine.apply([order(T0 + 5, "o5", "dan")])
    shifts = state.shifts.all(state)
    assert [s["buyers"] for s in shifts] == [2, 3]
    assert state.metrics()["buyers"] == 4
