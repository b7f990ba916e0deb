"""Viewer drops on real viewer curves: false alarms on the untouched curves, injected 40 % falls.

The four curves in ``livemon/bench/data/youtube_viewers`` (MIT, see its
README) are replayed as ``viewers`` events at their own polling interval
through an ``Engine`` with the detectors, exactly as an adapter would send
them. Untouched, every ``viewer_drop`` alert is a false alarm (the streams had
no incident we know of); then a fall of ``FALL`` over ``FALL_S`` seconds that
stays down is injected at several points of each curve, one run per point.
"""

from __future__ import annotations

import json
import statistics
from pathlib import Path
from typing import Any

from livemon import events as ev
from livemon.detect import Monitor
from livemon.engine import Engine

DATA = Path(__file__).resolve().parent / "data" / "youtube_viewers"
FALL = 0.4
FALL_S = 10.0
INJECT_EVERY_S = 120.0
WARMUP_S = 60.0  # no injection in the first minute of a curve...
TAIL_S = 60.0  # ...nor in its last (the fall must have time to show)
HORIZON_S = 300.0
ROOM = "real"


def curves() -> dict[str, tuple[float, float, list[int]]]:
    """Each curve by its stream id: (start epoch, polling interval s, concurrent viewers)."""
    out = {}
    for path in sorted(DATA.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        _, stream, start = path.stem.split("_", 2)
        out[stream] = (float(start), float(data["interval"]), data["data"]["concurrentViewers"])
    return out


def events_of(start: float, interval: float, online: list[int],
              fall_at: float | None = None) -> list[ev.Event]:  # fmt: skip
    """The curve as ``live`` and ``viewers`` events; a fall injected ``fall_at`` s in, if given."""
    out: list[ev.Event] = [ev.Live(room=ROOM, ts=start, on=True)]
    for i, value in enumerate(online):
        t = i * interval
        if fall_at is not None and t >= fall_at:
            value = round(value * (1 - FALL * min(1.0, (t - fall_at + 1) / FALL_S)))
        out.append(ev.Viewers(room=ROOM, ts=start + t + 0.999, online=value))
    end = start + len(online) * interval + 10  # closes the last seconds
    out.append(ev.Live(room=ROOM, ts=end, on=False))
    return out


def opened(events: list[ev.Event], detect_cfg: dict[str, Any]) -> list[dict[str, Any]]:
    """The viewer_drop alerts ``events`` open (first message of each)."""
    monitor = Monitor(detect_cfg)
    Engine(on_new_room=monitor).apply(events)
    seen: dict[str, dict[str, Any]] = {}
    for _, alert in monitor.drain():
        if alert["kind"] == "viewer_drop":
            seen.setdefault(alert["id"], alert)
    return list(seen.values())


def run(detect_cfg: dict[str, Any]) -> dict[str, Any]:
    """Per curve and in total: hours, false alarms, injected falls found and their delays."""
    rows = []
    for stream, (start, interval, online) in curves().items():
        length = len(online) * interval
        false = len(opened(events_of(start, interval, online), detect_cfg))
        delays: list[float] = []
        missed = 0
        points = []
        t = WARMUP_S
        while t <= length - TAIL_S:
            points.append(t)
            t += INJECT_EVERY_S
        for at in points:
            at = round(at / interval) * interval  # on a poll
            alerts = [a for a in opened(events_of(start, interval, online, at), detect_cfg)
                      if start + at - 1e-6 <= a["since"] <= start + at + HORIZON_S]  # fmt: skip
            if alerts:
                delays.append(alerts[0]["since"] - (start + at))
            else:
                missed += 1
        rows.append({"stream": stream, "hours": length / 3600, "false": false,
                     "range": (min(online), max(online)), "found": len(delays),
                     "missed": missed, "delays": delays})  # fmt: skip
    return {"rows": rows}


def table(result: dict[str, Any]) -> list[str]:
    """The printed lines: one per curve and a total."""
    head = (f"{'stream':12} {'viewers':>11} {'hours':>5} {'FA':>3} {'FA/h':>5} "
            f"{'falls':>5} {'recall':>6} {'med s':>6} {'max s':>6}")  # fmt: skip
    lines = [head, "-" * len(head)]
    all_delays: list[float] = []
    hours = false = found = n = 0
    for r in result["rows"]:
        k = r["found"] + r["missed"]
        lo, hi = r["range"]
        d = r["delays"]
        lines.append(
            f"{r['stream']:12} {f'{lo}-{hi}':>11} {r['hours']:5.2f} {r['false']:>3} "
            f"{r['false'] / r['hours']:5.2f} {k:>5} {_ratio(r['found'], k):>6} "
            f"{_num(statistics.median(d) if d else None):>6} {_num(max(d) if d else None):>6}"
        )
        all_delays += d
        hours += r["hours"]
        false += r["false"]
        found += r["found"]
        n += k
    med = statistics.median(all_delays) if all_delays else None
    lines.append(f"{'all':12} {'':>11} {hours:5.2f} {false:>3} {false / hours:5.2f} {n:>5} "
                 f"{_ratio(found, n):>6} {_num(med):>6} "
                 f"{_num(max(all_delays) if all_delays else None):>6}")  # fmt: skip
    return lines


def _ratio(a: int, b: int) -> str:
    return f"{a / b:.2f}" if b else "—"


def _num(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"
