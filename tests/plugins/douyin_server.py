"""A local stand-in for Douyin's push endpoint that speaks its real bytes.

Binary websocket frames are protobuf ``PushFrame``s whose payload is a gzip
``Response`` holding ``Message``s, exactly as the public endpoint sends them;
it answers ``hb`` frames with ``hb``, asks for acks (``needAck``) and records
them, and resumes a reconnecting client from the ``cursor`` in its URL, with
an overlap of messages already sent (as the real one does), so that
de-duplication is exercised. It can drop the socket or fall silent after a
given frame, answer 503 for a while after a drop, and refuse the handshake
with ``DEVICE_BLOCKED``.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import time
import urllib.parse
from dataclasses import dataclass, field
from http import HTTPStatus

from websockets.asyncio.server import ServerConnection
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from plugins.douyin import webcast_pb2 as pb
from tests.plugins.standin import StandIn


def message(method: str, msg_id: int, body) -> pb.Message:
    """A ``Message`` envelope around one Webcast message."""
    body.common.msgId = msg_id
    body.common.method = method
    return pb.Message(method=method, payload=body.SerializeToString(), msgId=msg_id)


def chat(msg_id: int, user: str, text: str) -> pb.Message:
    return message("WebcastChatMessage", msg_id, pb.ChatMessage(
        user=pb.User(id=msg_id, nickName=user), content=text))  # fmt: skip


def gift(msg_id: int, user_id: int, group: int, diamonds: int, hit: int, end: bool,
         combo: bool = True) -> pb.Message:  # fmt: skip
    return message("WebcastGiftMessage", msg_id, pb.GiftMessage(
        user=pb.User(id=user_id, nickName=f"u{user_id}"), groupId=group, repeatCount=hit,
        comboCount=hit, groupCount=1, repeatEnd=1 if end else 0,
        gift=pb.GiftStruct(id=1, name="rose", combo=combo, diamondCount=diamonds)))  # fmt: skip


@dataclass
class Behaviour:
    """What the stand-in does on each connection (counted from 1)."""

    per_frame: int = 3  # messages per Response
    drop_after: dict[int, int] = field(default_factory=dict)  # connection -> frames, then abort
    silent_after: dict[int, int] = field(default_factory=dict)  # connection -> frames, then mute
    quiet_s: float = 0.0  # pause (heart-beat replies only) before the first frame
    # When given, the pause lasts until it is set too, so a test ends the quiet
    # when it has seen enough of it (however slow the machine), not on a timer.
    quiet_until: asyncio.Event | None = None
    overlap: int = 2  # messages already sent that a resumed connection repeats
    refuse: str = ""  # handshake-msg to refuse every handshake with (e.g. DEVICE_BLOCKED)
    unavailable_s: float = 0.0  # after a drop, handshakes get HTTP 503 for this long
    end_with_control: bool = True  # after the script, WebcastControlMessage status 3


class DouyinStandIn(StandIn):
    """Serves ``script`` (a list of ``Message``) to whoever connects; see the module doc."""

    path = "/webcast/im/push/v2/"

    def __init__(self, script: list[pb.Message], behaviour: Behaviour | None = None) -> None:
        super().__init__()
        self.script = list(script)
        self.how = behaviour or Behaviour()
        if self.how.end_with_control:
            self.script.append(message("WebcastControlMessage", 999_999,
                                       pb.ControlMessage(status=3)))  # fmt: skip
        self.connections = 0
        self.queries: list[dict[str, str]] = []
        self.cookies: list[str | None] = []
        self.heartbeats = 0
        self.acks: list[tuple[int, bytes]] = []
        self.unavailable_until = 0.0
        self.unavailable_answers = 0

    def _check(self, conn: ServerConnection, request: Request) -> Response | None:
        if time.monotonic() < self.unavailable_until:
            self.unavailable_answers += 1
            return conn.respond(HTTPStatus.SERVICE_UNAVAILABLE, "try again later\n")
        if not self.how.refuse:
            return None
        # What the real endpoint does: 200 without upgrading, the reason in headers.
        headers = Headers([("handshake-msg", self.how.refuse), ("handshake-status", "415"),
                           ("content-length", "0")])  # fmt: skip
        return Response(HTTPStatus.OK, "OK", headers, b"")

    async def _handle(self, ws: ServerConnection) -> None:
        self.connections += 1
        number = self.connections
        query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(ws.request.path).query))
        self.queries.append(query)
        self.cookies.append(ws.request.headers.get("Cookie"))
        start = int(query.get("cursor", "0"))
        if start:
            start = max(0, start - self.how.overlap)
        listen = asyncio.create_task(self._listen(ws))
        try:
            await asyncio.sleep(self.how.quiet_s)
            if self.how.quiet_until is not None:
                await self.how.quiet_until.wait()
            sent = 0
            for first in range(start, len(self.script), self.how.per_frame):
                if self.how.drop_after.get(number) == sent:
                    self.unavailable_until = time.monotonic() + self.how.unavailable_s
                    ws.transport.abort()  # mid-stream, no close frame: a dead TCP link
                    return
                if self.how.silent_after.get(number) == sent:
                    listen.cancel()  # stops answering heart-beats too
                    await ws.wait_closed()
                    return
                chunk = self.script[first : first + self.how.per_frame]
                await ws.send(self._frame(chunk, cursor=first + len(chunk), log_id=first + 1))
                sent += 1
                await asyncio.sleep(0.005)
            await ws.wait_closed()
        except ConnectionClosed:
            pass
        finally:
            listen.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await listen

    def _frame(self, messages: list[pb.Message], cursor: int, log_id: int) -> bytes:
        response = pb.Response(messages=messages, cursor=str(cursor), needAck=True,
                               internalExt=f"ext-{cursor}", heartbeatDuration=10_000)  # fmt: skip
        return pb.PushFrame(
            logId=log_id, payloadType="msg", payloadEncoding="gzip",
            headers=[pb.Header(key="compress_type", value="gzip")],
            payload=gzip.compress(response.SerializeToString()),
        ).SerializeToString()  # fmt: skip

    async def _listen(self, ws: ServerConnection) -> None:
        with contextlib.suppress(ConnectionClosed):
            async for data in ws:
                frame = pb.PushFrame.FromString(data)
                if frame.payloadType == "hb":
                    self.heartbeats += 1
                    await ws.send(pb.PushFrame(payloadType="hb").SerializeToString())
                elif frame.payloadType == "ack":
                    self.acks.append((frame.logId, frame.payload))
