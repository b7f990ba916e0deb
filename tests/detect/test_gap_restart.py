"""A gap in event time longer than the detectors' windows restarts their baselines.

A session resumed after a long stop (or an adapter back after a long outage)
used to be judged against the level it had before: the first thing it raised
was a false ``viewer_drop crit "online 50 is 27% below its baseline 69"``.
"""

from __future__ import annotations

import numpy as np

from livemon import config, events
from livemon.detect import Monitor
from livemon.engine import Engine

T0 = 1_767_225_600
ROOM = "gap-room"
GAP_S = 3 * 3600  # the room was quiet this long: far past every detector's window
BASELINE_KINDS = ("viewer_drop", "conversion_drop")


def _stretch(start: int, seconds: int, online: int, per_order_s: float, seed: int,
             drop_at: int | None = None) -> list[dict]:  # fmt: skip
    """``seconds`` of a room from ``start``: viewers each second around ``online`` (halved
    from ``drop_at`` on, if given), an order every ``per_order_s`` seconds, some comments."""
    rng = np.random.default_rng(seed)
    out: list[dict] = []
    next_order = start + rng.exponential(per_order_s)
    for k in range(seconds):
        ts = start + k
        level = online if drop_at is None or k < drop_at else online // 2
        out.append({"type": "viewers", "room": ROOM, "ts": ts + 0.5,
                    "online": int(level * (1 + 0.01 * rng.standard_normal()))})  # fmt: skip
        if k % 3 == 0:
            out.append({"type": "comment", "room": ROOM, "ts": ts + 0.2, "user": f"u{k % 97}",
                        "text": "nice"})  # fmt: skip
        while next_order < ts + 1:
            out.append({"type": "order", "room": ROOM, "ts": round(next_order, 3),
                        "order_id": f"{seed}-{len(out)}", "sku": "A1", "qty": 1,
                        "price_cents": 990, "buyer": f"b{len(out) % 500}"})  # fmt: skip
            next_order += rng.exponential(per_order_s)
    return out


def _session(drop_at: int | None = None) -> list:
    """25 busy minutes at about 690 online, three hours of nothing, then 25 minutes at
    about 500 online converting at half the rate (and, with ``drop_at``, a real fall)."""
    before = _stretch(T0, 1500, 690, 4.0, seed=1)
    after = _stretch(T0 + 1500 + GAP_S, 1500, 500, 11.0, seed=2, drop_at=drop_at)
    return [events.from_dict(e) for e in before + after]


def _alerts(evs: list, batch: int) -> list[tuple]:
    monitor = Monitor(config.load()["detect"])
    engine = Engine(on_new_room=monitor)
    changes: list[tuple] = []
    for i in range(0, len(evs), batch):
        engine.apply(evs[i : i + batch])
        changes += monitor.drain()
    return changes


def _opened_after_gap(changes: list[tuple]) -> list[dict]:
    resumed = T0 + 1500 + GAP_S
    return [a for ts, a in changes if ts >= resumed and a["state"] == "open"]


def test_a_session_resumed_at_a_lower_level_raises_nothing_from_its_old_baseline():
    """Back after three hours at 500 online (from 690) and half the conversion, the room
    raises no viewer_drop or conversion_drop: the baselines start again after the gap."""
    changes = _alerts(_session(), batch=500)
    wrong = [(a["kind"], a["detail"]) for a in _opened_after_gap(changes)
             if a["kind"] in ("viewer_drop", "conversion_drop")]  # fmt: skip
    assert wrong == []


def test_a_real_fall_after_the_gap_is_still_found_and_replays_alike():
    """Halving the audience 20 minutes after the gap opens a viewer_drop against the new
    level (about 500, not 690), and folding in other batch sizes gives the same alerts."""
    evs = _session(drop_at=1200)
    changes = _alerts(evs, batch=500)
    drops = [a for a in _opened_after_gap(changes) if a["kind"] == "viewer_drop"]
    assert drops, "the real fall after the gap was missed"
    assert drops[0]["since"] >= T0 + 1500 + GAP_S + 1190
    assert 450 <= drops[0]["evidence"]["reference"] <= 560
    assert _alerts(evs, batch=37) == changes
    assert _alerts(evs, batch=len(evs)) == changes


async def test_a_hub_resuming_a_killed_session_hours_later_raises_nothing_from_before(tmp_path):
    """A hub killed mid-session (session left open) and started again three hours later folds
    the old log back, then takes the room at 500 online from 690: no viewer_drop or
    conversion_drop, and the folded numbers carry on (orders of both stretches count)."""
    from livemon import wire
    from livemon.hub import Hub

    tokens = {"ingest": "ingest-token-0001", "watch": "watch-token-00001",
              "control": "control-token-01"}  # fmt: skip
    before = _stretch(T0, 1500, 690, 4.0, seed=1)
    after = _stretch(T0 + 1500 + GAP_S, 1500, 500, 11.0, seed=2)
    first = Hub(config.load(), tmp_path, tokens=tokens)
    assert first.ingest_frame("feed", None, wire.encode_batch(1, before)) == []
    await first.flush()
    await first.stop(end_session=False)  # as if killed: the session stays open
    hub = Hub(config.load(), tmp_path, tokens=tokens)
    try:
        assert hub.session == first.session and hub.held["feed"] == len(before)
        hub.take_alert_changes()  # what the fold of the old log raised
        assert hub.ingest_frame("feed", None, wire.encode_batch(len(before) + 1, after)) == []
        opened = [a for _, a in hub.take_alert_changes() if a["state"] == "open"]
        wrong = [(a["kind"], a["detail"]) for a in opened if a["kind"] in BASELINE_KINDS]
        assert wrong == []
        orders = sum(e["type"] == "order" for e in before + after)
        assert hub.engine.rooms[ROOM].orders == orders
    finally:
        await hub.stop()
