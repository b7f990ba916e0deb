"""A session run with its own config (a plan with targets and host shifts, a changed detector
setting) is replayed and reported with that config, not the defaults: the same host, targets,
behind_target alert and per-host table as live. Real hub, real subprocesses."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from livemon import config
from livemon.hub import Hub
from livemon.record import Catalog
from livemon.record.recorder import room_dir_name
from plugins.sim import SimAdapter

TOKENS = {"ingest": "ti", "watch": "tw", "control": "tc"}
ROOM = "r"
SETS = [
    "session.duration_s=1500",
    "session.targets={gmv_cents = 90000000, orders = 9000}",
    "session.hosts=[{name = 'Lin', start_min = 0, end_min = 10}, "
    "{name = 'Mei', start_min = 10, end_min = 25}]",
    "detect.viewer_drop.warn_drop=0.5",
]


def livemon(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "livemon.cli", *args], capture_output=True,
                          text=True, timeout=120)  # fmt: skip


async def _record(record_dir: Path) -> tuple[Path, dict, list[dict]]:
    hub = Hub(config.load(None, SETS), record_dir, tokens=TOKENS)
    await hub.start("127.0.0.1", 0)
    sim = SimAdapter(room=ROOM, scenario="mixed", seed=5, speed="max", duration=1200,
                     viewers=600)  # fmt: skip
    await asyncio.wait_for(hub.run_adapter(sim), 90)
    snapshot = hub.snapshot(ROOM)
    await hub.stop()
    (log,) = (record_dir / room_dir_name(ROOM)).glob("*.lmrec")
    catalog = Catalog(record_dir)
    alerts = list(catalog.db.query("select kind, sku, since, state from alerts order by rowid"))
    catalog.close()
    return log, snapshot, alerts


@pytest.fixture(scope="module")
def planned(tmp_path_factory) -> tuple[Path, dict, list[dict]]:
    """A 20-minute sim session recorded by a hub run with ``SETS``."""
    return asyncio.run(_record(tmp_path_factory.mktemp("planned")))


def test_replay_folds_with_the_sessions_own_settings(planned) -> None:
    """``livemon replay PATH --headless`` ends with the live host, plan and targets, and
    prints the live alert changes, behind_target included (not those of the defaults)."""
    log, live, alerts = planned
    assert live["host"] == "Mei" and any(a["kind"] == "behind_target" for a in alerts)
    done = livemon("replay", str(log), "--headless")
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    final = lines[-1]
    assert final["host"] == live["host"] and final["plan"] == live["plan"]
    assert final["targets"] == live["targets"] and final["metrics"] == live["metrics"]
    changes = [(a["kind"], a["sku"], a["since"], a["state"]) for a in lines[:-1]]
    assert changes == [(a["kind"], a["sku"], a["since"], a["state"]) for a in alerts]
    assert done.stderr == ""  # no note about defaults, and no progress bar off a terminal


def test_report_shows_the_sessions_hosts_and_targets(planned) -> None:
    """``livemon report PATH --format json`` has the per-host table of the live shifts."""
    log, live, _ = planned
    done = livemon("report", str(log), "--format", "json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    hosts = [h["host"] for h in report["hosts"]]
    assert hosts == [s["host"] for s in live["shifts"]] == ["Lin", "Mei"]


def test_a_recording_moved_out_of_its_record_dir_is_replayed_with_a_note(
    planned, tmp_path: Path
) -> None:
    """A recording with no catalog beside it replays with the defaults and says so."""
    log, _, _ = planned
    alone = tmp_path / "alone" / "copy.lmrec"
    alone.parent.mkdir()
    shutil.copy(log, alone)
    done = livemon("replay", str(alone), "--headless")
    assert done.returncode == 0, done.stderr
    assert "settings (plan, detectors) are not in a catalog beside it" in done.stderr
    assert json.loads(done.stdout.splitlines()[-1])["host"] is None


def test_replay_from_past_the_end_says_so(planned) -> None:
    """``replay --from`` beyond the recording's length prints its final snapshot and says on
    stderr that it started past the end (it printed nothing about it)."""
    log, live, _ = planned
    done = livemon("replay", str(log), "--headless", "--from", "99999")
    assert done.returncode == 0, done.stderr
    assert "--from 99999 is past the end of the recording (1200 s long)" in done.stderr
    assert json.loads(done.stdout.splitlines()[-1])["metrics"] == live["metrics"]
