"""``bilibili``: a Bilibili live room over the public danmaku websocket.

Packets are framed by ``packets`` (pure), notifications mapped by
``messages.Decoder`` (pure), and the connection kept by
:class:`livemon.adapters.feed.WebsocketFeed`. On open the adapter sends the
auth packet with the room id; it sends a heart-beat every ``heartbeat_s``
(Bilibili asks for 30 s) and the server answers each one.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from typing import Any, ClassVar

from websockets.asyncio.client import ClientConnection

from livemon.adapters.base import Option
from livemon.adapters.feed import TIMING_OPTIONS, Decoded, FeedRefused, Target, WebsocketFeed
from plugins.bilibili import messages, packets

__all__ = ["BilibiliAdapter"]

PUBLIC_SERVER = "wss://broadcastlv.chat.bilibili.com/sub"


class BilibiliAdapter(WebsocketFeed):
    """Danmaku, gifts, entries, follows, likes and viewers of one Bilibili live room."""

    name = "bilibili"
    description = "Bilibili (哔哩哔哩) live room: danmaku websocket (16-byte packets, zlib/brotli)"
    options: ClassVar[Mapping[str, Option]] = {
        "room_id": Option(int, 0, "the room id (the long one; live.bilibili.com/N may be short)"),
        "server": Option(str, PUBLIC_SERVER, "danmaku websocket URL"),
        "uid": Option(int, 0, "your Bilibili uid for the auth packet (0: anonymous)"),
        "key": Option(str, "", "the auth token from getDanmuInfo (for full user names)"),
        "buvid": Option(str, "", "your buvid3 cookie value, sent with the auth packet"),
        **TIMING_OPTIONS,
        "heartbeat_s": Option(float, 30.0, "seconds between heart-beats (Bilibili asks for 30)"),
        "timeout_s": Option(
            float,
            70.0,
            "a socket that sends nothing (not even a heart-beat reply) this long is dead",
        ),
    }

    def __init__(self, room: str = "room-1", **options: Any) -> None:
        super().__init__(room, **options)
        if self.settings["room_id"] <= 0:
            raise ValueError("bilibili needs room_id=N, the room id of the broadcast")
        self.decoder = messages.Decoder(room)

    async def target(self) -> Target:
        """The danmaku server as configured."""
        return Target(self.settings["server"])

    def auth_packet(self) -> bytes:
        """The auth packet: room id, and brotli bodies if ``brotli`` is installed (else zlib)."""
        s = self.settings
        body: dict[str, Any] = {
            "uid": s["uid"], "roomid": s["room_id"], "platform": "web", "type": 2,
            "protover": packets.BROTLI if packets.brotli_module() else packets.ZLIB,
        }  # fmt: skip
        if s["key"]:
            body["key"] = s["key"]
        if s["buvid"]:
            body["buvid"] = s["buvid"]
        return packets.encode(packets.AUTH, json.dumps(body).encode(), packets.INT)

    async def opened(self, ws: ClientConnection) -> None:
        """Send the auth packet and wait for its reply; a code other than 0 is a refusal."""
        await ws.send(self.auth_packet())
        while True:
            data = await ws.recv()
            if isinstance(data, bytes):
                for packet in packets.decode(data):
                    if packet.op == packets.AUTH_REPLY:
                        code = messages.auth_code(packet.body)
                        if code != 0:
                            raise FeedRefused(
                                f"bilibili: the server refused the auth packet for room "
                                f"{self.settings['room_id']} (code {code}): check room_id=, and "
                                "key= / uid= / buvid= (a fresh key from getDanmuInfo)"
                            )
                        return
            await asyncio.sleep(0)

    def heartbeat(self) -> bytes:
        """Operation 2 with the body the web client sends."""
        return packets.encode(packets.HEARTBEAT, b"[object Object]", packets.INT)

    def decode(self, data: bytes | str, now: float) -> Decoded:
        """Events of one frame (see ``messages.Decoder``)."""
        return self.decoder.frame(data, now)
