"""Mistakes a user makes on the command line: each gets one clear line, exit 2, no traceback.

Every command runs as a real ``livemon`` subprocess, with a deadline.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

LIVEMON = [sys.executable, "-m", "livemon.cli"]


def livemon(*args: str, timeout: float = 60, env: dict | None = None):
    return subprocess.run([*LIVEMON, *args], capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})})  # fmt: skip


def refused(done: subprocess.CompletedProcess, *phrases: str) -> None:
    """``done`` exited 2 with a one-message error holding ``phrases`` and no traceback."""
    assert done.returncode == 2, (done.returncode, done.stderr)
    assert "Traceback" not in done.stderr, done.stderr
    for phrase in phrases:
        assert phrase in done.stderr, done.stderr


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_port_out_of_range_is_refused_by_every_command_that_takes_one(tmp_path: Path) -> None:
    """``serve --port``, ``run --port`` and ``stage --web`` beyond 65535 say it is no TCP port."""
    refused(livemon("serve", "--port", "99999", "--record-dir", str(tmp_path)),
            "'99999' is not a TCP port (0-65535)")  # fmt: skip
    refused(livemon("run", "--port", "70000", "--record-dir", str(tmp_path)),
            "'70000' is not a TCP port")  # fmt: skip
    refused(livemon("stage", "--token", "watch-token-00001", "--web", "-1"),
            "is not a TCP port")  # fmt: skip


def test_stage_web_on_a_port_in_use_says_so_before_serving() -> None:
    """``stage --web PORT`` on a port something listens on names it and asks for another."""
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = livemon("stage", "--token", "watch-token-00001", "--web", str(port), timeout=30)
    refused(done, f"cannot serve the stage on 127.0.0.1:{port}", "pick another --web PORT")
    assert "Serving" not in done.stdout + done.stderr  # nothing was started


def test_report_to_a_missing_directory_is_refused_before_any_work(tmp_path: Path) -> None:
    """``report -o`` into a directory that does not exist says so, with no traceback."""
    out = tmp_path / "no-such-dir" / "review.html"
    done = livemon("report", "--record-dir", str(tmp_path), "-o", str(out))
    refused(done, f"there is no directory {out.parent}")
    refused(livemon("report", "--record-dir", str(tmp_path), "-o", str(tmp_path)),
            "is a directory: give a file name")  # fmt: skip


def test_metrics_list_with_a_missing_config_prints_only_the_error(tmp_path: Path) -> None:
    """``metrics --list --config`` of a file that is not there prints the error and no list."""
    done = livemon("metrics", "--list", "--config", str(tmp_path / "nope.toml"))
    refused(done, "does not exist")
    assert done.stdout == ""


def test_cluster_without_nats_fails_fast_with_what_to_do() -> None:
    """``cluster --bus`` at an address where no NATS listens ends within its deadline, no hang."""
    url = f"nats://127.0.0.1:{_free_port()}"
    started = time.monotonic()
    done = livemon("cluster", "--bus", url, timeout=40)
    refused(done, f"cannot reach NATS at {url}", "is nats-server running")
    assert time.monotonic() - started < 30


def test_adapter_on_a_bus_without_nats_fails_fast_with_what_to_do() -> None:
    """``adapter NAME --bus`` with no NATS there ends with one line, not a traceback or a hang."""
    url = f"nats://127.0.0.1:{_free_port()}"
    refused(livemon("adapter", "sim", "--bus", url, timeout=40), f"cannot reach NATS at {url}")


def test_serve_on_a_bus_stops_cleanly_without_a_false_lost_nats(tmp_path: Path) -> None:
    """``serve --bus`` stopped with ctrl-c says nothing of a lost NATS connection: its own
    close is no loss (it printed "lost NATS ...; reconnecting" as it stopped)."""
    from tests.cluster.conftest import NatsServer

    nats = NatsServer(tmp_path / "jetstream")
    nats.start()
    try:
        hub = subprocess.Popen(
            [*LIVEMON, "serve", "--bus", nats.url, "--port", str(_free_port()),
             "--record-dir", str(tmp_path / "rec")],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 30
            assert hub.stdout is not None
            while "joined the cluster" not in hub.stdout.readline():
                assert time.monotonic() < deadline and hub.poll() is None, "hub did not join"
            hub.send_signal(signal.SIGINT)
            _, err = hub.communicate(timeout=30)
        finally:
            if hub.poll() is None:
                hub.kill()
                hub.wait(timeout=10)
        assert hub.returncode == 0, err
        assert "lost NATS" not in err and "Traceback" not in err, err
    finally:
        nats.stop()


def test_console_and_stage_refuse_a_url_that_is_no_hub_address() -> None:
    """``console`` and ``stage`` with an http:// ``--url`` say what address to give, before any
    screen opens (the stage crashed with a traceback in its screen)."""
    for command in ("console", "stage"):
        done = livemon(command, "--url", "http://127.0.0.1:8765", "--token", "t" * 20, timeout=30)
        refused(done, "is not a hub address: give ws://HOST:PORT")


def test_replay_from_a_negative_time_is_refused(tmp_path: Path) -> None:
    """``replay --from -5`` says it takes seconds into the session, 0 or more."""
    done = livemon("replay", "--record-dir", str(tmp_path), "--from", "-5", "--headless")
    refused(done, "give the seconds into the session, 0 or more")


def test_serve_with_one_adapter_named_twice_is_refused(tmp_path: Path) -> None:
    """``serve --adapter sim --adapter sim`` is refused with how to run a second feed (the two
    shared one feed name and seq space, so the second's events were dropped as resends)."""
    done = livemon("serve", "--adapter", "sim", "--adapter", "sim", "--record-dir", str(tmp_path))
    refused(done, "--adapter sim given twice", "livemon adapter sim --name sim-2")


def test_a_plan_in_config_that_cannot_be_is_refused_at_start(tmp_path: Path) -> None:
    """A host slot that ends before it starts, or a misspelt target, in ``[session]`` stops the
    start naming the key (both were taken: the plan command refuses them, the config did not)."""
    slot = tmp_path / "slot.toml"
    slot.write_text('[session]\nhosts = [{name = "A", start_min = 30, end_min = 10}]\n')
    refused(livemon("serve", "--config", str(slot), "--record-dir", str(tmp_path)),
            f"config file {slot}: session.hosts.0: end_min must be after start_min")  # fmt: skip
    target = tmp_path / "target.toml"
    target.write_text("[session]\ntargets = {gmv = 300000}\n")
    done = livemon("serve", "--config", str(target), "--record-dir", str(tmp_path))
    refused(done, "session: unknown target 'gmv' in targets (gmv_cents, orders, units:<sku>)")


def test_serve_with_a_webhook_on_a_busy_port_says_so_in_one_line(tmp_path: Path) -> None:
    """``serve --adapter webhook`` on a port something listens on says which port and what to
    do, once, and keeps serving; no traceback before that line."""
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        hub = subprocess.Popen(
            [*LIVEMON, "serve", "--adapter", "webhook", "--set", f"webhook.port={port}",
             "--set", "webhook.secret=a-shop-secret", "--port", str(_free_port()),
             "--record-dir", str(tmp_path)],
            stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        try:
            assert hub.stderr is not None
            before, deadline = "", time.monotonic() + 30
            while "stopped:" not in (line := hub.stderr.readline()):
                assert line and time.monotonic() < deadline, before
                before += line
            assert f"webhook cannot listen on 127.0.0.1:{port}" in line and "port=" in line
            assert "Traceback" not in before, before
            assert hub.poll() is None  # the hub keeps serving
        finally:
            hub.send_signal(signal.SIGINT)
            hub.communicate(timeout=30)


def test_console_on_the_watch_path_without_watch_says_what_to_give() -> None:
    """``console --url ws://HOST:PORT/watch`` without ``--watch`` is refused before it opens
    (it opened, and the hub closed it at its first command); a path that is no console's
    (``/ingest``) is refused too."""
    done = livemon("console", "--url", "ws://127.0.0.1:8765/watch", "--token", "t" * 20)
    refused(done, "is the read-only /watch path: add --watch")
    done = livemon("console", "--url", "ws://127.0.0.1:8765/ingest", "--token", "t" * 20)
    refused(done, "a console opens /control; give ws://HOST:PORT (no path)")


def test_rules_test_with_nothing_to_try_prints_only_the_error(tmp_path: Path) -> None:
    """``rules test`` on a record dir with no recordings prints its error alone (the rules'
    header came first, as if it were going on)."""
    rules = tmp_path / "rules.toml"
    rules.write_text('[[detect.rules]]\nname = "busy"\nwhen = "comments_1m > 120"\n')
    done = livemon("rules", "test", str(rules), "--record-dir", str(tmp_path / "none"))
    refused(done, "no recordings in")
    assert done.stdout == ""
