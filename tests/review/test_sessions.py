"""``livemon sessions``: the catalog listed for review, pruned by age or size with a dry run."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from livemon.record import sessions
from livemon.record.recorder import room_dir_name
from tests.review.conftest import Live


def cli(*args: str) -> subprocess.CompletedProcess:
    """Run ``livemon ARGS`` as its own process, as a user would."""
    return subprocess.run(
        [sys.executable, "-m", "livemon.cli", *args], capture_output=True, text=True, timeout=120
    )


def run(capsys, *args: str) -> subprocess.CompletedProcess:
    """Run ``livemon ARGS`` in this process (quicker), with its exit status and output."""
    from livemon.cli import main

    code = main(list(args))
    out = capsys.readouterr()
    return subprocess.CompletedProcess(args, code, out.out, out.err)


def test_sessions_lists_room_start_duration_gmv_peak_and_alerts(live: Live) -> None:
    """Each recording shows its room, start, duration, final GMV, peak online and alerts;
    report and replay take the id it shows (or a unique start of it)."""
    done = cli("sessions", "--record-dir", str(live.record_dir))
    assert done.returncode == 0, done.stderr
    header, line = done.stdout.splitlines()[:2]
    assert header.split()[:5] == ["session", "room", "start", "(UTC)", "duration"]
    gmv = live.snapshot["metrics"]["gmv_cents"]
    assert line.split()[0] == live.session and line.split()[1] == "r"
    assert f"{gmv / 100:,.2f}" in line
    assert f" {live.snapshot['metrics']['online_peak']} " in line
    assert "30m 00s" in line or "29m 59s" in line
    assert f" {len({a['id'] for a in live.alerts})} " in line
    shown = line.split()[0]
    for how in (
        ["report", "--session", shown, "--format", "json"],
        ["replay", "--session", shown[:-2], "--headless"],
    ):
        done = cli(*how, "--record-dir", str(live.record_dir))
        assert done.returncode == 0, done.stderr
        assert str(gmv) in done.stdout


def _three_sessions(live: Live, tmp_path: Path) -> Path:
    """The live record dir with the session copied twice as older ones, and one left open."""
    record_dir = tmp_path / "rec"
    shutil.copytree(live.record_dir, record_dir)
    log = next((record_dir / room_dir_name("r")).glob("*.lmrec"))
    with sqlite3.connect(record_dir / "catalog.db") as db:
        db.execute("update sessions set path = ?", [str(log)])
        for n, age_days in ((1, 40), (2, 50), (3, 60)):
            copy = log.with_name(f"old{n}.lmrec")
            shutil.copy(log, copy)
            db.execute(
                "insert into sessions select 'old' || ? , room, ?, ?, ?, first_ts, last_ts, "
                "frames from sessions where session = ?",
                [
                    n,
                    str(copy),
                    time.time() - age_days * 86400,
                    None if n == 3 else time.time() - age_days * 86400,
                    live.session,
                ],
            )
    return record_dir


def test_prune_by_age_with_a_dry_run_first(live: Live, tmp_path: Path, capsys) -> None:
    """--dry-run lists what --older-than would remove and removes nothing; the real run
    removes those logs and catalog rows; an open session is never pruned."""
    record_dir = _three_sessions(live, tmp_path)
    before = sorted(p.name for p in (record_dir / room_dir_name("r")).glob("*.lmrec"))
    dry = run(
        capsys,
        "sessions",
        "--record-dir",
        str(record_dir),
        "--prune",
        "--older-than",
        "30d",
        "--dry-run",
    )
    assert dry.returncode == 0, dry.stderr
    assert "would remove old1" in dry.stdout and "would remove old2" in dry.stdout
    assert "old3" not in dry.stdout  # still open
    assert sorted(p.name for p in (record_dir / room_dir_name("r")).glob("*.lmrec")) == before
    done = run(
        capsys, "sessions", "--record-dir", str(record_dir), "--prune", "--older-than", "30d"
    )
    assert done.returncode == 0 and "pruned 2 recording(s)" in done.stdout
    left = run(capsys, "sessions", "--record-dir", str(record_dir)).stdout
    assert "old1" not in left and "old2" not in left and "old3" in left and live.session in left
    assert not (record_dir / room_dir_name("r") / "old1.lmrec").exists()


def test_prune_by_size_keeps_the_newest(live: Live, tmp_path: Path, capsys) -> None:
    """--max-size removes the oldest finished recordings until the rest fit."""
    record_dir = _three_sessions(live, tmp_path)
    size = live.log.stat().st_size
    done = run(
        capsys,
        "sessions",
        "--record-dir",
        str(record_dir),
        "--prune",
        "--max-size",
        str(size * 2 + 10),
    )
    assert done.returncode == 0, done.stderr
    assert "removing old2" in done.stdout and "removing old1" in done.stdout
    assert live.session in run(capsys, "sessions", "--record-dir", str(record_dir)).stdout


def test_bad_prune_options_say_what_to_do(live: Live, capsys) -> None:
    """Bad ages, sizes and option mixes get exit 2 and an example of what fits."""
    for args, says in (
        (["--prune"], "needs --older-than"),
        (["--prune", "--older-than", "soon"], "e.g. 30d"),
        (["--prune", "--max-size", "big"], "e.g. 10G"),
        (["--dry-run"], "go with --prune"),
    ):
        done = run(capsys, "sessions", "--record-dir", str(live.record_dir), *args)
        assert done.returncode == 2 and says in done.stderr, (args, done.stderr)


def test_plan_prune_never_takes_open_sessions() -> None:
    """However small the budget, an open session stays."""
    rows = [
        {"open": True, "started_wall": 0, "size": 100},
        {"open": False, "started_wall": 1, "size": 100},
    ]
    assert sessions.plan_prune(rows, max_size=0) == [rows[1]]
    assert sessions.plan_prune(rows, older_than_s=0.0, now=10) == [rows[1]]
