"""The benchmarks run end to end and report their figures (speed itself is not asserted)."""

from __future__ import annotations

import re
import subprocess
import sys


def bench(*args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "livemon.cli", "bench", *args],
                          capture_output=True, text=True, timeout=240)  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_bench_ingest_reports_both_runs_beside_the_decode_rate() -> None:
    """``bench ingest`` prints a row per run (sim mix, many rooms, unbatched) with hub, decode
    and fold rates, the generic unpack rate, the hub's ratio to each decode, and the fold
    without detectors."""
    out = bench("ingest", "--events", "3000", "--unbatched", "300", "--rooms", "20")
    for label in ("sim, batches of 1000", "20 rooms, batches", "sim, unbatched (1/frame)"):
        row = next(line for line in out.splitlines() if line.startswith(label))
        numbers = [float(x.replace(",", "")) for x in re.findall(r"[\d,.]+", row[len(label) :])]
        events, hub, decode, ratio, fold, unpack, unpack_ratio, engine = numbers
        assert hub > 0 and decode > hub and fold > 0 and unpack > hub and engine > 0
        assert abs(ratio - hub / decode) < 0.01
        assert abs(unpack_ratio - hub / unpack) < 0.01


def test_bench_latency_reports_percentiles() -> None:
    """``bench latency`` measures every probe and prints p50 <= p90 <= p99."""
    out = bench("latency", "--seconds", "1", "--rate", "2000")
    p50, p90, p99 = (
        float(re.search(rf"{p} (\d+) ms", out).group(1)) for p in ("p50", "p90", "p99")
    )
    assert "100 probes" in out
    assert 0 < p50 <= p90 <= p99


def test_bench_replay_reports_each_stage() -> None:
    """``bench replay`` records a session and reports decode, engine and play rates, keyframe
    seeks and the report time for it."""
    out = bench("replay", "--minutes", "6", "--viewers", "500", "--seeks", "3", "--every", "2")
    assert re.search(r"[\d,]+ events in [\d,]+ records, [\d.]+ MiB log", out)
    for stage in ("decode only", "engine + detectors", "play into a hub"):
        line = next(line for line in out.splitlines() if line.startswith(stage))
        assert float(re.search(r"([\d,]+) events/s", line).group(1).replace(",", "")) > 0
    seek = re.search(r"keyframes every 2 min: (\d+) kept.*median (\d+) ms, max (\d+) ms", out)
    assert seek and int(seek.group(1)) >= 3
    assert re.search(r"report: fold and gather [\d.]+ s", out)


def test_bench_memory_reports_rss_as_the_session_grows() -> None:
    """``bench memory`` prints RSS at eight points of the session and the growth per event."""
    out = bench("memory", "--hours", "0.1", "--viewers", "1000")
    rows = [line.split() for line in out.splitlines()[1:] if line.strip()[:1].isdigit()]
    assert len(rows) == 8
    events = [int(r[0].replace(",", "")) for r in rows]
    assert events == sorted(events) and events[0] > 0
    assert re.search(r"grew [\d.-]+ MiB over [\d,]+ events: -?\d+ bytes/event", out)


def test_bench_detect_reports_the_demo_real_curves_and_the_oracle_ratio() -> None:
    """``bench detect`` scores the demo's incidents, the real viewer curves and the oracle ratio."""
    out = bench("detect", "--seeds", "1", "--minutes", "20", "--no-sweep", "--workers", "1")
    assert "the demo (livemon run): scenario mixed" in out and "MISSED" not in out
    total = next(line for line in out.splitlines() if line.startswith("all "))
    hours, false, fa_h, falls, recall = total.split()[1:6]
    assert float(hours) > 3 and int(falls) > 80 and 0 <= float(recall) <= 1
    oracle = re.search(r"^\s+1000\s+40%\s+\d+\s+\S+\s+\S+\s+\S+\s+\S+\s+\S+\s+(\S+)$", out, re.M)
    assert oracle, out
    assert re.search(r"1000 viewers, mixed *: [\d.]+ µs/event", out)
    assert "in small rooms" not in out  # --no-sweep runs no small room: no empty table
