"""A local stand-in for Bilibili's danmaku websocket that speaks its real bytes.

It reads the auth packet (operation 7) and answers it (operation 8), answers
each heart-beat (operation 2) with a popularity reply (operation 3, a 4-byte
body), and sends notifications (operation 5) several to a frame, as
brotli (protover 3) and zlib (protover 2) bodies holding packets, or plain
packets, in turn. It can drop the socket or fall silent after a given frame;
a new connection resumes a little before where the last one stopped (it
repeats ``overlap`` notifications), so that de-duplication is exercised.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import zlib
from dataclasses import dataclass, field
from typing import Any

import brotli
from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed

from plugins.bilibili import packets
from tests.plugins.standin import StandIn


def danmu(msg_id: int, uid: int, uname: str, text: str) -> dict[str, Any]:
    """A DANMU_MSG as the web client receives it (the suffixed cmd included)."""
    extra = json.dumps({"id_str": f"dm{msg_id}", "content": text})
    meta = [0, 1, 25, 16777215, 1_767_225_600_000 + msg_id, msg_id, 0, "c0ffee", 0, 0, 0, "",
            0, "{}", "{}", {"extra": extra, "mode": 0}]  # fmt: skip
    return {"cmd": "DANMU_MSG:4:0:2:2:2:0", "info": [meta, text, [uid, uname, 0, 0, 0, 10000, 1]]}


def gift(tid: str, uname: str, name: str, num: int, price: int, coin: str = "gold") -> dict:
    return {"cmd": "SEND_GIFT", "data": {
        "tid": tid, "uid": 7, "uname": uname, "giftName": name, "num": num, "price": price,
        "total_coin": num * price, "coin_type": coin, "timestamp": 1_767_225_600}}  # fmt: skip


def interact(uid: int, uname: str, msg_type: int, trigger: int) -> dict[str, Any]:
    return {"cmd": "INTERACT_WORD", "data": {"uid": uid, "uname": uname, "msg_type": msg_type,
                                             "trigger_time": trigger, "timestamp": 1}}  # fmt: skip


def notice(cmd: str, **data: Any) -> dict[str, Any]:
    return {"cmd": cmd, "data": data}


@dataclass
class Behaviour:
    """What the stand-in does on each connection (counted from 1)."""

    per_frame: int = 3
    bodies: tuple[str, ...] = ("brotli", "zlib", "plain")  # body kind of frame k, in turn
    drop_after: dict[int, int] = field(default_factory=dict)
    silent_after: dict[int, int] = field(default_factory=dict)
    quiet_s: float = 0.0
    overlap: int = 2
    auth_code: int = 0
    end_with_preparing: bool = True


class BilibiliStandIn(StandIn):
    """Serves ``script`` (notification maps) to whoever authenticates; see the module doc."""

    path = "/sub"

    def __init__(self, script: list[dict[str, Any]], behaviour: Behaviour | None = None) -> None:
        super().__init__()
        self.script = list(script)
        self.how = behaviour or Behaviour()
        if self.how.end_with_preparing:
            self.script.append({"cmd": "PREPARING", "roomid": 1})
        self.connections = 0
        self.auths: list[dict[str, Any]] = []
        self.heartbeats = 0
        self.delivered = 0  # notifications sent on the last connection, from its start

    def _frame(self, notices: list[dict[str, Any]], kind: str) -> bytes:
        inner = b"".join(packets.encode(packets.MESSAGE, json.dumps(n).encode(), packets.JSON)
                         for n in notices)  # fmt: skip
        if kind == "brotli":
            return packets.encode(packets.MESSAGE, brotli.compress(inner), packets.BROTLI)
        if kind == "zlib":
            return packets.encode(packets.MESSAGE, zlib.compress(inner), packets.ZLIB)
        return inner

    async def _handle(self, ws: ServerConnection) -> None:
        try:
            first = packets.decode(await asyncio.wait_for(ws.recv(), 5))
        except (TimeoutError, ConnectionClosed):
            return
        assert first[0].op == packets.AUTH, "the first packet must be the auth packet"
        self.auths.append(json.loads(first[0].body))
        reply = json.dumps({"code": self.how.auth_code}).encode()
        await ws.send(packets.encode(packets.AUTH_REPLY, reply, packets.INT))
        if self.how.auth_code != 0:
            await ws.close()
            return
        self.connections += 1
        number = self.connections
        start = max(0, self.delivered - self.how.overlap) if number > 1 else 0
        listen = asyncio.create_task(self._listen(ws))
        try:
            await asyncio.sleep(self.how.quiet_s)
            sent = 0
            for at in range(start, len(self.script), self.how.per_frame):
                if self.how.drop_after.get(number) == sent:
                    ws.transport.abort()
                    return
                if self.how.silent_after.get(number) == sent:
                    listen.cancel()
                    await ws.wait_closed()
                    return
                chunk = self.script[at : at + self.how.per_frame]
                kind = self.how.bodies[sent % len(self.how.bodies)]
                await ws.send(self._frame(chunk, kind))
                self.delivered = at + len(chunk)
                sent += 1
                await asyncio.sleep(0.005)
            await ws.wait_closed()
        except ConnectionClosed:
            pass
        finally:
            listen.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await listen

    async def _listen(self, ws: ServerConnection) -> None:
        with contextlib.suppress(ConnectionClosed):
            async for data in ws:
                for packet in packets.decode(data):
                    if packet.op == packets.HEARTBEAT:
                        self.heartbeats += 1
                        popularity = (1000 + self.heartbeats).to_bytes(4, "big")
                        await ws.send(packets.encode(packets.HEARTBEAT_REPLY, popularity,
                                                     packets.INT))  # fmt: skip
