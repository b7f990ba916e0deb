"""``livemon bench detect``: how well and how fast the detectors find injected incidents.

Every sim scenario runs over many seeds; the events go straight into an
``Engine`` with the detectors attached (no websockets). Per alert kind it
prints precision, recall, median and p90 delay (event time from the injected
incident to the alert's ``since``) and false alarms per broadcast hour on
steady sessions, beside a simple peer on the same streams: "the last 10
minutes against the previous 10" (the only drop signal a major platform
publishes). Then a room-size sweep for conversion_drop and the detection cost
per event (the same events folded with and without detectors).

Tuning (``--tune``) uses seeds from 1000 up; the table uses seeds from 1 up,
so the reported figures come from streams the defaults were not chosen on.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import numpy as np

from livemon import wire
from livemon.bench import demo_run, oracle, real_curves
from livemon.detect import Monitor
from livemon.engine import Engine

PEER_WINDOW_S = 600
PEER_DROP = {"conversion_drop": 0.4, "viewer_drop": 0.25}  # docs/metrics.md's alert thresholds
# How long after an incident an alert still counts as finding it.
HORIZON_S = {"conversion_drop": 900, "viewer_drop": 300, "comment_surge": 180,
             "tech_issue": 120, "stock_out": 60}  # fmt: skip
KINDS = ("conversion_drop", "viewer_drop", "stock_out", "stock_low", "comment_surge",
         "tech_issue", "oversell")  # fmt: skip
TUNE_SEED0 = 1000
# The evidence key each named cause of a conversion_drop adds.
CAUSE_KEYS = {"featured_stock": "sold_out", "switch_s_ago": "product_switch",
              "viewer_drop": "viewer_drop"}  # fmt: skip
# The oracle ratio table: room sizes x conversion drops.
GRID = [(v, d) for d in (0.3, 0.4, 0.5) for v in (500, 1000, 5000)]
GRID_SEEDS = 48  # seeds per cell of that table by default (its median's spread: docs/detection.md)


def typed_events(job: dict[str, Any]) -> tuple[list, dict[str, Any]]:
    """The typed events and ground truth of one sim run described by ``job``."""
    from plugins.sim.room import SimRoom

    # The sim's viewer drop is 40 % over 10 s; the bench also asks for 40 % over 30 s.
    share, seconds = job.get("viewer_drop", (0.4, 10))
    room = SimRoom(scenario=job["scenario"], seed=job["seed"], duration=job["minutes"] * 60.0,
                   viewers=job.get("viewers", 1000), drop=job.get("drop", 0.6),
                   viewer_drop=share, viewer_drop_s=seconds)  # fmt: skip
    raw: list[dict[str, Any]] = []
    while not room.done:
        raw.extend(room.step())
    out: list = []
    for i in range(0, len(raw), 10_000):
        out += wire.decode_batch(wire.encode_batch(1, raw[i : i + 10_000]))[1]
    return out, {**room.ground_truth, "expected_orders": room.expected_orders}


def detect(events: list, detect_cfg: dict[str, Any]) -> tuple[list, np.ndarray, np.ndarray]:
    """Alerts opened ``(kind, sku, since)`` and per-second orders and viewer-seconds."""
    monitor = Monitor(detect_cfg)
    series: dict[int, tuple[int, int]] = {}

    def record(state, sec: int) -> None:
        series[sec] = (state.windows["orders"].at(sec), state.windows["viewer_s"].at(sec))

    def attach(state) -> None:
        monitor(state)
        state.second_listeners.append(record)

    Engine(on_new_room=attach).apply(events)
    opened = []
    seen: set[str] = set()
    for _, alert in monitor.drain():
        if alert["id"] not in seen:
            seen.add(alert["id"])
            opened.append((alert["kind"], alert["sku"], alert["since"], cause_of(alert)))
    secs = sorted(series)
    first = secs[0] if secs else 0
    arr = np.zeros((2, (secs[-1] - first + 1) if secs else 0))
    for s, (o, v) in series.items():
        arr[:, s - first] = (o, v)
    return opened, arr, np.array([first])


def cause_of(alert: dict[str, Any]) -> str:
    """The cause a conversion_drop alert names (from its evidence), else ``none``."""
    keys = alert["evidence"].keys()
    for key, cause in CAUSE_KEYS.items():
        if key in keys:
            return cause
    return "none"


def peer(arr: np.ndarray, first: int) -> list[tuple[str, float]]:
    """Alarms of the 10-against-10 peer: rising edges, with their event time."""
    orders, vs = arr
    w = PEER_WINDOW_S
    if len(orders) < 2 * w + 1:
        return []
    co, cv = np.concatenate(([0], np.cumsum(orders))), np.concatenate(([0], np.cumsum(vs)))
    t = np.arange(2 * w, len(orders) + 1)  # windows (t-w, t] and (t-2w, t-w] in index space
    last_o, prev_o = co[t] - co[t - w], co[t - w] - co[t - 2 * w]
    last_v, prev_v = cv[t] - cv[t - w], cv[t - w] - cv[t - 2 * w]
    out = []
    with np.errstate(divide="ignore", invalid="ignore"):
        conv = (last_o / last_v) <= (1 - PEER_DROP["conversion_drop"]) * (prev_o / prev_v)
        view = last_v <= (1 - PEER_DROP["viewer_drop"]) * prev_v
    for kind, alarm in (("conversion_drop", conv & (prev_o > 0)), ("viewer_drop", view)):
        edges = np.flatnonzero(alarm & ~np.concatenate(([False], alarm[:-1])))
        out += [(kind, float(first + t[i])) for i in edges]
    return out


def run_job(job: dict[str, Any]) -> dict[str, Any]:
    """One sim run: its incidents, the detectors' alerts, the peer's alarms (times relative)."""
    events, truth = typed_events(job)
    start = truth["start"]
    results = {}
    for label, cfg in job["configs"].items():
        opened, arr, first = detect(events, cfg)
        results[label] = [(k, s, since - start, c) for k, s, since, c in opened]
    oracle_alerts = []
    if job.get("oracle"):
        oracle_alerts = oracle_run(job, truth, arr, int(first[0]))
    return {
        "oracle": oracle_alerts,
        "job": {k: v for k, v in job.items() if k != "configs"},
        "incidents": [(i["kind"], i["sku"], i["ts"] - start) for i in truth["incidents"]],
        "alerts": results,
        "peer": [(k, None, t - start) for k, t in peer(arr, int(first[0]))],
        "events": len(events),
        "hours": job["minutes"] / 60,
    }


def oracle_run(job: dict[str, Any], truth: dict[str, Any], arr: np.ndarray,
               first: int) -> list[tuple[str, None, float]]:  # fmt: skip
    """The oracle CUSUM's first alarm after the conversion drop, as an alert (time relative)."""
    drop = job["oracle"]
    x = arr[0]
    expected = np.asarray(truth["expected_orders"])
    start_sec = int(truth["start"])
    idx = np.arange(len(x)) + first - start_sec
    mu = np.where((idx >= 0) & (idx < len(expected)), expected[np.clip(idx, 0, len(expected) - 1)],
                  0.0)  # fmt: skip
    h = oracle.threshold(mu, drop, seed=job["seed"])
    at = next(i["ts"] for i in truth["incidents"] if i["kind"] == "conversion_drop")
    t = oracle.first_alarm(x, mu, drop, h, int(at) - first)
    return [] if t is None else [("conversion_drop", None, first + t + 1 - truth["start"])]


