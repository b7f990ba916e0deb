"""`HubClient`: the console's websocket connection to a livemon hub.

Speaks the wire protocol (`livemon.wire`) on `/control` or `/watch` through
the shared reconnect loop (`livemon.reconnect`): hello → welcome, then every
frame is one map handed to the caller. The connection comes back with
backoff when it drops, except when the hub refuses the token.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable
from ssl import SSLContext
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from livemon import wire
from livemon.reconnect import ConnectionState, TokenRefused, run_sessions

__all__ = ["ConnectionState", "HubClient", "NotConnected", "TokenRefused", "hub_url"]


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


class HubClient:
    """An auto-reconnecting client of one hub endpoint.

    `run(on_message)` hands every message (the `welcome` too) to `on_message`
    as a dict until the token is refused; state changes go to `on_state`.
    `send_command` returns the command id that the hub's `result` will carry.
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
        ssl: SSLContext | None = None,
    ) -> None:
        self.url = hub_url(url, path)
        self.ssl = ssl  # for wss:// (livemon.tls.client_context)
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

    def _set_state(self, state: ConnectionState) -> None:
        self.state = state
        if self.on_state is not None:
            self.on_state(state)

    async def run(self, on_message: Callable[[dict[str, Any]], None]) -> None:
        """Pass every hub message to `on_message`, reconnecting; end only when refused.

        Raises `TokenRefused` after reporting the `refused` state.
        """
        role = "WATCH" if self.url.endswith("/watch") else "CONTROL"
        hello = {"op": "hello", "v": wire.VERSION, "token": self.token, "name": self.name}

        async def session(ws: ClientConnection, welcome: dict[str, Any]) -> bool:
            self.session = welcome.get("session")
            self._ws = ws
            try:
                on_message(welcome)
                async for frame in ws:
                    try:
                        on_message(wire.decode(frame))
                    except wire.ProtocolError:
                        continue  # a frame this console cannot read; the next may be fine
            finally:
                self._ws = None
            return False

        await run_sessions(
            self.url, hello, session, token_hint=f"LIVEMON_{role}_TOKEN / --token",
            on_state=self._set_state, backoff_initial=self.backoff_initial,
            backoff_max=self.backoff_max, ssl=self.ssl,
        )  # fmt: skip

    async def send_command(self, room: str, action: str, args: dict[str, Any]) -> str:
        """Send one command and return its id; raise `NotConnected` when not live."""
        if self._ws is None or self.state.status != "live":
            raise NotConnected(f"not connected to the hub ({self.state}); wait for it to reconnect")
        command_id = next(self._ids)
        message = {"op": "command", "id": command_id, "room": room, "action": action, "args": args}
        try:
            await self._ws.send(wire.encode(message))
        except ConnectionClosed as exc:
            raise NotConnected("connection dropped while sending; check before retrying") from exc
        return command_id

    async def close(self) -> None:
        """Close the current connection, if any."""
        if self._ws is not None:
            await self._ws.close()
