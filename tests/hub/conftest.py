"""A real hub on loopback, and raw clients that know only docs/protocol.md, websockets and msgpack.

The clients import nothing from livemon: they show that an adapter or a
console written from docs/protocol.md alone, with any MessagePack library,
interoperates with the hub.
"""

from __future__ import annotations

import asyncio
import errno
import math
import os
from typing import Any

import msgpack
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.protocol import State

from livemon import config
from livemon.hub import Hub

TOKENS = {"ingest": "ti", "watch": "tw", "control": "tc"}
T0 = 1_767_225_600  # 2026-01-01 00:00:00 UTC, an integer second
WAIT_S = 5.0


@pytest.fixture
async def hub(tmp_path):
    """A hub on an ephemeral loopback port with known tokens, stopped after the test."""
    server = Hub(config.load(), tmp_path, tokens=TOKENS)
    await server.start("127.0.0.1", 0)
    yield server
    await server.stop()


def pack(message: Any) -> bytes:
    """One message as MessagePack bytes (plain msgpack, no livemon)."""
    return msgpack.packb(message, use_bin_type=True)


def unpack(data: bytes) -> Any:
    """One MessagePack frame as Python values."""
    return msgpack.unpackb(data, raw=False, strict_map_key=False)


class Client:
    """A raw protocol client: sends maps, reads maps, keeps what it reads by op."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.seen: list[dict[str, Any]] = []
        self.rejects: dict[int, str] = {}
        self.acked = 0

    async def send(self, message: dict[str, Any]) -> None:
        await self.ws.send(pack(message))

    async def recv(self, timeout: float = WAIT_S) -> dict[str, Any]:
        data = await asyncio.wait_for(self.ws.recv(), timeout)
        assert isinstance(data, bytes), "the hub must send binary frames only"
        message = unpack(data)
        assert isinstance(message, dict) and isinstance(message.get("op"), str)
        self.seen.append(message)
        if message["op"] == "ack":
            self.acked = max(self.acked, message["seq"])
        elif message["op"] == "reject":
            assert message["seq"] not in self.rejects, f"seq {message['seq']} rejected twice"
            self.rejects[message["seq"]] = message["error"]
        return message

    async def recv_op(self, op: str, timeout: float = WAIT_S, **match: Any) -> dict[str, Any]:
        """The next message with ``op`` (and the given key values); others are kept in seen."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            message = await self.recv(max(deadline - loop.time(), 0.001))
            if message["op"] == op and all(message.get(k) == v for k, v in match.items()):
                return message

    async def events(self, seq: int, events: list[dict[str, Any]]) -> int:
        """Send one ``events`` batch; return the seq of its last event."""
        await self.send({"op": "events", "seq": seq, "events": events})
        return seq + len(events) - 1

    async def wait_ack(self, seq: int, timeout: float = WAIT_S) -> None:
        """Read until an ack covers ``seq``, then drain what is already in flight."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self.acked < seq:
            await self.recv(max(deadline - loop.time(), 0.001))
        await self.drain(0.15)

    async def drain(self, quiet: float = 0.15) -> None:
        """Read whatever arrives until ``quiet`` seconds pass with nothing."""
        while True:
            try:
                await self.recv(quiet)
            except TimeoutError:
                return

    async def closed_code(self, timeout: float = WAIT_S) -> int:
        """Read until the hub closes the connection; return the close code it sent."""
        try:
            while True:
                await self.recv(timeout)
        except ConnectionClosed as exc:
            assert exc.rcvd is not None, "the hub dropped the connection without a close frame"
            return exc.rcvd.code


async def open_client(hub: Hub, path: str, hello: dict[str, Any]) -> Client:
    """Connect to ``path`` and send ``hello`` (not checked: tests of refusals use it)."""
    ws = await connect(hub.url(path), max_size=None, compression=None)
    client = Client(ws)
    await client.send(hello)
    return client


async def adapter(hub: Hub, name: str = "raw-1", rooms: tuple[str, ...] = ("r1",)) -> Client:
    """An adapter on /ingest past its handshake; ``welcome`` is its first seen message."""
    client = await open_client(
        hub, "/ingest",
        {"op": "hello", "v": 1, "token": TOKENS["ingest"], "name": name, "rooms": list(rooms),
         "resume": True},
    )  # fmt: skip
    welcome = await client.recv()
    assert welcome["op"] == "welcome", welcome
    return client


async def console(hub: Hub, path: str = "/watch", token: str | None = None) -> Client:
    """A console on /watch or /control past its handshake."""
    token = token or TOKENS["watch" if path == "/watch" else "control"]
    client = await open_client(hub, path, {"op": "hello", "v": 1, "token": token, "name": "c"})
    welcome = await client.recv()
    assert welcome["op"] == "welcome", welcome
    return client


async def snapshot(hub: Hub, room: str = "r1") -> dict[str, Any]:
    """The snapshot a newly connected /watch console gets for ``room``."""
    watcher = await console(hub)
    try:
        return await watcher.recv_op("snapshot", room=room)
    finally:
        await watcher.ws.close()


def like(ts: float, n: int = 1, room: str = "r1") -> dict[str, Any]:
    """A valid ``like`` event."""
    return {"type": "like", "room": room, "ts": float(ts), "n": n}


def is_finite_number(x: Any) -> bool:
    """True for an int or a finite float."""
    return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)


class Raw:
    """The helpers above bound to one hub, handed to tests as the ``raw`` fixture.

    (Test modules cannot import this conftest by name: ``tests/ui`` has one too.)
    """

    tokens = TOKENS
    t0 = T0
    pack = staticmethod(pack)
    unpack = staticmethod(unpack)
    like = staticmethod(like)
    is_finite_number = staticmethod(is_finite_number)

    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self.clients: list[Client] = []

    def _keep(self, client: Client) -> Client:
        self.clients.append(client)
        return client

    async def connect(self, path: str) -> Client:
        """A connection that has sent nothing yet."""
        ws = await connect(self.hub.url(path), max_size=None, compression=None)
        return self._keep(Client(ws))

    async def open(self, path: str, hello: dict[str, Any]) -> Client:
        return self._keep(await open_client(self.hub, path, hello))

    async def adapter(self, name: str = "raw-1", rooms: tuple[str, ...] = ("r1",)) -> Client:
        return self._keep(await adapter(self.hub, name, rooms))

    async def console(self, path: str = "/watch", token: str | None = None) -> Client:
        return self._keep(await console(self.hub, path, token))

    async def snapshot(self, room: str = "r1") -> dict[str, Any]:
        return await snapshot(self.hub, room)

    async def close_all(self) -> None:
        for client in self.clients:
            if client.ws.state is not State.CLOSED:
                await client.ws.close()


@pytest.fixture
async def raw(hub):
    """Raw protocol clients of ``hub``; every client opened through it is closed after."""
    helpers = Raw(hub)
    yield helpers
    await helpers.close_all()


class FullDisk:
    """``os.write`` that, while ``full``, writes half of what a log asks for and then fails."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.full = False
        self.failures = 0
        real = os.write

        def write(fd: int, data) -> int:
            if self.full and os.readlink(f"/proc/self/fd/{fd}").endswith(".lmrec"):
                self.failures += 1
                if len(data) > 1:
                    real(fd, bytes(data[: len(data) // 2]))  # a partial write, as ENOSPC leaves
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            return real(fd, data)

        monkeypatch.setattr(os, "write", write)
