"""Links from the hub to adapters: where a room's commands go and how results come back."""

from __future__ import annotations

import asyncio
from typing import Any

from websockets.asyncio.server import ServerConnection

from livemon import wire
from livemon.adapters.base import Adapter, CommandRefused


class AdapterLink:
    """An adapter that can be sent commands; subclasses say how."""

    name: str
    rooms: list[str]
    capabilities: frozenset[str] | None  # None: not declared, the adapter decides

    async def command(self, message: dict[str, Any]) -> dict[str, Any]:
        """Carry out a command map; return ``{"ok", "detail"}``."""
        raise NotImplementedError


class LocalLink(AdapterLink):
    """An adapter object running inside the hub's process (embedded mode)."""

    def __init__(self, adapter: Adapter, name: str) -> None:
        self.adapter = adapter
        self.name = name
        self.rooms = [adapter.room]
        self.capabilities = adapter.capabilities

    async def command(self, message: dict[str, Any]) -> dict[str, Any]:
        try:
            detail = await self.adapter.command(message["action"], message.get("args") or {})
        except CommandRefused as exc:
            return {"ok": False, "detail": str(exc)}
        return {"ok": True, "detail": str(detail)}


class RemoteLink(AdapterLink):
    """An adapter connected to ``/ingest``: commands go out as frames, results come back."""

    def __init__(self, ws: ServerConnection, name: str, rooms: list[str],
                 capabilities: frozenset[str] | None) -> None:  # fmt: skip
        self.ws = ws
        self.name = name
        self.rooms = rooms
        self.capabilities = capabilities
        self._waiting: dict[Any, asyncio.Future[dict[str, Any]]] = {}

    async def command(self, message: dict[str, Any]) -> dict[str, Any]:
        future = asyncio.get_running_loop().create_future()
        self._waiting[message["id"]] = future
        try:
            await self.ws.send(wire.encode({"op": "command", **message}))
            return await future
        finally:
            self._waiting.pop(message["id"], None)

    def result(self, message: dict[str, Any]) -> None:
        """A ``result`` frame from the adapter: wakes the command waiting for it."""
        future = self._waiting.get(message.get("id"))
        if future is None or future.done():
            return
        ok, detail = message.get("ok"), message.get("detail", "")
        if not isinstance(ok, bool):  # bool("false") is True: a failure must not read as done
            detail = (
                f"adapter {self.name} answered ok={ok!r}, not true or false ({detail}); "
                "outcome unknown, check the platform before retrying with a new id"
            )[:500]
            ok = False
        future.set_result({"ok": ok, "detail": str(detail)})

    def lost(self) -> None:
        """The connection dropped: every command still waiting fails, and is not resent."""
        for future in self._waiting.values():
            if not future.done():
                future.set_result({
                    "ok": False,
                    "detail": f"adapter {self.name} disconnected before answering; outcome "
                              "unknown, check the platform before retrying with a new id",
                })  # fmt: skip
