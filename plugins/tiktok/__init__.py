"""``tiktok``: a TikTok LIVE room through the TikTokLive package (the ``tiktok`` extra).

TikTokLive speaks TikTok's web push protocol (its heart-beats included) and
gets the websocket URL signed by a sign server (Euler Stream by default,
``server=`` for another). This adapter keeps the connection: it reconnects
with capped, jittered backoff when TikTokLive's client disconnects or goes
silent, de-duplicates on TikTok's message ids (a reconnect may replay recent
messages), and reports its feed state to the hub.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import logging
import os
import random
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any, ClassVar

from livemon.adapters.base import Adapter, Option
from livemon.adapters.feed import FeedRefused

__all__ = ["TikTokAdapter"]
log = logging.getLogger("livemon.adapter.tiktok")
INSTALL = "pip install -e '.[tiktok]'"


class TikTokAdapter(Adapter):
    """A TikTok LIVE room: comments, viewers, likes, gifts, joins, follows, shares, products."""

    name = "tiktok"
    description = "TikTok LIVE room via the TikTokLive package (extra: tiktok)"
    options: ClassVar[Mapping[str, Option]] = {
        "unique_id": Option(str, "", "the creator's @name whose LIVE to watch (required)"),
        "room_id": Option(int, 0, "TikTok room id, to skip looking it up from the @name"),
        "server": Option(str, "", "sign server base URL (default: TikTokLive's, Euler Stream)"),
        "sign_api_key": Option(str, "env:SIGN_API_KEY", "sign server API key, or env:VARIABLE"),
        "diamond_cents": Option(float, 0.5, "value of one TikTok diamond in cents (gift values)"),
        "silence_s": Option(float, 60.0, "no message at all this long: reconnect (quiet != dead)"),
        "retry_s": Option(float, 1.0, "first reconnect delay; doubles up to max_retry_s, jittered"),
        "max_retry_s": Option(float, 30.0, "longest reconnect delay"),
        "offline_retry_s": Option(
            float, 30.0, "how often to look again while the creator is offline"
        ),
        "remember": Option(int, 50_000, "message ids kept to drop messages replayed on reconnect"),
    }

    # How TikTokLive's client is made; tests put a stand-in here.
    client_factory: Callable[..., Any] | None = None

    def __init__(self, room: str = "room-1", **options: Any) -> None:
        super().__init__(room, **options)
        s = self.settings
        s["unique_id"] = s["unique_id"].strip().lstrip("@")
        if not s["unique_id"] and not s["room_id"]:
            raise ValueError("tiktok needs unique_id= (the creator's @name), e.g. "
                             "--set unique_id=somecreator")  # fmt: skip
        if s["sign_api_key"].startswith("env:"):
            s["sign_api_key"] = os.environ.get(s["sign_api_key"][4:], "")
        for key in ("silence_s", "retry_s", "max_retry_s", "offline_retry_s"):
            if not s[key] > 0:
                raise ValueError(f"option {key} must be > 0, got {s[key]}")
        if self.client_factory is None and importlib.util.find_spec("TikTokLive") is None:
            raise ValueError(f"the tiktok adapter needs the TikTokLive package: {INSTALL}")
        self._seen: OrderedDict[int, None] = OrderedDict()
        self.reconnects = 0
        self._lost = ""  # why the last connection ended

    def _client(self) -> Any:
        s = self.settings
        signer = {k: v for k, v in (("sign_api_base", s["server"]),
                                    ("sign_api_key", s["sign_api_key"])) if v}  # fmt: skip
        factory = self.client_factory
        if factory is None:
            from TikTokLive import TikTokLiveClient

            factory = TikTokLiveClient
        return factory(unique_id=s["unique_id"] or str(s["room_id"]),
                       web_kwargs={"signer_kwargs": signer} if signer else None)  # fmt: skip

    def fresh(self, event: Any) -> bool:
        """False for a message already fed (same TikTok message id); remembers it."""
        from plugins.tiktok.mapping import message_id

        msg_id = message_id(event)
        if msg_id is None:
            return True
        if msg_id in self._seen:
            return False
        self._seen[msg_id] = None
        if len(self._seen) > self.settings["remember"]:
            self._seen.popitem(last=False)
        return True

    async def batches(self) -> AsyncIterator[list[dict[str, Any]]]:
        """Connect, feed, and reconnect until the LIVE ends (or the feed is cancelled)."""
        from TikTokLive.client.errors import UserOfflineError
        from TikTokLive.events import ConnectEvent, DisconnectEvent, WebsocketResponseEvent

        from plugins.tiktok.mapping import Mapper

        s = self.settings
        mapper = Mapper(self.room, s["diamond_cents"])
        delay = s["retry_s"]
        ended = False
        while not ended:
            who = f"@{s['unique_id']}" if s["unique_id"] else f"room {s['room_id']}"
            self.set_feed_state("connecting", f"joining {who}")
            inbox: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
            client = self._client()
            listens = {kind: "event" for kind in mapper.handlers} | {
                ConnectEvent: "connected", DisconnectEvent: "closed",
                WebsocketResponseEvent: "alive",  # every message, of any kind: not silent
            }  # fmt: skip
            for kind, tag in listens.items():
                client.add_listener(kind, _enqueue(inbox, tag))
            try:
                # TikTokLive's start has no deadline of its own (room lookup, signing).
                async with asyncio.timeout(s["silence_s"]):
                    await client.start(room_id=s["room_id"] or None)
            except UserOfflineError:
                self.set_feed_state("down", f"{who} is not live; looking again in "
                                    f"{s['offline_retry_s']:g} s")  # fmt: skip
                await self._stop(client)
                await asyncio.sleep(s["offline_retry_s"])
                continue
            except Exception as exc:  # TikTokLive raises many kinds: sign server, blocks, network
                await self._stop(client)
                refused = refusal(exc, who)
                if refused is not None:
                    self.set_feed_state("down", refused)
                    raise FeedRefused(refused) from None
                detail = f"{type(exc).__name__}: {exc}"[:160]
                wait = delay * random.uniform(0.5, 1.0)
                self.set_feed_state("down", f"{detail}; retry in {wait:.0f} s")
                log.warning("tiktok %s: %s", who, detail)
                await self._stop(client)
                await asyncio.sleep(wait)
                delay = min(delay * 2, s["max_retry_s"])
                continue
            try:
                async for batch in self._drain(inbox, mapper, s["silence_s"]):
                    if batch == "up":
                        self.set_feed_state("up")
                        delay = s["retry_s"]
                        continue
                    if any(e["type"] == "live" and e["on"] is False for e in batch):
                        ended = True
                    yield batch
                    if ended:
                        break
            finally:
                await self._stop(client)
            if not ended:
                self.reconnects += 1
                wait = delay * random.uniform(0.5, 1.0)
                self.set_feed_state("down", f"{self._lost}; reconnecting in {wait:.1f} s")
                await asyncio.sleep(wait)
                delay = min(delay * 2, s["max_retry_s"])
        self.set_feed_state("ended", "the LIVE ended")

    async def _drain(self, inbox: asyncio.Queue, mapper: Any,
                     silence_s: float) -> AsyncIterator[Any]:  # fmt: skip
        """Batches from one connection until it closes or stays silent for ``silence_s``."""
        while True:
            try:
                async with asyncio.timeout(silence_s):
                    kind, event = await inbox.get()
            except TimeoutError:
                self._lost = f"no message for {silence_s:g} s"
                log.warning("tiktok: %s; reconnecting", self._lost)
                return
            batch: list[dict[str, Any]] = []
            while True:
                if kind == "closed":
                    self._lost = "TikTok closed the connection"
                    if batch:
                        yield batch
                    return
                if kind == "connected":
                    if batch:
                        yield batch
                        batch = []
                    yield "up"
                    batch.append({"type": "live", "room": self.room, "ts": time.time(),
                                  "on": True})  # fmt: skip
                elif kind == "event" and self.fresh(event):
                    batch.extend(mapper(event, time.time()))
                if inbox.empty():
                    break
                kind, event = inbox.get_nowait()
            if batch:
                yield batch

    @staticmethod
    async def _stop(client: Any) -> None:
        """Disconnect and close the client's HTTP session (a new client is made to reconnect)."""
        with contextlib.suppress(Exception):
            await client.disconnect()
        web = getattr(client, "web", None)
        if web is not None:
            with contextlib.suppress(Exception):
                await web.close()


