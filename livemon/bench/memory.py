"""``livemon bench memory``: resident memory of the engine and detectors over a long session.

Folds a simulated broadcast (default 4 hours at 20,000 viewers) through the
engine with its detectors, batch by batch as the hub would, and prints the
process's resident set size as the session grows, so the growth per event
can be read off.
"""

from __future__ import annotations

import argparse
import sys

from livemon import config, wire
from livemon.detect import Monitor
from livemon.engine import Engine


def rss_mib() -> float:
    """Resident set size of this process, in MiB (Linux)."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096 / 2**20


def main(argv: list[str]) -> int:
    """Run the benchmark and print its figures; returns the exit status."""
    from plugins.sim.room import SimRoom

    parser = argparse.ArgumentParser(prog="livemon bench memory", description=__doc__)
    parser.add_argument("--hours", type=float, default=4.0)
    parser.add_argument("--viewers", type=int, default=20_000)
    args = parser.parse_args(argv)
    room = SimRoom(scenario="steady", seed=5, room="mem", viewers=args.viewers,
                   duration=args.hours * 3600)  # fmt: skip
    engine = Engine(on_new_room=Monitor(config.load().detect))
    start = rss_mib()
    events = seq = 0
    marks = 1
    print(f"{'events':>10s} {'orders':>8s} {'RSS MiB':>8s}")
    while not room.done:
        batch = []
        for _ in range(10):
            batch += room.step()
            if room.done:
                break
        if not batch:
            continue
        _, items, _ = wire.decode_batch(wire.encode_batch(seq + 1, batch))
        seq += len(batch)
        engine.apply(items)
        engine.rooms["mem"].drop_comments()  # the hub drains comments every tick
        events += len(items)
        if room.second >= marks * room.duration / 8 or room.done:
            marks += 1
            print(f"{events:10,d} {engine.rooms['mem'].orders:8,d} {rss_mib():8.1f}")
            print(f"  {room.second / 3600:.1f} h simulated", file=sys.stderr)
    grown = rss_mib() - start
    print(f"grew {grown:.1f} MiB over {events:,} events: {grown * 2**20 / events:.0f} bytes/event")
    return 0
