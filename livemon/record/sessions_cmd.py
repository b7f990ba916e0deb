"""``livemon sessions [--prune --older-than AGE | --max-size SIZE [--dry-run]]``."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from livemon.record import sessions
from livemon.record.catalog import CATALOG_NAME, Catalog


def _size(n: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return str(n)


def _line(r: dict) -> str:
    from livemon.report.render import duration, value

    start = time.strftime("%Y-%m-%d %H:%M", time.gmtime(r["start"])) if r["start"] else "—"
    length = duration(r["duration_s"]) if r["duration_s"] is not None else "—"
    state = "open" if r["open"] else "ended"
    gmv, peak = value("gmv_cents", r["gmv_cents"]), value("online_peak", r["online_peak"])
    return (
        f"{r['session']:16s} {r['room']:12s} {start:16s} {length:>8s} {gmv:>12s} "
        f"{peak:>8s} {r['alerts']:6d} {_size(r['size']):>10s} {state}"
    )


HEADER = (
    f"{'session':16s} {'room':12s} {'start (UTC)':16s} {'duration':>8s} {'GMV':>12s} "
    f"{'peak':>8s} {'alerts':>6s} {'size':>10s} state"
)


def run(args: argparse.Namespace) -> int:
    """List, or with ``--prune`` remove (``--dry-run``: only list) old recordings."""
    record_dir = Path(args.record_dir)
    if args.prune and not (args.older_than or args.max_size):
        raise ValueError(
            "--prune needs --older-than AGE (e.g. 30d) and/or --max-size SIZE (e.g. 10G)"
        )
    if not args.prune and (args.older_than or args.max_size or args.dry_run):
        raise ValueError("--older-than, --max-size and --dry-run go with --prune")
    older = sessions.parse_age(args.older_than) if args.older_than else None
    most = sessions.parse_size(args.max_size) if args.max_size else None
    if not (record_dir / CATALOG_NAME).exists():
        print(f"no recordings in {record_dir} yet: livemon run records there")
        return 0
    catalog = Catalog(record_dir)
    try:
        rows = sessions.listing(catalog)
        if not args.prune:
            print(HEADER)
            for r in rows:
                print(_line(r))
            return 0
        doomed = sessions.plan_prune(rows, older, most)
        verb = "would remove" if args.dry_run else "removing"
        for r in doomed:
            print(f"{verb} {r['session']} {r['room']} ({_size(r['size'])}) {r['path']}")
        if not doomed:
            print("nothing to prune")
        elif args.dry_run:
            print(
                f"dry run: {len(doomed)} recording(s), "
                f"{_size(sum(r['size'] for r in doomed))} would be freed"
            )
        else:
            freed = sessions.prune(catalog, doomed)
            print(f"pruned {len(doomed)} recording(s), {_size(freed)} freed")
        return 0
    finally:
        catalog.close()
