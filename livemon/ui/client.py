"""`HubClient`: the console's websocket connection to a livemon hub.

Speaks PROTOCOL.md v1 on `/control` or `/watch`: hello → welcome, then every
binary frame is one MessagePack map handed to the caller as a dict. The
connection is re-established with exponential backoff when it drops, except
when the hub closes with 1008 (bad token / wrong role): retrying could never
succeed, so the client stops and says what to fix.
"""

from __future__ import annotations

import asyncio
import itertools
import os
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

import msgpack
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI

PROTOCOL_VERSION = 1
HANDSHAKE_TIMEOUT_S = 10.0
TOKEN_REFUSED = "token refused: check LIVEMON_CONTROL_TOKEN / --token"

Status = Literal["connecting", "live", "lost", "refused"]


@dataclass(frozen=True, slots=True)
class ConnectionState:
    """Where the connection stands; `detail` says why when it is lost or refused."""

    status: Status
    detail: str = ""

    def __str__(self) -> str:
        return f"{self.status}: {self.detail}" if self.detail else self.status


class TokenRefused(Exception):
    """The hub closed the connection with 1008: the token or role is wrong."""


class NotConnected(Exception):
    """A command was sent while there is no live connection."""


def hub_url(url: str, path: str = "/control") -> str:
    """Return the websocket URL of `path` on the hub, accepting a base or a full URL.

    >>> hub_url("ws://127.0.0.1:8765")
    'ws://127.0.0.1:8765/control'
    >>> hub_url("ws://127.0.0.1:8765/watch/", "/control")
    'ws://127.0.0.1:8765/watch'
    >>> hub_url("127.0.0.1:9000", "/watch")
    'ws://127.0.0.1:9000/watch'
    """
    if "://" not in url:
        url = "ws://" + url
    parts = urlsplit(url)
    current = parts.path.rstrip("/")
    return urlunsplit(parts._replace(path=current or path))


def encode(message: dict[str, Any]) -> bytes:
    """Pack one protocol map as MessagePack."""
    return msgpack.packb(message, use_bin_type=True)


def decode(frame: bytes) -> dict[str, Any] | None:
    """Unpack one frame; None for anything that is not a map with an `op`."""
    try:
        message = msgpack.unpackb(frame, raw=False)
    except (ValueError, msgpack.UnpackException):
        return None
    if isinstance(message, dict) and isinstance(message.get("op"), str):
        return message
    return None


class HubClient:
    """An auto-reconnecting client of one hub endpoint.

    Iterate over `messages()` to receive every message after `welcome` as a
    dict; state changes are reported to `on_state`. `send_command` returns the
    command id that the hub's `result` will carry.
    """

    def __init__(
        self,
        url: str,
        token: str,
        name: str = "console",
        *,
        path: str = "/control",
        on_state: Callable[[ConnectionState], None] | None = None,
        backoff_initial: float = 0.5,
        backoff_max: float = 10.0,
    ) -> None:
        self.url = hub_url(url, path)
        self.token = token
        self.name = name
        self.on_state = on_state
        self.backoff_initial = backoff_initial
        self.backoff_max = backoff_max
        self.state = ConnectionState("connecting")
        self.session: str | None = None
        self._ws: ClientConnection | None = None
        # pid + counter: unique across consoles of one hub without coordination.
        self._ids = (f"{self.name}-{os.getpid()}-{n}" for n in itertools.count(1))

    def _set_state(self, status: Status, detail: str = "") -> None:
        self.state = ConnectionState(status, detail)
        if self.on_state is not None:
            self.on_state(self.state)

    async def _handshake(self, ws: ClientConnection) -> None:
        hello = {"op": "hello", "v": PROTOCOL_VERSION, "token": self.token, "name": self.name}
        await ws.send(encode(hello))
        while True:
            frame = await asyncio.wait_for(ws.recv(), HANDSHAKE_TIMEOUT_S)
            message = decode(frame) if isinstance(frame, bytes) else None
            if message is not None and message["op"] == "welcome":
                self.session = message.get("session")
                return

    async def messages(self) -> AsyncIterator[dict[str, Any]]:
        """Yield every hub message, reconnecting with backoff; end only when refused.

        Raises `TokenRefused` after reporting the `refused` state, so a caller
        that ignores states still learns why the stream ended.
        """
        delay = self.backoff_initial
        while True:
            self._set_state("connecting", self.url)
            try:
                async with connect(self.url, max_size=4 * 2**20) as ws:
                    await self._handshake(ws)
                    self._ws = ws
                    self._set_state("live", self.url)
                    delay = self.backoff_initial
                    async for frame in ws:
                        if isinstance(frame, bytes) and (message := decode(frame)) is not None:
                            yield message
                    why = "hub closed the connection"
            except ConnectionClosed as exc:
                code = exc.rcvd.code if exc.rcvd is not None else None
                if code == 1008:
                    why = TOKEN_REFUSED
                    if self.url.endswith("/watch"):
                        why = why.replace("LIVEMON_CONTROL_TOKEN", "LIVEMON_WATCH_TOKEN")
                    self._set_state("refused", why)
                    raise TokenRefused(why) from exc
                reason = exc.rcvd.reason if exc.rcvd is not None else ""
                why = f"closed {code} {reason}".strip() if code else "connection dropped"
            except InvalidURI as exc:
                self._set_state("refused", f"bad hub url {self.url!r}: {exc}")
                raise
            except (OSError, InvalidHandshake, TimeoutError) as exc:
                why = f"{type(exc).__name__}: {exc}".rstrip(": ") + " (is the hub running?)"
            finally:
                self._ws = None
            self._set_state("lost", f"{why}; retrying in {delay:.1f}s")
            await asyncio.sleep(delay)
            delay = min(delay * 2, self.backoff_max)

    async def send_command(self, room: str, action: str, args: dict[str, Any]) -> str:
        """Send one command and return its id; raise `NotConnected` when not live."""
        if self._ws is None or self.state.status != "live":
            raise NotConnected(f"not connected to the hub ({self.state}); wait for it to reconnect")
        command_id = next(self._ids)
        message = {"op": "command", "id": command_id, "room": room, "action": action, "args": args}
        try:
            await self._ws.send(encode(message))
        except ConnectionClosed as exc:
            raise NotConnected("connection dropped while sending; check before retrying") from exc
        return command_id

    async def close(self) -> None:
        """Close the current connection, if any."""
        if self._ws is not None:
            await self._ws.close()
