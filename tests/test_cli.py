"""The ``livemon`` command line, run as real subprocesses."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import msgpack
from websockets.sync.client import connect

LIVEMON = [sys.executable, "-m", "livemon.cli"]
TOKENS = {
    "LIVEMON_INGEST_TOKEN": "ingest-token-0001",
    "LIVEMON_WATCH_TOKEN": "watch-token-00001",
    "LIVEMON_CONTROL_TOKEN": "control-token-001",
}
INGEST, WATCH = TOKENS["LIVEMON_INGEST_TOKEN"], TOKENS["LIVEMON_WATCH_TOKEN"]
METRIC_KEYS = ("online online_peak total_views enters enters_1m comments comments_1m likes "
               "likes_1m orders orders_1m units gmv_cents gmv_1m_cents buyers conv_1m "
               "conv_session gpm_cents refunds").split()  # fmt: skip


def livemon(*args: str, env: dict | None = None, timeout: float = 60):
    return subprocess.run([*LIVEMON, *args], capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})})  # fmt: skip


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_metrics_list_defines_every_protocol_key() -> None:
    """``metrics --list`` prints each docs/protocol.md metric key with a definition."""
    out = livemon("metrics", "--list").stdout
    lines = {line.split()[0]: line for line in out.splitlines() if line.strip()}
    for key in METRIC_KEYS:
        assert key in lines and len(lines[key].split()) > 2, key


def test_adapters_lists_sim_with_its_capabilities() -> None:
    """``adapters`` names the sim adapter, what it can do and its options."""
    out = livemon("adapters").stdout
    assert "sim" in out and "capabilities: coupon, feature, pin, restock, unfeature" in out
    assert "scenario" in out and "seed" in out


def test_bad_set_is_a_clear_error(tmp_path: Path) -> None:
    """A malformed ``--set`` exits 2 with a message saying the expected form."""
    done = livemon("serve", "--record-dir", str(tmp_path), "--set", "nodot=1")
    assert done.returncode == 2
    assert "expected NAME.key=value" in done.stderr


def test_unknown_adapter_is_a_clear_error(tmp_path: Path) -> None:
    """Asking for an adapter that does not exist names the ones that do."""
    done = livemon("adapter", "nope", "--token", "x")
    assert done.returncode == 2 and "no adapter 'nope'" in done.stderr and "sim" in done.stderr


def test_sessions_on_an_empty_dir_says_where_recordings_come_from(tmp_path: Path) -> None:
    """``sessions`` on a dir with no catalog says how to make one instead of failing."""
    done = livemon("sessions", "--record-dir", str(tmp_path))
    assert done.returncode == 0 and "no recordings" in done.stdout


def test_serve_and_a_separate_adapter_process_record_a_session(tmp_path: Path) -> None:
    """An adapter process feeds ``serve`` over /ingest; the session is recorded and listed."""
    port = _free_port()
    hub = subprocess.Popen(
        [*LIVEMON, "serve", "--port", str(port), "--record-dir", str(tmp_path)],
        env={**os.environ, **TOKENS}, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        feed = livemon("adapter", "sim", "--hub", f"ws://127.0.0.1:{port}", "--room", "cli-room",
                       "--set", "speed=max", "--set", "duration=60",
                       env=TOKENS, timeout=120)  # fmt: skip
        assert feed.returncode == 0, feed.stderr
        assert "fed" in feed.stderr
        with connect(f"ws://127.0.0.1:{port}/watch") as ws:
            ws.send(msgpack.packb({"op": "hello", "v": 1, "token": WATCH, "name": "cli-test"}))
            assert msgpack.unpackb(ws.recv(5))["op"] == "welcome"
            snapshot = msgpack.unpackb(ws.recv(5))
        assert snapshot["room"] == "cli-room" and snapshot["metrics"]["comments"] > 0
        refused = livemon("adapter", "sim", "--hub", f"ws://127.0.0.1:{port}", "--token", "bad",
                          "--set", "speed=max", "--set", "duration=5")  # fmt: skip
        assert refused.returncode == 3 and "refused the token" in refused.stderr
    finally:
        hub.terminate()
        hub.wait(10)
    listing = livemon("sessions", "--record-dir", str(tmp_path)).stdout
    assert "cli-room" in listing and "ended" in listing


def test_serve_refuses_a_port_in_use_with_a_message(tmp_path: Path) -> None:
    """Starting the hub on a taken port fails fast with the reason, not a traceback."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        start = time.monotonic()
        done = livemon("serve", "--port", str(port), "--record-dir", str(tmp_path))
    assert done.returncode != 0 and time.monotonic() - start < 30
    assert "Traceback" not in done.stderr and str(port) in done.stderr
