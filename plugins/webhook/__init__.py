"""``webhook``: shop order notifications over HTTP, as ``order`` and ``refund`` events.

Orders come from the shop's back-end, not from the video platform: this
adapter listens for the shop's webhooks (Shopify-style, or any JSON through a
field mapping) and feeds the room's orders, so that one room can have a video
feed and an order feed. It needs the ``webhook`` extra (aiohttp).
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
from collections.abc import AsyncIterator, Mapping
from typing import Any, ClassVar

from livemon.adapters.base import Adapter, Option
from plugins.webhook.generic import FieldMap
from plugins.webhook.intake import Intake

__all__ = ["WebhookAdapter"]
INSTALL = "pip install -e '.[webhook]'"


class WebhookAdapter(Adapter):
    """An HTTP endpoint for signed shop order webhooks; each paid order line is one event."""

    name = "webhook"
    description = "shop order webhooks over HTTP (Shopify-style signed, or generic JSON mapped)"
    options: ClassVar[Mapping[str, Option]] = {
        "port": Option(int, 8780, "TCP port to listen on (0: any free port)"),
        "host": Option(str, "127.0.0.1", "address to bind; put a TLS proxy or tunnel in front"),
        "secret": Option(str, "", "the shop's signing secret, or env:VARIABLE (required)"),
        "paid": Option(str, "paid", "financial_status values counted as paid, comma-separated"),
        "event_time": Option(str, "order", "order: the shop's paid time; received: arrival time"),
        "signature_header": Option(
            str, "X-Livemon-Hmac-Sha256", "signature header of the generic form (base64 or hex)"
        ),
        "fields": FieldMap(dict, {}, "generic form: dotted path of each field (see config)"),
        "remember": Option(int, 100_000, "delivery and order-line ids kept for de-duplication"),
        "ack_timeout_s": Option(
            float,
            4.0,
            "seconds a delivery waits for the hub to record "
            "its events before the answer is 503 (Shopify waits 5 s)",
        ),
    }

    def __init__(self, room: str = "room-1", **options: Any) -> None:
        super().__init__(room, **options)
        settings = self.settings
        if settings["secret"].startswith("env:"):  # keeps the secret out of config files
            variable = settings["secret"][4:]
            settings["secret"] = os.environ.get(variable, "")
            if not settings["secret"]:
                raise ValueError(f"webhook secret=env:{variable}, but {variable} is not set")
        if not settings["secret"]:
            raise ValueError(
                "webhook needs secret=: the shop's webhook signing secret "
                "(Shopify: the app's client secret), e.g. --set secret=..."
            )
        if settings["event_time"] not in ("order", "received"):
            raise ValueError(f"option event_time must be order or received, "
                             f"got {settings['event_time']!r}")  # fmt: skip
        if not 0 < settings["ack_timeout_s"] <= 60:
            raise ValueError(f"option ack_timeout_s must be above 0 and at most 60 s, "
                             f"got {settings['ack_timeout_s']}")  # fmt: skip
        if not 0 <= settings["port"] <= 65535:
            raise ValueError(f"option port must be 0-65535, got {settings['port']}")
        if importlib.util.find_spec("aiohttp") is None:
            raise ValueError(f"the webhook adapter needs aiohttp: {INSTALL}")
        self.intake = Intake(
            room=room, paid=tuple(p.strip() for p in settings["paid"].split(",") if p.strip()),
            order_time=settings["event_time"] == "order", fields=settings["fields"],
            remember=settings["remember"],
        )  # fmt: skip
        self.port: int | None = None  # the port bound, once listening

    async def batches(self) -> AsyncIterator[list[dict[str, Any]]]:
        """Listen until cancelled; yield the new events of each delivery as they arrive."""
        from aiohttp import web

        from plugins.webhook.server import make_app

        s = self.settings
        queue: asyncio.Queue[list[dict[str, Any]]] = asyncio.Queue()
        queued = 0  # events handed to the feed so far: the k-th queued is the k-th yielded

        def feed(events: list[dict[str, Any]]) -> int:
            nonlocal queued
            queue.put_nowait(events)
            queued += len(events)
            return queued

        async def recorded(count: int) -> bool:
            return await self.wait_acked(count, s["ack_timeout_s"])

        app = make_app(self.intake, s["secret"], s["signature_header"], feed, recorded)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, s["host"], s["port"])
        self.set_feed_state("connecting", f"binding {s['host']}:{s['port']}")
        try:
            try:
                await site.start()
            except OSError as exc:
                self.set_feed_state("down", f"cannot listen on {s['host']}:{s['port']}")
                raise ValueError(f"webhook cannot listen on {s['host']}:{s['port']} "
                                 f"({exc.strerror}): pick another port=") from None  # fmt: skip
            server = site._server  # aiohttp keeps the bound sockets there
            sockets = getattr(server, "sockets", None) or []
            self.port = sockets[0].getsockname()[1] if sockets else s["port"]
            self.set_feed_state("up", f"listening on http://{s['host']}:{self.port}")
            while True:
                events = await queue.get()
                while not queue.empty():
                    events = events + queue.get_nowait()
                yield events
        finally:
            await runner.cleanup()
            self.set_feed_state("ended")
