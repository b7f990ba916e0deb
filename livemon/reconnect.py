"""Connect to a hub endpoint with backoff: the one loop every livemon client shares.

A client (the console, a remote adapter) gives its ``hello`` and what to do
with a live connection; ``run_sessions`` connects, sends the hello, waits for
``welcome`` and hands both over. When the connection drops it waits and
tries again, doubling the wait up to a maximum, and starts over from the
shortest wait after each successful handshake. A 1008 close (bad token,
wrong role) ends it with ``TokenRefused``: retrying could never succeed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from ssl import SSLCertVerificationError, SSLContext
from typing import Any, Literal

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus, InvalidURI

from livemon import wire

HANDSHAKE_TIMEOUT_S = 10.0

Status = Literal["connecting", "live", "lost", "refused"]


@dataclass(frozen=True, slots=True)
class ConnectionState:
    """Where a connection stands; ``detail`` says why when it is lost or refused."""

    status: Status
    detail: str = ""

    def __str__(self) -> str:
        return f"{self.status}: {self.detail}" if self.detail else self.status


class TokenRefused(Exception):
    """The hub closed with 1008: a bad token or the wrong role; retrying will not help."""


# What to do with a live connection and its welcome; True when the client is done.
Session = Callable[[ClientConnection, dict[str, Any]], Awaitable[bool]]


def refused_text(reason: str, hint: str) -> str:
    """The message for a refused token: what the hub said and what to check.

    A refusal that is not about the token (a feed name already taken) is
    given as the hub said it, without sending the user to check the token.

    >>> refused_text("bad or missing token", "LIVEMON_WATCH_TOKEN / --token")
    'hub refused the token (bad or missing token): check LIVEMON_WATCH_TOKEN / --token'
    >>> refused_text("replaced by a newer connection named 'sim'", "--token")
    "hub refused this connection: replaced by a newer connection named 'sim'"
    """
    if reason and "token" not in reason:
        return f"hub refused this connection: {reason}"
    return f"hub refused the token ({reason or 'no reason given'}): check {hint}"


async def _handshake(ws: ClientConnection, hello: dict[str, Any]) -> dict[str, Any]:
    await ws.send(wire.encode(hello))
    async with asyncio.timeout(HANDSHAKE_TIMEOUT_S):  # not wait_for: see Outbox._send
        while True:
            message = wire.decode(await ws.recv())
            if message["op"] == "welcome":
                return message


async def run_sessions(
    url: str,
    hello: dict[str, Any],
    session: Session,
    *,
    token_hint: str,
    on_state: Callable[[ConnectionState], None] | None = None,
    backoff_initial: float = 0.5,
    backoff_max: float = 10.0,
    ssl: SSLContext | None = None,
) -> None:
    """Connect to ``url`` and run ``session`` on each live connection until it returns True.

    ``ssl`` is the TLS context of a wss:// hub (``livemon.tls.client_context``).

    Raises ``TokenRefused`` (after reporting ``refused``) on a 1008 close and
    ``ValueError`` for a URL that is not a websocket URL.
    """

    def state(status: Status, detail: str = "") -> None:
        if on_state is not None:
            on_state(ConnectionState(status, detail))

    delay = backoff_initial
    while True:
        state("connecting", url)
        try:
            tls: dict[str, Any] = {"ssl": ssl} if ssl is not None else {}
            async with connect(url, max_size=wire.MAX_FRAME, compression=None, **tls) as ws:
                welcome = await _handshake(ws, hello)
                state("live", url)
                delay = backoff_initial
                if await session(ws, welcome):
                    return
                why = "hub closed the connection"
        except ConnectionClosed as exc:
            code = exc.rcvd.code if exc.rcvd is not None else None
            reason = exc.rcvd.reason if exc.rcvd is not None else ""
            if code == wire.CLOSE_POLICY:
                why = refused_text(reason, token_hint)
                state("refused", why)
                raise TokenRefused(why) from None
            why = f"closed {code} {reason}".strip() if code else "connection dropped"
        except InvalidURI as exc:
            why = f"bad hub url {url!r}: {exc}"
            state("refused", why)
            raise ValueError(why) from None
        except wire.ProtocolError as exc:
            why = f"hub sent a bad frame ({exc.reason})"
        except SSLCertVerificationError as exc:
            why = (f"the hub's TLS certificate is not trusted ({exc.verify_message}): pass --ca "
                   "FILE with the CA that signed it")  # fmt: skip
        except InvalidStatus as exc:  # refused before the hello (origin, failed hellos)
            body = (exc.response.body or b"").decode("utf-8", "replace").strip()
            why = f"hub answered HTTP {exc.response.status_code}" + (f": {body}" if body else "")
        except (OSError, InvalidHandshake, TimeoutError) as exc:
            why = f"{type(exc).__name__}: {exc}".rstrip(": ") + " (is the hub running?)"
        state("lost", f"{why}; retrying in {delay:.1f}s")
        await asyncio.sleep(delay)
        delay = min(delay * 2, backoff_max)