def _enqueue(inbox: asyncio.Queue, tag: str) -> Callable[[Any], None]:
    """A TikTokLive listener that puts ``(tag, event)`` on ``inbox``."""
    return lambda event: inbox.put_nowait((tag, event))


def refusal(exc: BaseException, who: str) -> str | None:
    """Why retrying cannot help after ``exc`` from TikTokLive, naming the option; None if it can."""
    from TikTokLive.client.errors import (
        AgeRestrictedError,
        SignAPIError,
        UserNotFoundError,
        WebcastBlockedError,
    )

    if isinstance(exc, UserNotFoundError):
        return f"tiktok: TikTok has no user {who}: check unique_id="
    if isinstance(exc, AgeRestrictedError):
        return (f"tiktok: {who}'s LIVE is age-restricted and needs a logged-in session, "
                "which this adapter does not set up")  # fmt: skip
    if isinstance(exc, WebcastBlockedError):
        return ("tiktok: TikTok blocked this device or address (DEVICE_BLOCKED): use another "
                "sign server (server=) or network")  # fmt: skip
    if isinstance(exc, SignAPIError):
        reason = exc.reason.name
        status = exc.response.status_code if exc.response is not None else None
        if reason in ("PREMIUM_ENDPOINT", "AUTHENTICATED_WS") or status in (401, 402, 403):
            return (f"tiktok: the sign server refused ({reason}"
                    f"{f', HTTP {status}' if status else ''}): check sign_api_key= "
                    "(or SIGN_API_KEY) and server=")  # fmt: skip
    return None
