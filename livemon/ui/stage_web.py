"""`livemon stage --web PORT`: the stage screen served to browsers through textual-serve.

Each browser gets its own `livemon stage` process (textual-serve runs the
command per page). The watch token reaches those processes through the
environment, never the command line or the page. The server binds
127.0.0.1 unless `--host` says otherwise, and then only with a token the hub
takes as a watch token: a control token is refused before anything listens.
"""

from __future__ import annotations

import asyncio
import ipaddress
import os
import shlex
import socket
import sys
from ssl import SSLContext
from typing import Any

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from livemon import wire
from livemon.tls import client_context
from livemon.ui.client import hub_url

PROBE_TIMEOUT_S = 10.0


def is_loopback(host: str) -> bool:
    """True for an address that only this machine can reach.

    >>> is_loopback("127.0.0.1"), is_loopback("localhost"), is_loopback("::1")
    (True, True, True)
    >>> is_loopback("0.0.0.0"), is_loopback("192.168.1.20")
    (False, False)
    """
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


async def opens(url: str, token: str, ssl: SSLContext | None = None) -> bool:
    """True when the hub at `url` (a full endpoint URL) takes `token` there; False on 1008."""
    hello = {"op": "hello", "v": wire.VERSION, "token": token, "name": "stage-probe"}
    tls: dict[str, Any] = {"ssl": ssl} if ssl is not None else {}
    try:
        async with connect(url, max_size=wire.MAX_FRAME, **tls) as ws:
            await ws.send(wire.encode(hello))
            async with asyncio.timeout(PROBE_TIMEOUT_S):
                reply = wire.decode(await ws.recv())
            return reply["op"] == "welcome"
    except ConnectionClosed as exc:
        if exc.rcvd is not None and exc.rcvd.code == wire.CLOSE_POLICY:
            return False
        raise


async def check_watch_token(url: str, token: str, ssl: SSLContext | None = None) -> None:
    """Raise ValueError unless the hub takes `token` on /watch and refuses it on /control."""
    try:
        if await opens(hub_url(url, "/control"), token, ssl):
            raise ValueError(
                "that is a control token: serving the stage to the network needs "
                "a watch token (LIVEMON_WATCH_TOKEN), which cannot send commands"
            )
        if not await opens(hub_url(url, "/watch"), token, ssl):
            raise ValueError(
                "the hub refused the token on /watch: check LIVEMON_WATCH_TOKEN / --token"
            )
    except (OSError, TimeoutError) as exc:
        raise ValueError(
            f"cannot reach the hub at {url} to check the token ({exc}): is it running?"
        ) from None


def address_to_open(bind: str) -> str:
    """The address a browser on another machine opens for a server bound to ``bind``: ``bind``
    itself, but for a wildcard (0.0.0.0, ::) this machine's address on its default route (the
    page's own links use it: with 0.0.0.0 in them, a tablet's browser loads nothing).

    >>> address_to_open("192.168.1.20")
    '192.168.1.20'
    """
    if bind not in ("0.0.0.0", "::", ""):
        return bind
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # TEST-NET-1: no packet is sent, a route is chosen
            return str(probe.getsockname()[0])
        except OSError:
            return socket.gethostname()


def check_port_free(host: str, port: int) -> None:
    """Raise ValueError unless ``host:port`` can be listened on now (before any banner)."""
    if port == 0:
        raise ValueError("--web needs a port number (1-65535) the tablet can open, not 0")
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        with socket.socket(infos[0][0], socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind(infos[0][4])
    except OSError as exc:
        raise ValueError(
            f"cannot serve the stage on {host}:{port} ({exc.strerror or exc}): "
            "is something else listening there? pick another --web PORT"
        ) from None


def stage_command(url: str, room: str | None, ca: str | None = None) -> str:
    """The command textual-serve runs for each browser: this livemon, stage, no token.

    >>> stage_command("ws://127.0.0.1:8765", "room-2").endswith(
    ...     "-m livemon.cli stage --url ws://127.0.0.1:8765 --room room-2")
    True
    """
    argv = [sys.executable, "-m", "livemon.cli", "stage", "--url", url]
    if room:
        argv += ["--room", room]
    if ca:
        argv += ["--ca", os.path.abspath(ca)]
    return shlex.join(argv)


def serve_stage(url: str, token: str, room: str | None, port: int, host: str | None,
                ca: str | None = None) -> int:  # fmt: skip
    """Serve the stage screen on `host:port` (default 127.0.0.1) until interrupted."""
    try:
        from textual_serve.server import Server
    except ImportError:
        raise ValueError("--web needs textual-serve: pip install 'livemon[web]'") from None
    bind = host or "127.0.0.1"
    check_port_free(bind, port)
    if not is_loopback(bind):
        asyncio.run(check_watch_token(url, token, client_context(url, ca)))
    os.environ["LIVEMON_WATCH_TOKEN"] = token  # inherited by each page's process
    title = f"livemon stage{' · ' + room if room else ''}"
    opened = address_to_open(bind)
    page = f"http://{f'[{opened}]' if ':' in opened else opened}:{port}"
    listening = f"listening on {bind}:{port}, " if opened != bind else ""
    print(f"livemon stage on {page}  ({listening}hub {url})", file=sys.stderr, flush=True)
    Server(stage_command(url, room, ca), host=bind, port=port, title=title,
           public_url=page).serve()  # fmt: skip
    return 0
