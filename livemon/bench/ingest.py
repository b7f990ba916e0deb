"""``livemon bench ingest``: events per second through a real websocket into the hub.

The hub runs as its own process (``livemon serve``, recording to a scratch
dir), so the sender and the hub each have a core. Two mixes: a sim session's
(one big room: its real mix of comments, likes, viewers, orders) and, with
``--rooms N``, many small rooms of 1,000 viewers (``bench.rooms``: about 2
events per room-second). They are encoded before the clock starts. A run
ends when the hub has acked the last seq, that is when everything is folded
and fsynced. The decode-only rate of the very same frames is measured in the
same run, as the ceiling: typed (``wire.decode_batch``, what the hub runs)
and generic (``msgpack.unpackb`` into plain dicts and lists, what a client
decoding only the MessagePack would do), each with the hub's ratio to it.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections import Counter

import msgpack

from livemon import wire
from livemon.bench.hub_process import hub_process, open_client
from livemon.engine import Engine


def sim_events(count: int, viewers: int = 200_000, room_id: str = "bench") -> list[dict]:
    """``count`` events of a large simulated room, in order, with unique order ids."""
    from plugins.sim.room import SimRoom

    room = SimRoom(scenario="steady", seed=11, room=room_id, viewers=viewers, duration=86_400)
    out: list[dict] = []
    while len(out) < count and not room.done:
        out.extend(room.step())
    return out[:count]


def frames_of(events: list[dict], batch: int) -> list[bytes]:
    """The events as ``events`` frames of ``batch`` events, seq from 1."""
    return [wire.encode_batch(i + 1, events[i : i + batch]) for i in range(0, len(events), batch)]


def decode_rate(frames: list[bytes], events: int) -> float:
    """Events per second decoding ``frames`` alone (typed, validated)."""
    t0 = time.perf_counter()
    for frame in frames:
        wire.decode_batch(frame)
    return events / (time.perf_counter() - t0)


def unpack_rate(frames: list[bytes], events: int) -> float:
    """Events per second unpacking ``frames`` as generic MessagePack (no types, no checks)."""
    t0 = time.perf_counter()
    for frame in frames:
        msgpack.unpackb(frame)
    return events / (time.perf_counter() - t0)


def fold_rate(frames: list[bytes], events: int, detectors: bool = True) -> float:
    """Events per second decoding and folding ``frames`` in-process (no I/O), with the
    detectors or, as the ceiling of any detection, without them."""
    from livemon import config
    from livemon.detect import Monitor

    engine = Engine(on_new_room=Monitor(config.load().detect) if detectors else None)
    t0 = time.perf_counter()
    for frame in frames:
        engine.apply(wire.decode_batch(frame)[1])  # type: ignore[index, arg-type]
    return events / (time.perf_counter() - t0)


def _print_mix(label: str, events: list[dict]) -> None:
    mix = Counter(e["type"] for e in events)
    print(f"{label}: " + ", ".join(f"{k} {v / len(events):.0%}" for k, v in mix.most_common()))


async def _feed(port: int, frames: list[bytes], events: int, name: str) -> float:
    """Send every frame to a fresh adapter name; seconds until the last seq is acked."""
    ws = await open_client(port, "/ingest", name, rooms=[])
    async with ws:
        done = asyncio.Event()

        async def read_acks() -> None:
            async for data in ws:
                message = wire.decode(data)
                if message["op"] == "ack" and message["seq"] >= events:
                    done.set()
                    return
                if message["op"] == "reject":
                    raise RuntimeError(f"bench event rejected: {message}")

        reader = asyncio.create_task(read_acks())
        t0 = time.perf_counter()
        for frame in frames:
            await ws.send(frame)
        await done.wait()
        elapsed = time.perf_counter() - t0
        await reader
    return elapsed


def bus_rows(url: str, runs: list[tuple[str, list[bytes], int]], rates: dict[str, float]) -> None:
    """The same runs into a hub on the bus: acked once JetStream has stored each frame."""
    with hub_process(bus=url) as port:
        print(f"{'on the bus (' + url + ')':28s} {'events':>10s} {'hub ev/s':>12s} "
              f"{'embedded':>12s} {'bus/emb':>7s}")  # fmt: skip
        for i, (label, frames, count) in enumerate(runs):
            # A fresh adapter name: the bus remembers every name's seqs across runs.
            name = f"bench-bus-{i}-{time.time_ns()}"
            elapsed = asyncio.run(_feed(port, frames, count, name))
            rate = count / elapsed
            print(f"{label:28s} {count:10,d} {rate:12,.0f} {rates[label]:12,.0f} "
                  f"{rate / rates[label]:7.2f}")  # fmt: skip


def main(argv: list[str]) -> int:
    """Run the benchmark and print its figures; returns the exit status."""
    parser = argparse.ArgumentParser(prog="livemon bench ingest", description=__doc__)
    parser.add_argument("--events", type=int, default=1_000_000, help="events sent in batches")
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--unbatched", type=int, default=100_000,
                        help="events sent one per frame")  # fmt: skip
    parser.add_argument("--rooms", type=int, default=500,
                        help="rooms of the many-small-rooms mix (0: sim mix only)")  # fmt: skip
    parser.add_argument("--bus", metavar="nats://HOST:PORT", help="also feed the sim runs to "
                        "a hub on this NATS server (serve --bus): the bus's cost")  # fmt: skip
    args = parser.parse_args(argv)

    print(f"making {args.events:,} sim events ...", file=sys.stderr)
    events = sim_events(args.events, room_id="bench-batched")
    _print_mix("sim mix", events)
    # Each run has its own room, so the second never repeats the first's orders.
    runs = [(f"sim, batches of {args.batch}", frames_of(events, args.batch), len(events))]
    if args.rooms:
        from livemon.bench.rooms import many_rooms

        print(f"making {args.events:,} events of {args.rooms} rooms ...", file=sys.stderr)
        rooms = many_rooms(args.events, args.rooms)
        _print_mix(f"{args.rooms} rooms mix", rooms)
        runs.append((f"{args.rooms} rooms, batches", frames_of(rooms, args.batch), len(rooms)))
    if args.unbatched:
        unbatched = sim_events(args.unbatched, room_id="bench-unbatched")
        runs.append(("sim, unbatched (1/frame)", frames_of(unbatched, 1), args.unbatched))

    rates: dict[str, float] = {}
    with hub_process() as port:
        print(f"{'run':28s} {'events':>10s} {'hub ev/s':>12s} {'decode ev/s':>12s} "
              f"{'ratio':>6s} {'fold ev/s':>12s} {'unpack ev/s':>12s} {'ratio':>6s} "
              f"{'engine ev/s':>12s}")  # fmt: skip
        for i, (label, frames, count) in enumerate(runs):
            print(f"  {label}: sending {len(frames):,} frames ...", file=sys.stderr)
            elapsed = asyncio.run(_feed(port, frames, count, f"bench-{i}"))
            rate = count / elapsed
            rates[label] = rate
            decode = decode_rate(frames, count)
            fold = fold_rate(frames, count)
            unpack = unpack_rate(frames, count)
            engine = fold_rate(frames, count, detectors=False)
            print(f"{label:28s} {count:10,d} {rate:12,.0f} {decode:12,.0f} "
                  f"{rate / decode:6.2f} {fold:12,.0f} "
                  f"{unpack:12,.0f} {rate / unpack:6.2f} {engine:12,.0f}")  # fmt: skip
    if args.bus:
        bus_rows(args.bus, [r for r in runs if r[0].startswith("sim")], rates)
    print(
        "hub ev/s: websocket -> validate -> engine + detectors -> recorder, until the last seq "
        "is acked (fsynced); decode: the same frames, typed decode only (the hub's decoder); "
        "fold: decode + engine + detectors in-process; unpack: the same frames as generic "
        "MessagePack (msgpack.unpackb); each ratio is hub ev/s over the column before it; "
        "engine: decode + engine in-process without detectors (what any detection adds to)"
    )
    return 0
