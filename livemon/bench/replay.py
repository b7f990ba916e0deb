"""``livemon bench replay``: how fast a recording folds back at full speed.

Records a sim session through an embedded hub, then measures, on that log:
reading and validating it alone (``replay.records``), folding it into an
engine with the detectors, and playing it into a fresh hub (what
``livemon replay`` and crash recovery do).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

from livemon import config, replay
from livemon.detect import Monitor
from livemon.engine import Engine
from livemon.hub import Hub

TOKENS = {"ingest": "bench-i", "watch": "bench-w", "control": "bench-c"}


async def _record(record_dir: Path, minutes: float, viewers: int) -> Path:
    from plugins.sim import SimAdapter

    hub = Hub(config.load(), record_dir, tokens=TOKENS)
    adapter = SimAdapter(room="bench", speed="max", duration=minutes * 60, viewers=viewers,
                         scenario="mixed", batch_seconds=10)  # fmt: skip
    await hub.run_adapter(adapter)
    await hub.stop()
    (log,) = (record_dir / "bench").glob("*.lmrec")
    return log


async def _play(record_dir: Path, log: Path) -> float:
    hub = Hub(config.load(), record_dir, tokens=TOKENS)
    t0 = time.perf_counter()
    await replay.play(hub, log, "bench")
    elapsed = time.perf_counter() - t0
    await hub.stop()
    return elapsed


def main(argv: list[str]) -> int:
    """Run the benchmark and print its figures; returns the exit status."""
    parser = argparse.ArgumentParser(prog="livemon bench replay", description=__doc__)
    parser.add_argument("--minutes", type=float, default=60.0)
    parser.add_argument("--viewers", type=int, default=20_000)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="livemon-bench-") as scratch:
        print(f"recording a {args.minutes:g}-minute sim session ...", file=sys.stderr)
        log = asyncio.run(_record(Path(scratch) / "live", args.minutes, args.viewers))
        t0 = time.perf_counter()
        batches = [events for _, kind, _, events in replay.records(log, "bench")
                   if kind == "events"]  # fmt: skip
        read = time.perf_counter() - t0
        count = sum(map(len, batches))
        engine = Engine(on_new_room=Monitor(config.load().get("detect", {})))
        t0 = time.perf_counter()
        for events in batches:
            engine.apply(events)
        fold = time.perf_counter() - t0
        hub = asyncio.run(_play(Path(scratch) / "replayed", log))
        size = log.stat().st_size
    print(f"{count:,} events, {size / 2**20:.1f} MiB log")
    print(f"read + validate      {count / read:12,.0f} events/s")
    print(f"fold + detectors     {count / fold:12,.0f} events/s")
    print(f"read+validate+fold   {count / (read + fold):12,.0f} events/s")
    print(f"play into a hub      {count / hub:12,.0f} events/s (livemon replay, unpaced)")
    return 0
