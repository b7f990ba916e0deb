"""Replay: a recording played into a fresh hub shows the session exactly as it was live."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from livemon import config, replay
from livemon.hub import Hub
from livemon.record.recorder import room_dir_name
from plugins.sim import SimAdapter

TOKENS = {"ingest": "ti", "watch": "tw", "control": "tc"}


async def _live(record_dir: Path) -> tuple[dict, Path, list]:
    hub = Hub(config.load(), record_dir, tokens=TOKENS)
    await hub.start("127.0.0.1", 0)
    await hub.run_adapter(SimAdapter(room="r", scenario="stockout", seed=5, speed="max",
                                     duration=600, incident_at=120, viewers=600))  # fmt: skip
    await hub.execute({"id": "h1", "room": "r", "action": "host", "args": {"name": "Lin"}})
    snapshot = hub.snapshot("r")
    await hub.stop()
    (log,) = (record_dir / room_dir_name("r")).glob("*.lmrec")
    alerts = list(hub.catalog.__class__(record_dir).db.query(
        "select id, kind, state from alerts order by rowid"))  # fmt: skip
    return snapshot, log, alerts


async def test_replay_gives_the_live_numbers_alerts_and_host(tmp_path: Path) -> None:
    """Played back (unpaced and paced), the hub ends on the live snapshot, alerts and host."""
    live, log, live_alerts = await _live(tmp_path / "live")
    assert any(a["kind"] == "stock_out" for a in live_alerts)
    for speed in (None, 1e6):
        hub = Hub(config.load(), tmp_path / f"replay-{speed}", tokens=TOKENS)
        await hub.start("127.0.0.1", 0)
        frames = await replay.play(hub, log, "r", speed)
        again = hub.snapshot("r")
        await hub.flush()
        await hub.stop()
        replayed = list(hub.catalog.__class__(tmp_path / f"replay-{speed}").db.query(
            "select id, kind, state from alerts order by rowid"))  # fmt: skip
        assert frames == 600  # one frame per simulated second
        assert again["metrics"] == live["metrics"]
        assert again["products"] == live["products"]
        assert again["host"] == "Lin"
        assert replayed == live_alerts


async def test_replay_command_prints_alerts_then_the_final_snapshot(tmp_path: Path) -> None:
    """``livemon replay --headless`` (by id or by path; ``--no-console`` too) prints every alert
    change as a JSON line, then the final snapshot; a bad id or path gets exit 2 and what to do."""
    live, log, live_alerts = await _live(tmp_path)
    for how in (["--record-dir", str(tmp_path), "--no-console"], [str(log), "--headless"]):
        done = subprocess.run([sys.executable, "-m", "livemon.cli", "replay", *how],
                              capture_output=True, text=True, timeout=120)  # fmt: skip
        assert done.returncode == 0, done.stderr
        *alerts, last = [json.loads(line) for line in done.stdout.splitlines()]
        assert last["op"] == "snapshot" and last["metrics"] == live["metrics"]
        assert all(a["op"] == "alert" for a in alerts)
        assert [(a["id"], a["kind"], a["state"]) for a in alerts] == [
            (a["id"], a["kind"], a["state"]) for a in live_alerts
        ]
    for bad, says in ((["--session", "nope"], "see livemon sessions"),
                      ([str(tmp_path / "nope.lmrec")], "no recording at"),
                      ([str(log), "--speed", "fast"], "or max")):  # fmt: skip
        missing = subprocess.run(
            [sys.executable, "-m", "livemon.cli", "replay", "--record-dir", str(tmp_path),
             *bad, "--headless"], capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert missing.returncode == 2 and says in missing.stderr


async def test_a_replay_never_reports_its_adapter_down(tmp_path: Path) -> None:
    """A replayed live session has no adapter to lose: adapter_down stays quiet, unlike live."""
    import time

    _, log, _ = await _live(tmp_path / "live")
    hub = Hub(config.load(), tmp_path / "replay", tokens=TOKENS)
    await hub.start("127.0.0.1", 0)
    try:
        await replay.play(hub, log, "r")
        await hub.flush()  # the frames fed are stamped with the wall clock here
        # As if the recording stopped mid-broadcast (a crash): live, last frame long ago.
        hub.engine.rooms["r"].live = True
        hub.last_frame["r"] = time.time() - 60
        await hub.flush()
        kinds = {a["kind"] for a in hub.snapshot("r")["alerts"]}
        assert "adapter_down" not in kinds
        hub.watch_adapters = True  # what a live hub does with the same silence
        await hub.flush()
        assert "adapter_down" in {a["kind"] for a in hub.snapshot("r")["alerts"]}
    finally:
        await hub.stop()