def score(runs: list[dict[str, Any]], label: str, kind: str) -> dict[str, Any]:
    """Precision, recall, delays and steady false alarms per hour of ``kind``."""
    delays: list[float] = []
    found = missed = false = alerts_n = 0
    fa_steady, hours = 0, 0.0
    # The peer's own windows are 10 minutes: give it 20 to find what it can.
    horizon = HORIZON_S.get(kind, 60)
    if label == "peer":
        horizon = max(horizon, 1200)
    for run in runs:
        source = run[label] if label in ("peer", "oracle") else run["alerts"][label]
        # A conversion_drop that names its cause (a sold-out featured product,
        # ...) is an explained fall, not a false alarm: counted apart.
        alerts = [a for a in source if a[0] == kind and (len(a) < 4 or a[3] == "none")]
        if run["job"]["scenario"] == "steady":
            hours += run["hours"]
            if kind not in ("stock_out", "stock_low"):
                fa_steady += len(alerts)
                continue
        incidents = [i for i in run["incidents"] if i[0] == kind]
        used: set[int] = set()
        for _, sku, ts in incidents:
            hits = [
                j
                for j, (_, s, since, *_) in enumerate(alerts)
                if j not in used
                and (sku is None or s == sku)
                and ts - 1e-6 <= since <= ts + horizon
            ]
            if hits:
                used.add(hits[0])
                delays.append(alerts[hits[0]][2] - ts)
                found += 1
            else:
                missed += 1
        alerts_n += len(alerts)
        false += len(alerts) - len(used)
    if kind in ("stock_out",):
        fa_steady = None
    return {
        "precision": (alerts_n - false) / alerts_n if alerts_n else None,
        "recall": found / (found + missed) if found + missed else None,
        "median": statistics.median(delays) if delays else None,
        "p90": float(np.percentile(delays, 90)) if delays else None,
        "fa_h": fa_steady / hours if hours and fa_steady is not None else None,
        "n": found + missed,
    }


