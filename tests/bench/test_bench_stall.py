"""``livemon bench stall`` runs and shows a stalled console being dropped."""

from __future__ import annotations

import subprocess
import sys


def test_bench_stall_shows_the_stalled_console_dropped() -> None:
    """With a 1 s stall limit the bench reports the console held, then dropped (8 s leave
    room for a loaded machine: the buffer fills in 2-4 s, then 1 s more)."""
    done = subprocess.run(
        [sys.executable, "-m", "livemon.cli", "bench", "stall", "--seconds", "8", "--every", "1",
         "--stall-s", "1", "--send-buffer-kb", "16", "--rate", "2000"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "kernel send queue" in done.stdout and "dropped" in done.stdout, done.stdout
