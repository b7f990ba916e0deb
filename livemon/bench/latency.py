"""``livemon bench latency``: event received -> visible in a console snapshot, at a steady rate.

The hub runs as its own process. One connection feeds ``/ingest`` at a fixed
rate (default 20,000 events/s, in small batches every 10 ms), each batch
carrying one order; a ``/watch`` console reads snapshots. An order's latency
is the time from sending its batch to the first snapshot whose ``orders``
count includes it. Both clients share this process's clock.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time

import numpy as np

from livemon import wire
from livemon.bench.hub_process import hub_process, open_client


def _batch(k: int, size: int, ts: float) -> list[dict]:
    """``size`` events at event time ``ts``: comments and likes, then order number ``k``."""
    out: list[dict] = [
        {"type": "comment", "room": "lat", "ts": ts, "user": f"u{i}", "text": "好看 nice"}
        if i % 2 else {"type": "like", "room": "lat", "ts": ts, "n": 1}
        for i in range(size - 1)
    ]  # fmt: skip
    out.append({"type": "order", "room": "lat", "ts": ts, "order_id": f"o{k}", "sku": "a",
                "qty": 1, "price_cents": 100, "buyer": f"b{k}"})  # fmt: skip
    return out


async def _run(port: int, rate: int, seconds: float, tick_s: float) -> np.ndarray:
    feed = await open_client(port, "/ingest", "lat", rooms=["lat"])
    watch = await open_client(port, "/watch", "lat-watch")
    size = max(1, round(rate * tick_s))
    batches = int(seconds / tick_s)
    sent_at = np.zeros(batches + 1)
    seen_at = np.full(batches + 1, np.nan)

    async def read_snapshots() -> None:
        shown = 0
        async for data in watch:
            message = wire.decode(data)
            if message["op"] != "snapshot" or message["room"] != "lat":
                continue
            now = time.perf_counter()
            orders = message["metrics"]["orders"]
            if orders > shown:
                seen_at[shown + 1 : orders + 1] = now
                shown = orders
            if shown >= batches:
                return

    async def drain_acks() -> None:
        async for _ in feed:
            pass

    reader = asyncio.create_task(read_snapshots())
    acks = asyncio.create_task(drain_acks())
    start = time.perf_counter()
    t0 = 1_764_000_000.0
    for k in range(1, batches + 1):
        target = start + (k - 1) * tick_s
        delay = target - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        frame = wire.encode_batch((k - 1) * size + 1, _batch(k, size, t0 + (k - 1) * tick_s))
        sent_at[k] = time.perf_counter()
        await feed.send(frame)
    await asyncio.wait_for(reader, 30)
    acks.cancel()
    await feed.close()
    await watch.close()
    return (seen_at[1:] - sent_at[1:]) * 1000.0


def main(argv: list[str]) -> int:
    """Run the benchmark and print the latency percentiles; returns the exit status."""
    parser = argparse.ArgumentParser(prog="livemon bench latency", description=__doc__)
    parser.add_argument("--rate", type=int, default=20_000, help="events per second")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--tick", type=float, default=0.01, help="seconds between batches")
    args = parser.parse_args(argv)
    with hub_process() as port:
        print(f"feeding {args.rate:,} events/s for {args.seconds:g} s ...", file=sys.stderr)
        ms = asyncio.run(_run(port, args.rate, args.seconds, args.tick))
    p50, p90, p99 = np.percentile(ms, [50, 90, 99])
    print(
        f"rate {args.rate:,} events/s, {len(ms):,} probes: event sent -> in a snapshot "
        f"p50 {p50:.0f} ms, p90 {p90:.0f} ms, p99 {p99:.0f} ms, max {ms.max():.0f} ms"
    )
    return 0
