"""``livemon bench replay``: how fast a recording folds back, seeks and is reported.

Records a sim session through an embedded hub (default: 4 hours of a
20,000-viewer room), then measures on that log: decoding it alone (the
log's MessagePack records, then validated events as ``replay.records`` gives
them), folding it through the engine with the detectors, playing it into a
hub (what ``livemon replay`` and crash recovery do), building keyframes,
seeking to random minutes, and writing the report.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from livemon import config, keyframes, replay
from livemon.detect import Monitor
from livemon.engine import Engine
from livemon.hub import Hub
from livemon.record import log as logfile
from livemon.record.recorder import room_dir_name

TOKENS = {"ingest": "bench-i", "watch": "bench-w", "control": "bench-c"}


async def _record(record_dir: Path, minutes: float, viewers: int) -> Path:
    from plugins.sim import SimAdapter

    hub = Hub(config.load(), record_dir, tokens=TOKENS)
    adapter = SimAdapter(
        room="bench",
        speed="max",
        duration=minutes * 60,
        viewers=viewers,
        scenario="mixed",
        batch_seconds=10,
    )
    await hub.run_adapter(adapter)
    await hub.stop()
    (log,) = (record_dir / room_dir_name("bench")).glob("*.lmrec")
    return log


async def _play(log: Path) -> float:
    from livemon.player import Player

    hub, scratch = keyframes.scratch_hub(config.load())
    t0 = time.perf_counter()
    await Player(hub, log, "bench").run()
    elapsed = time.perf_counter() - t0
    hub.catalog.close()
    scratch.cleanup()
    return elapsed


def seek_times(log: Path, index: keyframes.Index, n: int, seed: int = 1) -> list[float]:
    """Seconds taken by ``n`` seeks to random minutes of the recording, in random order."""
    from livemon.player import Player

    hub, scratch = keyframes.scratch_hub(config.load())
    player = Player(hub, log, "bench", None, index)
    rng = random.Random(seed)
    span_min = (index.last_ts - index.first_ts) / 60  # type: ignore[operator]
    times = []
    for _ in range(n):
        target = index.first_ts + rng.randrange(int(span_min) + 1) * 60  # type: ignore[operator]
        t0 = time.perf_counter()
        player.goto(target)
        times.append(time.perf_counter() - t0)
    hub.catalog.close()
    scratch.cleanup()
    return times


def main(argv: list[str]) -> int:
    """Run the benchmark and print its figures; returns the exit status."""
    parser = argparse.ArgumentParser(prog="livemon bench replay", description=__doc__)
    parser.add_argument("--minutes", type=float, default=240.0)
    parser.add_argument("--viewers", type=int, default=20_000)
    parser.add_argument("--seeks", type=int, default=10, help="random minutes to seek to")
    parser.add_argument(
        "--every",
        type=float,
        nargs="*",
        default=[keyframes.EVERY_S / 60],
        help="keyframe intervals to measure, in event-minutes",
    )
    parser.add_argument("--log", help="measure this recording instead of recording one")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="livemon-bench-") as scratch:
        if args.log:
            log = Path(args.log)
        else:
            print(
                f"recording a {args.minutes:g}-minute sim session of {args.viewers:,} viewers ...",
                file=sys.stderr,
            )
            t0 = time.perf_counter()
            log = asyncio.run(_record(Path(scratch) / "live", args.minutes, args.viewers))
            print(f"recorded in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
        _measure(log, args)
    return 0


def _measure(log: Path, args: argparse.Namespace) -> None:
    from livemon import wire

    t0 = time.perf_counter()
    n_records = decoded = 0
    for _, rec in logfile.read(log):
        n_records += 1
        if rec[0] == logfile.EVENTS:
            parsed = wire.decode_batch(rec[4])
            decoded += len(parsed[1]) if parsed else 0
    raw = time.perf_counter() - t0
    t0 = time.perf_counter()
    batches = [events for _, kind, _, events in replay.records(log, "bench") if kind == "events"]
    read = time.perf_counter() - t0
    count = sum(map(len, batches))
    engine = Engine(on_new_room=Monitor(config.load().detect))
    t0 = time.perf_counter()
    for events in batches:
        engine.apply(events)
    fold = time.perf_counter() - t0
    played = asyncio.run(_play(log))
    size = log.stat().st_size
    print(f"{count:,} events in {n_records:,} records, {size / 2**20:.1f} MiB log")
    print(f"decode only (typed events)  {decoded / raw:12,.0f} events/s")
    print(f"decode + accept (de-dup)    {count / read:12,.0f} events/s")
    print(f"engine + detectors          {count / fold:12,.0f} events/s (events already decoded)")
    print(f"decode+validate+engine      {count / (read + fold):12,.0f} events/s")
    print(
        f"play into a hub (max speed) {count / played:12,.0f} events/s "
        f"({played:.1f} s: livemon replay --headless, crash recovery)"
    )
    for every_min in args.every:
        t0 = time.perf_counter()
        index = keyframes.build(log, "bench", config.load(), every_s=every_min * 60)
        built = time.perf_counter() - t0
        times = seek_times(log, index, args.seeks)
        print(
            f"keyframes every {every_min:g} min: {len(index.keyframes)} kept, "
            f"{index.size / 2**20:.1f} MiB, built in {built:.1f} s; "
            f"seek to {len(times)} random minutes: median {statistics.median(times) * 1000:.0f}"
            f" ms, max {max(times) * 1000:.0f} ms"
        )
    try:
        from livemon.report import build_report
    except ImportError:
        return
    t0 = time.perf_counter()
    report = build_report(log, "bench", config.load())
    collected = time.perf_counter() - t0
    from livemon.report import render

    t0 = time.perf_counter()
    html = render.html(report)
    render.markdown(report)
    drawn = time.perf_counter() - t0
    print(
        f"report: fold and gather {collected:.1f} s, draw html ({len(html) / 1024:.0f} KiB)"
        f" + md {drawn:.1f} s"
    )
