"""The many-small-rooms mix: an agency's rooms of about 1,000 viewers each.

Each room, every second of event time: a ``viewers`` and an ``enter`` report
every 2 s, comments (0.6/s), likes (0.3/s, batched by the platform) and
orders (about 20 a minute: 1,000 viewers x 2 %/min), with a few refunds;
about 2 events per room-second. Rooms are interleaved second by second as an
adapter multiplexing many rooms would send them. Seeded and deterministic.

>>> events = many_rooms(2_000, rooms=10)
>>> len(events), len({e["room"] for e in events})
(2000, 10)
>>> round(len(events) / (10 * (events[-1]["ts"] - events[0]["ts"])), 1)
2.3
"""

from __future__ import annotations

import random
from typing import Any

START = 1764000000.0
PRODUCTS = 5
VIEWERS = 1000
COMMENT_RATE = 0.6
LIKE_RATE = 0.3
ORDER_RATE = VIEWERS * 0.02 / 60
REFUND_SHARE = 0.01
WORDS = ("多少钱", "链接", "好看", "尺码", "怎么买", "nice", "price?", "卡了", "来了", "主播好")


def many_rooms(count: int, rooms: int = 500, seed: int = 7) -> list[dict[str, Any]]:
    """``count`` events of ``rooms`` rooms of 1,000 viewers, in time order per room."""
    rng = random.Random(seed)
    names = [f"r{i:04d}" for i in range(rooms)]
    out: list[dict[str, Any]] = []
    for room in names:
        out.append({"type": "live", "room": room, "ts": START, "on": True})
        for p in range(PRODUCTS):
            out.append({"type": "product", "room": room, "ts": START, "sku": f"p{p}",
                        "name": f"product {p}", "price_cents": 990 + 500 * p,
                        "stock": 1_000_000})  # fmt: skip
        out.append({"type": "featured", "room": room, "ts": START, "sku": "p0"})
    orders: dict[str, list[str]] = {room: [] for room in names}
    sec = 0
    while len(out) < count:
        base = START + 1 + sec
        for r, room in enumerate(names):
            if (sec + r) % 2 == 0:
                online = VIEWERS + rng.randint(-50, 50)
                out.append({"type": "viewers", "room": room, "ts": base + 0.01, "online": online})
            else:
                out.append({"type": "enter", "room": room, "ts": base + 0.02,
                            "n": rng.randint(5, 25)})  # fmt: skip
            if rng.random() < COMMENT_RATE:
                out.append({"type": "comment", "room": room, "ts": base + 0.3,
                            "user": f"u{rng.randrange(VIEWERS)}",
                            "text": rng.choice(WORDS)})  # fmt: skip
            if rng.random() < LIKE_RATE:
                out.append({"type": "like", "room": room, "ts": base + 0.4,
                            "n": rng.randint(1, 30)})  # fmt: skip
            if rng.random() < ORDER_RATE:
                oid = f"{room}-{sec}"
                orders[room].append(oid)
                out.append({"type": "order", "room": room, "ts": base + 0.5, "order_id": oid,
                            "sku": f"p{rng.randrange(PRODUCTS)}", "qty": 1,
                            "price_cents": 990, "buyer": f"u{rng.randrange(VIEWERS)}"})  # fmt: skip
                if rng.random() < REFUND_SHARE and len(orders[room]) > 10:
                    old = orders[room].pop(rng.randrange(len(orders[room]) - 10))
                    out.append({"type": "refund", "room": room, "ts": base + 0.6,
                                "order_id": old})  # fmt: skip
        sec += 1
    return out[:count]
