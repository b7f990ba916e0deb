"""The hub under benchmark: ``livemon serve`` in its own process, on a scratch record dir."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

from websockets.asyncio.client import ClientConnection, connect

from livemon import wire

TOKENS = {
    "ingest": "bench-ingest-token",
    "watch": "bench-watch-token-",
    "control": "bench-control-token",
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def hub_process(bus: str | None = None) -> Iterator[int]:
    """A hub process with the bench tokens, recording to a temporary dir; yields its port.

    With ``bus`` (a NATS URL) it runs as a hub of that cluster (``serve --bus``).
    """
    env = {**os.environ, **{f"LIVEMON_{r.upper()}_TOKEN": t for r, t in TOKENS.items()}}
    with tempfile.TemporaryDirectory(prefix="livemon-bench-") as scratch:
        port = _free_port()
        hub = subprocess.Popen(
            [sys.executable, "-m", "livemon.cli", "serve", "--port", str(port),
             "--record-dir", str(Path(scratch) / "rec"), *(["--bus", bus] if bus else [])],
            env=env, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            yield port
        finally:
            hub.terminate()
            hub.wait(10)


async def open_client(port: int, path: str, name: str, **hello: object) -> ClientConnection:
    """Connect to ``path`` (waiting for the hub to listen) and complete the handshake."""
    role = path.strip("/")
    for _ in range(200):
        try:
            ws = await connect(f"ws://127.0.0.1:{port}{path}", max_size=wire.MAX_FRAME,
                               compression=None)  # fmt: skip
            break
        except OSError:
            await asyncio.sleep(0.05)
    else:
        raise RuntimeError("the hub did not start")
    await ws.send(wire.encode({"op": "hello", "v": 1, "token": TOKENS[role], "name": name,
                               **hello}))  # fmt: skip
    welcome = wire.decode(await ws.recv())
    if welcome["op"] != "welcome":
        raise RuntimeError(f"the hub refused the bench client: {welcome}")
    return ws
