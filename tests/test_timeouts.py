"""A hung test fails fast with a stack (pytest-timeout), instead of hanging CI for minutes."""

from __future__ import annotations

import subprocess
import sys
import textwrap


def test_every_test_has_a_timeout(pytestconfig):
    """The project's pytest config sets a per-test timeout and pytest-timeout is loaded."""
    assert pytestconfig.pluginmanager.hasplugin("timeout")
    assert 0 < float(pytestconfig.getini("timeout")) <= 300


def test_a_test_waiting_forever_on_a_websocket_fails_fast_with_its_stack(tmp_path):
    """A test blocked on a websocket recv with no deadline (the kill -9 test's hang) is
    stopped by the timeout and failed, with its stack, in seconds."""
    hang = tmp_path / "test_hang.py"
    hang.write_text(
        textwrap.dedent("""
        import asyncio
        from websockets.asyncio.client import connect
        from websockets.asyncio.server import serve

        async def test_waits_for_a_message_that_never_comes():
            async def silent(ws):
                await asyncio.sleep(3600)
            async with serve(silent, "127.0.0.1", 0) as server:
                port = server.sockets[0].getsockname()[1]
                async with connect(f"ws://127.0.0.1:{port}") as ws:
                    await ws.recv()  # no deadline
    """)
    )
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-o", "timeout=2",
         "-o", "asyncio_mode=auto", "--rootdir", str(tmp_path), str(hang)],
        capture_output=True, text=True, timeout=60, cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 1, done.stdout[-2000:]
    assert "Failed: Timeout (>2.0s) from pytest-timeout" in done.stdout