def stock_low_lead(runs: list[dict[str, Any]], label: str) -> tuple[float, float | None, int]:
    """Share of stock-outs with a stock_low alert >= 60 s before, and the median lead."""
    leads = []
    for run in runs:
        lows = [a for a in run["alerts"][label] if a[0] == "stock_low"]
        for _, sku, ts in (i for i in run["incidents"] if i[0] == "stock_out"):
            before = [a[2] for a in lows if a[1] == sku and a[2] <= ts]
            leads.append(ts - max(before) if before else 0.0)
    if not leads:
        return 0.0, None, 0
    return sum(lead >= 60 for lead in leads) / len(leads), statistics.median(leads), len(leads)


def _fmt(value: float | None, spec: str = ".2f") -> str:
    return "—" if value is None else format(value, spec)


def jobs(seeds: list[int], minutes: float, configs: dict[str, Any], sweep: bool,
         grid_seeds: list[int] | None = None) -> Iterator[dict]:  # fmt: skip
    """Every run of the table: scenarios over seeds, steady over twice as many, the sweep.

    The oracle grid runs over ``grid_seeds`` (``seeds`` unless given): a median
    of 12 delays moves by 15-20 % from one set of seeds to another.
    """
    base = {"minutes": minutes, "configs": configs}
    grid_seeds = seeds if grid_seeds is None else grid_seeds
    for seed in seeds + [s + 10_000 for s in seeds]:
        yield {**base, "scenario": "steady", "seed": seed}
    for seed in seeds:
        for scenario in ("stockout", "flash_sale", "tech_issue", "mixed"):
            yield {**base, "scenario": scenario, "seed": seed}
        yield {**base, "scenario": "conversion_drop", "seed": seed, "oracle": 0.4}
        yield {**base, "scenario": "viewer_drop", "seed": seed, "viewer_drop": (0.4, 30)}
        if sweep:
            for viewers in (200, 100):
                yield {**base, "scenario": "conversion_drop", "seed": seed, "viewers": viewers,
                       "tag": f"sweep{viewers}"}  # fmt: skip
    if sweep:
        # Steady rooms of the grid's other sizes: the false alarms the ratio is taken at.
        # With --grid-seeds, twice as many steady hours as grid seeds at every size.
        steady_seeds = grid_seeds if grid_seeds is not seeds else seeds
        others = {v for v, _ in GRID} - ({1000} if grid_seeds is seeds else set())
        for seed in steady_seeds + [s + 10_000 for s in steady_seeds]:
            for viewers in sorted(others):
                yield {**base, "scenario": "steady", "seed": seed, "viewers": viewers,
                       "tag": f"steady{viewers}"}  # fmt: skip
        for seed in grid_seeds:
            for viewers, drop in GRID:
                if (viewers, drop) != (1000, 0.4) or grid_seeds is not seeds:
                    yield {**base, "scenario": "conversion_drop", "seed": seed, "viewers": viewers,
                           "drop": round(1 - drop, 3), "oracle": drop,
                           "tag": f"grid{viewers}-{drop:g}"}  # fmt: skip


