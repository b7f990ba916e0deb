"""``livemon rules test FILE [--session ID ...]``: what rules would have raised on past sessions.

Each recorded session is folded again (the events the hub took, in order)
with the rules of FILE added to the detectors; replay is deterministic, so
the alerts listed are exactly those the rules would have raised live, at the
event time they would have been raised. Beside them: the alerts the session
really raised, from the catalog.
"""

from __future__ import annotations

import argparse
import json
import time
import tomllib
from pathlib import Path
from typing import Any

from livemon import config as config_mod
from livemon.detect.monitor import Monitor
from livemon.detect.rules import compile_rules
from livemon.engine import Engine
from livemon.record.catalog import Catalog, recorded_sessions, rows_of_session
from livemon.replay import records


def rule_specs(path: Path) -> list[dict[str, Any]]:
    """The rules of a TOML file (``[[detect.rules]]``, or ``[[rules]]`` for short)."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ValueError(f"rules file {path} does not exist") from None
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"rules file {path} is not valid TOML: {exc}") from None
    specs = data.get("detect", {}).get("rules") or data.get("rules") or []
    if not specs:
        raise ValueError(f"rules file {path} has no [[detect.rules]] (or [[rules]]) tables")
    return specs


def session_rows(record_dir: Path, wanted: list[str]) -> list[dict[str, Any]]:
    """Catalog rows of the sessions asked for (an id or the unique start of one), else all."""
    rows = recorded_sessions(record_dir)
    if wanted:
        rows = [row for want in wanted for row in rows_of_session(rows, want, record_dir)]
    return sorted(rows, key=lambda r: (r["started_wall"] or 0, r["room"]))


def would_raise(
    path: Path, room: str, detect: Any, first: list[float] | None = None
) -> list[dict[str, Any]]:
    """The opening message of each rule alert folding ``room``'s recording would raise.

    ``first``, if given, gets the event time of the room's first event.
    """
    monitor = Monitor(detect)
    engine = Engine(on_new_room=monitor)
    opened: dict[str, dict[str, Any]] = {}
    walls: list[float] = []
    for _, kind, _, events in records(path, room, walls=walls):
        if kind != "events":
            continue
        engine.apply(events, walls[-1] if walls else float("inf"))
        for _, alert in monitor.drain():
            if alert["kind"].startswith("rule:"):
                opened.setdefault(alert["id"], alert)
    state = engine.rooms.get(room)
    if first is not None and state is not None and state.first_ts is not None:
        first.append(float(state.first_ts))
    return list(opened.values())


def raised(record_dir: Path, session: str, room: str) -> list[dict[str, Any]]:
    """The opening message of each alert the session really raised (catalog)."""
    catalog = Catalog(record_dir)
    try:
        rows = catalog.db.query("select * from alerts where session = ? and room = ? order by ts",
                                [session, room])  # fmt: skip
        opened: dict[str, dict[str, Any]] = {}
        for row in rows:
            if isinstance(row.get("suggest"), str):
                row["suggest"] = json.loads(row["suggest"])
            opened.setdefault(row["id"], row)
        return list(opened.values())
    finally:
        catalog.close()


def _clock(ts: float, start: float) -> str:
    rel = max(0.0, ts - start)
    return f"+{int(rel // 3600)}:{int(rel % 3600 // 60):02d}:{int(rel % 60):02d} " + time.strftime(
        "%H:%M:%S", time.gmtime(ts))  # fmt: skip


def run(argv: list[str]) -> int:
    """The command: a timeline per session, rule alerts ("would") beside real ones ("raised")."""
    parser = argparse.ArgumentParser(prog="livemon rules test", description=__doc__.split("\n")[0])
    parser.add_argument("file", type=Path, help="a TOML file with [[detect.rules]] tables")
    parser.add_argument(
        "--session",
        action="append",
        default=[],
        metavar="ID",
        help="a session id (or a unique start of one); repeatable; default all",
    )
    parser.add_argument(
        "--record-dir",
        type=Path,
        default=None,
        help="where sessions are recorded (default: hub.record_dir)",
    )
    parser.add_argument("--config", help="a TOML file merged over the defaults (detectors)")
    args = parser.parse_args(argv)
    cfg = config_mod.load(args.config)
    specs = rule_specs(args.file)
    rules = compile_rules(specs)  # a bad rule: RuleError, with its name, column and why
    record_dir = args.record_dir or Path(cfg.hub.record_dir)
    detect = config_mod.coerce_detect({**_builtins(cfg.detect), "rules": specs})
    rows = session_rows(record_dir, args.session)  # an unknown session: its error alone
    print(f"{len(rules)} rule(s) from {args.file}: "
          + "; ".join(f"{r.name} = {r.when} for {r.for_s} s" for r in rules))  # fmt: skip
    for row in rows:
        path = Path(row["path"])
        if not path.exists():
            print(f"\nsession {row['session']} room {row['room']}: recording {path} is missing")
            continue
        first: list[float] = []
        would = would_raise(path, row["room"], detect, first)
        real = raised(record_dir, row["session"], row["room"])
        print(f"\nsession {row['session']} room {row['room']}: rules would have raised "
              f"{len(would)}, the session raised {len(real)}")  # fmt: skip
        timeline = [(a["since"], "would ", a) for a in would] + [(a["since"], "raised", a)
                                                                for a in real]  # fmt: skip
        if not timeline:
            continue
        # Offsets from the session's first event (as the console's clock and the report
        # count), not from the first alert listed.
        start = first[0] if first else min(t for t, _, _ in timeline)
        for since, how, a in sorted(timeline, key=lambda x: (x[0], x[1])):
            suggest = a.get("suggest")
            action = f"  -> {suggest['action']}" if isinstance(suggest, dict) else ""
            print(f"  {_clock(since, start)}  {how}  {a['severity']:4}  {a['kind']:22}  "
                  f"{a['detail']}{action}")  # fmt: skip
    return 0


def _builtins(section: Any) -> dict[str, Any]:
    import msgspec

    return msgspec.to_builtins(section)
