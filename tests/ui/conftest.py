"""A protocol-faithful stand-in for the hub's console side (docs/protocol.md v1).

Real websockets on 127.0.0.1, an OS-chosen port: answers `hello` with
`welcome` or closes 1008 on a wrong token or a watch token on /control,
closes 1008 when a command arrives on /watch, records every command and
answers it with a `result`. Tests push `snapshot` / `comments` / `alert`
frames with `broadcast()`.
"""

from __future__ import annotations

import asyncio
import copy
import time
from collections.abc import AsyncIterator, Callable
from types import SimpleNamespace
from typing import Any

import msgpack
import pytest
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed

CONTROL_TOKEN = "control-secret"
WATCH_TOKEN = "watch-secret"
TS = 1_767_225_600.0  # 2026-01-01 00:00:00 UTC

SNAPSHOT: dict[str, Any] = {
    "op": "snapshot",
    "room": "room-1",
    "ts": TS,
    "metrics": {
        "online": 12345,
        "online_peak": 15000,
        "total_views": 80000,
        "enters": 90000,
        "enters_1m": 300,
        "comments": 4321,
        "comments_1m": 87,
        "likes": 100000,
        "likes_1m": 900,
        "orders": 321,
        "orders_1m": 12,
        "units": 400,
        "gmv_cents": 12345678,
        "gmv_1m_cents": 456700,
        "buyers": 300,
        "conv_1m": 0.97,
        "conv_session": 0.00375,
        "gpm_cents": 154321,
        "refunds": 2,
    },
    "products": [
        {
            "sku": "A1",
            "name": "羊毛围巾 wool scarf",
            "price_cents": 9900,
            "stock": 42,
            "sold": 120,
            "gmv_cents": 1188000,
            "rate_1m": 3.5,
            "eta_s": 720.0,
        },
        {
            "sku": "B2",
            "name": "保温杯 thermos",
            "price_cents": 5900,
            "stock": 5,
            "sold": 80,
            "gmv_cents": 472000,
            "rate_1m": 4.0,
            "eta_s": 75.0,
        },
        {
            "sku": "C3",
            "name": "new arrival",
            "price_cents": 19900,
            "stock": None,
            "sold": 0,
            "gmv_cents": 0,
            "rate_1m": 0.0,
            "eta_s": None,
        },
    ],
    "featured": "B2",
    "host": "小美",
    "alerts": [],
    "targets": [],
}

# The hub tells consoles its stock_low thresholds and which comment tags are
# questions or stream trouble (the console restates neither).
WELCOME: dict[str, Any] = {
    "op": "welcome",
    "v": 1,
    "session": "s-1",
    "stock": {"low_floor": 10, "low_eta_s": 120.0},
    "tags": {"question": ["价格", "link", "price"], "tech": ["卡", "lag"]},
}

COMMENTS: dict[str, Any] = {
    "op": "comments",
    "room": "room-1",
    "items": [
        {"ts": TS - 2, "user": "alice", "text": "多少钱?", "tags": ["价格"]},
        {"ts": TS - 1, "user": "bob", "text": "link please", "tags": ["link"]},
        {"ts": TS, "user": "carol", "text": "好卡啊", "tags": ["卡"]},
    ],
}


def snapshot(**changes: Any) -> dict[str, Any]:
    """A copy of SNAPSHOT with top-level keys or `metrics` entries replaced."""
    snap = copy.deepcopy(SNAPSHOT)
    for key, value in changes.items():
        if key in snap["metrics"]:
            snap["metrics"][key] = value
        else:
            snap[key] = value
    return snap


async def until(pilot: Any, condition: Callable[[], Any], timeout: float = 20.0) -> None:
    """Let the app run until `condition()` is true, failing after `timeout` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError("condition not met in time")
        await pilot.pause(0.02)


class FakeHub:
    """The console-facing half of a hub, recording what consoles send."""

    control_token = CONTROL_TOKEN
    watch_token = WATCH_TOKEN
    comments = COMMENTS
    snapshot = staticmethod(snapshot)
    until = staticmethod(until)

    def __init__(self) -> None:
        self.server: Server | None = None
        self.clients: list[ServerConnection] = []
        self.commands: list[dict[str, Any]] = []
        self.connected = asyncio.Event()
        # action -> (ok, detail); absent actions succeed.
        self.answers: dict[str, tuple[bool, str]] = {}
        self.on_connect: Callable[[ServerConnection], Any] | None = None

    @property
    def url(self) -> str:
        """The hub's base URL (no path)."""
        assert self.server is not None
        host, port = next(iter(self.server.sockets)).getsockname()[:2]
        return f"ws://{host}:{port}"

    async def handler(self, ws: ServerConnection) -> None:
        path = ws.request.path if ws.request is not None else ""
        try:
            hello = msgpack.unpackb(await asyncio.wait_for(ws.recv(), 10), raw=False)
        except (TimeoutError, ConnectionClosed, ValueError):
            await ws.close(1002, "no hello")
            return
        if hello.get("op") != "hello" or hello.get("v") != 1:
            await ws.close(1002, "expected hello v1")
            return
        allowed = {"/control": {CONTROL_TOKEN}, "/watch": {CONTROL_TOKEN, WATCH_TOKEN}}
        if hello.get("token") not in allowed.get(path, set()):
            await ws.close(1008, "bad token for this path")
            return
        await ws.send(msgpack.packb(WELCOME))
        self.clients.append(ws)
        self.connected.set()
        try:
            async for frame in ws:
                message = msgpack.unpackb(frame, raw=False)
                if message.get("op") != "command":
                    continue
                if path != "/control":
                    await ws.close(1008, "commands need /control")
                    return
                self.commands.append(message)
                ok, detail = self.answers.get(message["action"], (True, "done"))
                result = {"op": "result", "id": message["id"], "ok": ok, "detail": detail}
                await ws.send(msgpack.packb(result))
        except ConnectionClosed:
            pass
        finally:
            self.clients.remove(ws)

    async def broadcast(self, *messages: dict[str, Any]) -> None:
        """Send each message to every connected console."""
        for ws in list(self.clients):
            for message in messages:
                await ws.send(msgpack.packb(message))

    async def wait_connected(self, timeout: float = 20.0) -> None:
        """Wait until a console has completed the handshake."""
        await asyncio.wait_for(self.connected.wait(), timeout)


@pytest.fixture
async def hub() -> AsyncIterator[FakeHub]:
    """A FakeHub listening on an ephemeral loopback port."""
    fake = FakeHub()
    async with serve(fake.handler, "127.0.0.1", 0) as server:
        fake.server = server
        yield fake


@pytest.fixture
def utc(monkeypatch):
    """Render event-time clocks in UTC so baselines do not depend on the machine's zone."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.fixture
def wire() -> SimpleNamespace:
    """The sample wire messages, for tests that need no server."""
    return SimpleNamespace(snapshot=snapshot, comments=COMMENTS)
