"""``douyin``: a Douyin (抖音) live room over the web push websocket.

Frames are decoded by ``frames.Decoder`` (pure), the connection is kept by
:class:`livemon.adapters.feed.WebsocketFeed`, and the signed URL comes from
the pluggable ``signer`` (``signer.py``), the only part that touches
signatures and cookies. With ``server=`` and no signer the adapter connects
to ``server`` as given plus ``room_id`` (a local stand-in, or a user's own
signing proxy).
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Mapping
from typing import Any, ClassVar

from websockets.http11 import Response

from livemon.adapters.base import Option
from livemon.adapters.feed import TIMING_OPTIONS, Decoded, Target, WebsocketFeed
from plugins.douyin import frames
from plugins.douyin.signer import sign

__all__ = ["DouyinAdapter"]

PUBLIC_SERVER = "wss://webcast5-ws-web-lf.douyin.com/webcast/im/push/v2/"


def with_query(url: str, **params: Any) -> str:
    """``url`` with ``params`` set in its query (replacing any of the same name).

    >>> with_query("ws://h/p?a=1&cursor=x", room_id=7, cursor="y")
    'ws://h/p?a=1&cursor=y&room_id=7'
    """
    parts = urllib.parse.urlsplit(url)
    query = dict(urllib.parse.parse_qsl(parts.query, keep_blank_values=True))
    query.update({k: str(v) for k, v in params.items()})
    return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query)))


class DouyinAdapter(WebsocketFeed):
    """Comments, gifts, likes, entries, follows, viewers and products of one Douyin room."""

    name = "douyin"
    description = "Douyin (抖音) live room: web push websocket (protobuf PushFrame + gzip)"
    options: ClassVar[Mapping[str, Option]] = {
        "room_id": Option(
            int, 0, "room id of the broadcast (the long roomId in the live.douyin.com/NNN page)"
        ),
        "server": Option(str, "", "push websocket URL (default: Douyin's public endpoint)"),
        "signer": Option(
            str,
            "",
            "command or http(s) URL that returns the signed websocket URL "
            "(needed only for the public endpoint)",
        ),
        **TIMING_OPTIONS,
    }

    def __init__(self, room: str = "room-1", **options: Any) -> None:
        super().__init__(room, **options)
        s = self.settings
        if s["room_id"] <= 0:
            raise ValueError("douyin needs room_id=N, the web room id of the broadcast")
        if not s["server"] and not s["signer"]:
            raise ValueError(
                "douyin: the public endpoint needs a signed URL: set signer= to a command or "
                "URL that returns one, or server= to your own endpoint or signing proxy"
            )
        self.decoder = frames.Decoder(room)

    async def target(self) -> Target:
        """The signed URL (or ``server`` plus ``room_id``), resuming at the last cursor."""
        s = self.settings
        if s["signer"]:
            where = await sign(s["signer"], s["room_id"], s["server"] or PUBLIC_SERVER)
        else:
            where = Target(with_query(s["server"], room_id=s["room_id"]))
        resume = {}
        if self.decoder.cursor:
            resume["cursor"] = self.decoder.cursor
        if self.decoder.internal_ext:
            resume["internal_ext"] = self.decoder.internal_ext
        return Target(with_query(where.url, **resume), where.headers) if resume else where

    def heartbeat(self) -> bytes:
        """A ``PushFrame`` of payloadType ``hb``."""
        return frames.heartbeat()

    def decode(self, data: bytes | str, now: float) -> Decoded:
        """Events and acks of one frame (see ``frames.Decoder``)."""
        return self.decoder.frame(data, now)

    def refusal(self, response: Response) -> str | None:
        """Douyin refuses with HTTP 200 and a ``handshake-msg`` header (e.g. DEVICE_BLOCKED)."""
        msg = response.headers.get("handshake-msg")
        if not msg and response.status_code not in (401, 403):
            return None
        status = response.headers.get("handshake-status", str(response.status_code))
        fix = (
            f"the signer (option signer={self.settings['signer']!r}) must give a fresh "
            "signed URL and cookies"
            if self.settings["signer"]
            else f"check server={self.settings['server']!r}, or set signer="
        )
        return f"douyin: the server refused the connection: {msg or 'HTTP'} ({status}); {fix}"