def cost_per_event(detect_cfg: dict[str, Any], viewers: int, minutes: float,
                   scenario: str = "mixed") -> tuple[float, int]:  # fmt: skip
    """Seconds per event the detectors add: fold the same events with and without them.

    CPU time of this process (``time.process_time``), best of 5: on a machine
    shared with other work, wall time mostly measures the others.
    """
    events, _ = typed_events({"scenario": scenario, "seed": 7, "minutes": minutes,
                              "viewers": viewers})  # fmt: skip
    best = {True: float("inf"), False: float("inf")}
    for _ in range(5):
        for with_detectors in (False, True):
            engine = Engine(on_new_room=Monitor(detect_cfg) if with_detectors else None)
            t0 = time.process_time()
            engine.apply(events)
            best[with_detectors] = min(best[with_detectors], time.process_time() - t0)
    return (best[True] - best[False]) / len(events), len(events)


def main(argv: list[str]) -> int:
    """Run the benchmark; print the table on stdout and progress on stderr."""
    parser = argparse.ArgumentParser(
        prog="livemon bench detect", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--seeds", type=int, default=12, help="seeds per scenario (steady: 2x)")
    parser.add_argument("--minutes", type=float, default=60.0, help="broadcast length of a run")
    parser.add_argument("--workers", type=int, default=2, help="processes")
    parser.add_argument(
        "--config",
        default=None,
        help="a TOML file merged over config/livemon.toml, as livemon run takes it",
    )
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME.key=value",
        help="override one setting, as livemon run takes it",
    )
    parser.add_argument(
        "--grid-seeds",
        type=int,
        default=GRID_SEEDS,
        help=f"seeds per cell of the oracle ratio table (default {GRID_SEEDS}: a median of "
        "12 delays moves by 15-20 %% from one set of seeds to another)",
    )
    parser.add_argument("--tune", action="store_true",
                        help="threshold sweep on tuning seeds")  # fmt: skip
    parser.add_argument(
        "--calibrate",
        action="store_true",
        help="find conversion_drop's margins (per room size, on steady tuning rooms) and stop",
    )
    parser.add_argument(
        "--no-sweep", action="store_true", help="skip the room-size sweeps and the river candidates"
    )
    args = parser.parse_args(argv)
    cfg = demo_run.demo_config(args.config, args.set)
    detect_cfg = cfg.get("detect", {})
    if args.calibrate:
        from livemon.bench import calibrate

        calibrate.main(detect_cfg.get("conversion_drop", {}), workers=args.workers)
        return 0
    seed0 = TUNE_SEED0 if args.tune else 1
    seeds = list(range(seed0, seed0 + args.seeds))
    configs: dict[str, Any] = {"default": detect_cfg}
    if args.tune:
        for m in (-0.5, 0.0, 0.5, 1.0, 1.5, 2.0):
            # One margin at every size (an empty margins table), swept.
            conv = {**detect_cfg.get("conversion_drop", {}), "margin": m, "margins": []}
            configs[f"margin={m:g}"] = {**detect_cfg, "conversion_drop": conv}
    # Without the sweep there is no grid of its own: its 1,000-viewer 40 % cell is the
    # plain conversion_drop runs.
    grid_seeds = (None if args.no_sweep or args.grid_seeds == args.seeds
                  else list(range(seed0, seed0 + args.grid_seeds)))  # fmt: skip
    todo = list(jobs(seeds, args.minutes, configs, sweep=not args.no_sweep and not args.tune,
                     grid_seeds=grid_seeds))  # fmt: skip
    runs: list[dict[str, Any]] = []
    began = time.perf_counter()
    with ProcessPoolExecutor(max_workers=args.workers) as pool:
        for n, run in enumerate(pool.map(run_job, todo, chunksize=2), 1):
            runs.append(run)
            if n % 5 == 0 or n == len(todo):
                print(f"\r{n}/{len(todo)} runs, {time.perf_counter() - began:.0f} s",
                      end="", file=sys.stderr, flush=True)  # fmt: skip
    print(file=sys.stderr)
    plain = [r for r in runs if "tag" not in r["job"]]
    hours = sum(r["hours"] for r in plain if r["job"]["scenario"] == "steady")
    print(f"seeds {seeds[0]}..{seeds[-1]} ({len(seeds)} per scenario), {args.minutes:g}-min "
          f"broadcasts, 1,000 viewers, buy rate 2%/min; steady: {hours:g} h")  # fmt: skip
    if args.tune:
        print("\nconversion_drop (40 %) threshold margin sweep, tuning seeds:")
        print(f"{'margin':>10} {'recall':>7} {'median s':>9} {'p90 s':>7} {'FA/h steady':>12}")
        for label in configs:
            s = score(plain, label, "conversion_drop")
            print(f"{label:>10} {_fmt(s['recall']):>7} {_fmt(s['median'], '.0f'):>9} "
                  f"{_fmt(s['p90'], '.0f'):>7} {_fmt(s['fa_h']):>12}")  # fmt: skip
        return 0
    print()
    for line in demo_run.table(cfg):
        print(line)
    print(f"\nviewer_drop on the {len(real_curves.curves())} real curves (untouched: false alarms; "
          f"{real_curves.FALL:.0%} falls over {real_curves.FALL_S:g} s injected every "
          f"{real_curves.INJECT_EVERY_S:g} s, one run each: recall and delay):")  # fmt: skip
    for line in real_curves.table(real_curves.run(detect_cfg)):
        print(line)
    print("\nconversion_drop: 40 % drop; viewer_drop: 40 % over 30 s. Delay = alert since - "
          "injection (event time).")  # fmt: skip
    head = (f"{'kind':15} {'n':>4} {'prec':>5} {'recall':>6} {'med s':>6} {'p90 s':>6} "
            f"{'FA/h':>5} | {'peer rec':>8} {'peer med':>8} {'peer FA/h':>9} "
            f"{'ratio':>6}")  # fmt: skip
    print(head)
    print("-" * len(head))
    for kind in ("conversion_drop", "viewer_drop", "stock_out", "comment_surge", "tech_issue"):
        s = score(plain, "default", kind)
        line = (f"{kind:15} {s['n']:>4} {_fmt(s['precision']):>5} {_fmt(s['recall']):>6} "
                f"{_fmt(s['median'], '.1f'):>6} {_fmt(s['p90'], '.1f'):>6} {_fmt(s['fa_h']):>5}"
                )  # fmt: skip
        if kind in PEER_DROP:
            p = score(plain, "peer", kind)
            ratio = s["median"] / p["median"] if s["median"] and p["median"] else None
            line += (f" | {_fmt(p['recall']):>8} {_fmt(p['median'], '.0f'):>8} "
                     f"{_fmt(p['fa_h']):>9} {_fmt(ratio):>6}")  # fmt: skip
        else:
            line += f" | {'(no peer)':>8}"
        print(line)
    causes: dict[str, int] = {}
    for run in plain:
        for a in run["alerts"]["default"]:
            if a[0] == "conversion_drop" and a[3] != "none":
                causes[a[3]] = causes.get(a[3], 0) + 1
    named = ", ".join(f"{c} {n}" for c, n in sorted(causes.items())) or "none"
    print(f"{'':15} conversion_drop alerts that name their cause (not counted above): {named}")
    share, lead, n = stock_low_lead(plain, "default")
    print(f"{'stock_low':15} {n:>4} lead >= 60 s before the stock-out: {share:.2f} of "
          f"stock-outs; median lead {_fmt(lead, '.0f')} s")  # fmt: skip
    within = [r for r in plain if r["job"]["scenario"] != "steady"]
    out = score(within, "default", "stock_out")
    print(f"{'stock_out':15} within 1 s: {_fmt(out['recall'])} (max delay "
          f"{_fmt(out['p90'], '.3f')} s at p90), "
          f"false {1 - (out['precision'] or 0):.0%}")  # fmt: skip
    print(
        "\nconversion_drop against the oracle CUSUM (knows the true baseline and drop; "
        f"threshold for <= {oracle.FA_PER_H} FA/h per session), buy rate 2 %/min:"
    )
    print(f"{'viewers':>8} {'drop':>5} {'n':>3} {'recall':>7} {'med s':>6} {'p90 s':>6} "
          f"{'oracle rec':>10} {'oracle med':>10} {'ratio':>6}")  # fmt: skip
    conv = [r for r in plain if r["job"]["scenario"] == "conversion_drop"]
    for viewers, drop in GRID:
        group = [r for r in runs if r["job"].get("tag") == f"grid{viewers}-{drop:g}"]
        if (viewers, drop) == (1000, 0.4) and grid_seeds is None:
            group = conv  # the plain conversion_drop runs are this cell
        if not group:
            continue
        s, o = score(group, "default", "conversion_drop"), score(group, "oracle", "conversion_drop")
        ratio = s["median"] / o["median"] if s["median"] and o["median"] else None
        print(f"{viewers:>8} {drop:>5.0%} {s['n']:>3} {_fmt(s['recall']):>7} "
              f"{_fmt(s['median'], '.0f'):>6} {_fmt(s['p90'], '.0f'):>6} {_fmt(o['recall']):>10} "
              f"{_fmt(o['median'], '.0f'):>10} {_fmt(ratio):>6}")  # fmt: skip
    rates = []
    for viewers in sorted({v for v, _ in GRID}):
        steady = [r for r in runs if r["job"]["scenario"] == "steady"
                  and r["job"].get("viewers", 1000) == viewers]  # fmt: skip
        if steady:
            fa_h = score(steady, "default", "conversion_drop")["fa_h"]
            rates.append(f"{viewers}: {_fmt(fa_h)} ({sum(r['hours'] for r in steady):g} h)")
    if len(rates) > 1:
        print(
            f"ours, false alarms per hour on steady rooms: {', '.join(rates)} "
            f"(the oracle's threshold: <= {oracle.FA_PER_H} per session)"
        )
    small = [v for v in (200, 100) if any(r["job"].get("tag") == f"sweep{v}" for r in runs)]
    if small:  # (--no-sweep runs none: no header over an empty table)
        print("\nconversion_drop in small rooms (drop 40 %), beside the 10-vs-10 peer:")
        print(f"{'viewers':>8} {'recall':>7} {'med s':>6} {'p90 s':>6} {'peer med':>9}")
    for viewers in small:
        group = [r for r in runs if r["job"].get("tag") == f"sweep{viewers}"]
        if not group:
            continue
        s, p = score(group, "default", "conversion_drop"), score(group, "peer", "conversion_drop")
        print(f"{viewers:>8} {_fmt(s['recall']):>7} {_fmt(s['median'], '.0f'):>6} "
              f"{_fmt(s['p90'], '.0f'):>6} {_fmt(p['median'], '.0f'):>9}")  # fmt: skip
    from livemon.bench import river_candidates

    if not args.no_sweep:
        print("\nriver candidates against what they would replace (viewer_drop on the real curves; "
          "HalfSpaceTrees on sim minutes):")  # fmt: skip
        for line in river_candidates.table():
            print(f"  {line}")
    print("\ndetection cost (CPU time, best of 5, detectors on minus off; per event, and all of "
          "it per second of the room): the demo's mixed scenario (alerts open most of the "
          "hour) and a steady room (the usual quiet one):")  # fmt: skip
    sizes = [(1000, args.minutes, "mixed")]
    if not args.no_sweep:  # the smoke test runs one size only
        sizes += [(1000, args.minutes, "steady"), (50, args.minutes, "mixed"),
                  (50, args.minutes, "steady"), (20_000, 20.0, "mixed")]  # fmt: skip
    for viewers, minutes, scenario in sizes:
        cost, n = cost_per_event(detect_cfg, viewers, minutes, scenario)
        print(f"  {viewers:>6} viewers, {scenario:6}: {cost * 1e6:.2f} µs/event over {n:,} events, "
              f"{cost * n / (minutes * 60) * 1e6:.2f} µs/room-second")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
