"""The demo (``livemon run``) in a real terminal: SIGTERM ends it like ``q``."""

from __future__ import annotations

import fcntl
import os
import pty
import signal
import sqlite3
import struct
import subprocess
import sys
import termios
import threading
import time

WAIT_S = 60.0


def _run_until_sigterm(record_dir) -> int:
    """Start ``livemon run`` on a pseudo-terminal, wait until it records, send SIGTERM;
    its exit status."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    env = {**os.environ, "TERM": "xterm-256color"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "livemon.cli", "run", "--record-dir", str(record_dir),
         "--port", "0", "--speed", "20"],
        stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True,
    )  # fmt: skip
    os.close(slave)

    def drain() -> None:  # a terminal nobody reads would block the app's writes
        while True:
            try:
                if not os.read(master, 65536):
                    return
            except OSError:
                return

    threading.Thread(target=drain, daemon=True).start()
    try:
        before = _frames(record_dir)
        deadline = time.monotonic() + WAIT_S
        while _frames(record_dir) <= before:
            assert proc.poll() is None, "livemon run exited before recording"
            assert time.monotonic() < deadline, "livemon run recorded nothing in time"
            time.sleep(0.2)
        proc.send_signal(signal.SIGTERM)
        return proc.wait(timeout=WAIT_S)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
        os.close(master)


def _frames(record_dir) -> int:
    return sum(p.stat().st_size for p in record_dir.glob("*/*.lmrec"))


def _sessions(record_dir) -> list[tuple]:
    with sqlite3.connect(record_dir / "catalog.db") as db:
        return list(db.execute("select session, ended_wall from sessions order by started_wall"))


def test_sigterm_closes_the_demo_session_and_the_next_demo_starts_a_new_one(tmp_path) -> None:
    """SIGTERM ends ``livemon run`` cleanly (its session is closed, as with q), and the
    next ``livemon run`` starts a session of its own instead of folding one back."""
    assert _run_until_sigterm(tmp_path) == 0
    first = _sessions(tmp_path)
    assert len(first) == 1 and first[0][1] is not None, "the session is closed"
    assert _run_until_sigterm(tmp_path) == 0
    both = _sessions(tmp_path)
    assert len(both) == 2 and both[0][0] != both[1][0], "the second demo has its own session"
    assert all(ended is not None for _, ended in both)
