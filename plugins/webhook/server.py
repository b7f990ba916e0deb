"""The webhook's HTTP endpoint (aiohttp): signature check, then the intake, then the feed.

Paths: ``POST /shopify`` (Shopify-style, topic in ``X-Shopify-Topic``),
``POST /orders`` and ``POST /refunds`` (the generic JSON form), ``GET /health``.
Answers: 401 for a missing or wrong signature (nothing counted), 400 for a
body that is not JSON, 422 for JSON without a field the mapping needs (the
answer names it; nothing of that delivery is counted), 200 otherwise, with
``{"counted": N, "duplicate": bool}``, once the hub has the delivery's events
in its recording: a shop takes a 200 as delivered and never sends it again.
If the hub has not recorded them within ``ack_timeout_s`` (its disk is full,
the link to it is down), the answer is 503 and the delivery is forgotten, so
the shop's retry counts (the hub drops the copy if the first one arrives
after all: order ids are unique per room).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from plugins.webhook.intake import Intake, Outcome
from plugins.webhook.signing import verify
from plugins.webhook.values import PayloadError

log = logging.getLogger("livemon.adapter.webhook")
MAX_BODY = 1 << 20  # 1 MiB: a big order is a few KiB
# Headers that name one delivery; a retry of the delivery carries the same value.
DELIVERY_HEADERS = ("X-Shopify-Webhook-Id", "X-Shopify-Event-Id", "X-Webhook-Id",
                    "X-Request-Id")  # fmt: skip
SHOPIFY_SIGNATURE = "X-Shopify-Hmac-Sha256"


def make_app(intake: Intake, secret: str, signature_header: str,
             feed: Callable[[list[dict[str, Any]]], int],
             recorded: Callable[[int], Awaitable[bool]]) -> web.Application:  # fmt: skip
    """The aiohttp application. ``feed`` takes each delivery's new events and returns how
    many events it has taken in all; ``recorded(n)`` says (waiting a while) whether the hub
    has the first ``n`` in its recording."""

    Handle = Callable[[str | None, Any, float], Outcome]

    async def take(request: web.Request, header: str, hex_ok: bool,
                   handle: Handle) -> web.Response:  # fmt: skip
        body = await request.read()
        if not verify(secret, body, request.headers.get(header), hex_ok=hex_ok):
            log.warning("webhook %s: bad or missing %s from %s; nothing counted",
                        request.path, header, request.remote)  # fmt: skip
            return _json(401, {"error": f"bad or missing {header}: check webhook.secret "
                                        "against the shop's signing secret"})  # fmt: skip
        try:
            payload = json.loads(body)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            return _json(400, {"error": f"the body is not JSON: {exc}"})
        delivery = next((request.headers[h] for h in DELIVERY_HEADERS if h in request.headers),
                        None)  # fmt: skip
        try:
            outcome = handle(delivery, payload, time.time())
        except PayloadError as exc:
            log.warning("webhook %s: %s; nothing counted", request.path, exc)
            return _json(422, {"error": str(exc)})
        if outcome.events and not await recorded(feed(outcome.events)):
            intake.forget(delivery, outcome.events)
            log.warning("webhook %s: the hub has not recorded delivery %s yet: answered 503, "
                        "the shop will deliver it again", request.path, delivery)  # fmt: skip
            why = "not recorded yet: the hub has not confirmed these events in time; deliver again"
            return _json(503, {"error": why + " (it is counted once)"})
        return _json(200, outcome.answer())

    async def shopify(request: web.Request) -> web.Response:
        topic = request.headers.get("X-Shopify-Topic", "")
        return await take(request, SHOPIFY_SIGNATURE, False,
                          lambda d, p, now: intake.shopify(topic, d, p, now))  # fmt: skip

    async def orders(request: web.Request) -> web.Response:
        return await take(request, signature_header, True, intake.generic_order)

    async def refunds(request: web.Request) -> web.Response:
        return await take(request, signature_header, True, intake.generic_refund)

    async def health(request: web.Request) -> web.Response:
        return _json(200, {"ok": True, "room": intake.room})

    app = web.Application(client_max_size=MAX_BODY)
    app.router.add_post("/shopify", shopify)
    app.router.add_post("/orders", orders)
    app.router.add_post("/refunds", refunds)
    app.router.add_get("/health", health)
    return app


def _json(status: int, body: dict[str, Any]) -> web.Response:
    return web.json_response(body, status=status)
