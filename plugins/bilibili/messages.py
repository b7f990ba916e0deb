"""Bilibili danmaku frames to protocol events: pure decoding, no I/O, no clock.

Operation 5 packets carry one JSON notification each, named by ``cmd``
(``DANMU_MSG`` may carry a suffix such as ``DANMU_MSG:4:0:2:2:2:0``). Counts
that Bilibili sends as running totals (likes) become increments.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Callable, Hashable
from typing import Any

from livemon.adapters.feed import Decoded
from livemon.events import MAX_NAME
from plugins.bilibili import packets

log = logging.getLogger("livemon.bilibili")

GOLD_PER_CENT = 10  # 1000 gold (金瓜子) = 1 CNY = 100 cents
# INTERACT_WORD.msg_type
ENTER, FOLLOW, SHARE, SPECIAL_FOLLOW, MUTUAL_FOLLOW = 1, 2, 3, 4, 5


class AuthRefused(Exception):
    """The auth reply's code is not 0."""


class Decoder:
    """Turns received frames into events for ``room``."""

    def __init__(self, room: str) -> None:
        self.room = room
        self.likes: int | None = None  # the room's running like total, once seen
        self.online: int | None = None
        self.total: int | None = None
        self.popularity: int | None = None
        self.bad = 0
        self.unknown: dict[str, int] = {}

    def frame(self, data: bytes | str, now: float) -> Decoded:
        """What one websocket frame means; malformed packets are logged and skipped."""
        out = Decoded()
        if isinstance(data, str):
            self._bad("a text frame (Bilibili sends binary packets)", data[:60])
            return out
        try:
            found = packets.decode(data)
        except packets.PacketError as exc:
            self._bad(str(exc), data[:32].hex())
            return out
        for packet in found:
            if packet.op == packets.HEARTBEAT_REPLY and len(packet.body) >= 4:
                self.popularity = int.from_bytes(packet.body[:4], "big")  # 人气, kept, not mapped
            elif packet.op == packets.MESSAGE:
                try:
                    notice = json.loads(packet.body)
                    if not isinstance(notice, dict):
                        raise ValueError("not a JSON object")
                    self._notice(notice, now, out)
                except (ValueError, KeyError, IndexError, TypeError) as exc:
                    self._bad(f"a notification that does not fit ({exc!r})", packet.body[:80])
        return out

    def _bad(self, what: str, sample: Any) -> None:
        self.bad += 1
        log.warning("bilibili: skipped %s: %s", what, sample)

    def _event(self, out: Decoded, key: Hashable | None, kind: str, now: float, **fields) -> None:
        out.events.append((key, {"type": kind, "room": self.room, "ts": now, **fields}))

    def _notice(self, notice: dict[str, Any], now: float, out: Decoded) -> None:
        cmd = str(notice.get("cmd", "")).split(":", 1)[0]
        handler = _HANDLERS.get(cmd)
        if handler is None:
            self.unknown[cmd] = self.unknown.get(cmd, 0) + 1
            return
        handler(self, notice, now, out)

    def _danmu(self, notice: dict[str, Any], now: float, out: Decoded) -> None:
        info = notice["info"]
        meta, text, user = info[0], str(info[1]), info[2]
        key: Hashable = ("dm", user[0], meta[4], text)
        if len(meta) > 15 and isinstance(meta[15], dict):
            extra = meta[15].get("extra")
            if isinstance(extra, str):
                with contextlib.suppress(ValueError, TypeError, AttributeError):
                    key = json.loads(extra).get("id_str") or key
        if text:
            self._event(out, key, "comment", now, user=str(user[1])[:MAX_NAME], text=text[:1000])

    def _gift(self, notice: dict[str, Any], now: float, out: Decoded) -> None:
        data = notice["data"]
        gold = int(data.get("total_coin") or int(data.get("price", 0)) * int(data.get("num", 1)))
        cents = gold // GOLD_PER_CENT if data.get("coin_type", "gold") == "gold" else 0
        key = ("gift", data.get("tid") or (data.get("uid"), data.get("timestamp"), data.get("rnd")))
        self._event(out, key, "gift", now, user=str(data["uname"])[:MAX_NAME], value_cents=cents)

    def _guard(self, notice: dict[str, Any], now: float, out: Decoded) -> None:
        data = notice["data"]
        cents = int(data.get("price", 0)) * int(data.get("num", 1)) // GOLD_PER_CENT
        key = ("guard", data.get("uid"), data.get("start_time"), data.get("guard_level"))
        self._event(out, key, "gift", now, user=str(data["username"])[:MAX_NAME], value_cents=cents)

    def _super_chat(self, notice: dict[str, Any], now: float, out: Decoded) -> None:
        data = notice["data"]
        user = str(data.get("user_info", {}).get("uname") or data.get("uid"))[:MAX_NAME]
        key = ("sc", data.get("id"))
        self._event(out, key + ("gift",), "gift", now, user=user,
                    value_cents=round(float(data["price"]) * 100))  # fmt: skip
        if data.get("message"):
            self._event(out, key + ("comment",), "comment", now, user=user,
                        text=str(data["message"])[:1000])  # fmt: skip

    def _interact(self, notice: dict[str, Any], now: float, out: Decoded) -> None:
        data = notice["data"]
        kind = {ENTER: "enter", FOLLOW: "follow", SHARE: "share", SPECIAL_FOLLOW: "follow",
                MUTUAL_FOLLOW: "follow"}.get(int(data["msg_type"]))  # fmt: skip
        if kind is None:
            return
        key = ("iw", data.get("uid"), data["msg_type"], data.get("trigger_time")
               or data.get("timestamp"))  # fmt: skip
        fields = (
            {"n": 1}
            if kind == "enter"
            else {"user": str(data.get("uname") or data["uid"])[:MAX_NAME]}
        )
        self._event(out, key, kind, now, **fields)

    def _likes(self, notice: dict[str, Any], now: float, out: Decoded) -> None:
        total = int(notice["data"]["click_count"])
        # A running total: the first one seen is the baseline, then increments.
        # It survives a reconnect, so likes given while the link was out still count.
        if self.likes is not None and total > self.likes:
            self._event(out, None, "like", now, n=total - self.likes)
        self.likes = total if self.likes is None else max(self.likes, total)

    def _watched(self, notice: dict[str, Any], now: float, out: Decoded) -> None:
        self.total = int(notice["data"]["num"])
        self._viewers(now, out)

    def _online(self, notice: dict[str, Any], now: float, out: Decoded) -> None:
        data = notice["data"]
        self.online = int(data.get("online_count", data.get("count", 0)))
        self._viewers(now, out)

    def _viewers(self, now: float, out: Decoded) -> None:
        if self.online is not None:
            fields = {"online": max(self.online, 0)}
            if self.total is not None:
                fields["total"] = max(self.total, 0)
            self._event(out, None, "viewers", now, **fields)

    def _live(self, notice: dict[str, Any], now: float, out: Decoded) -> None:
        self._event(out, None, "live", now, on=True)

    def _preparing(self, notice: dict[str, Any], now: float, out: Decoded) -> None:
        self._event(out, None, "live", now, on=False)
        out.ended = True


def auth_code(body: bytes) -> int:
    """The ``code`` of an auth reply (0: accepted).

    >>> auth_code(b'{"code":0}'), auth_code(b'{"code":-101}')
    (0, -101)
    """
    try:
        return int(json.loads(body).get("code", -1))
    except (ValueError, AttributeError, TypeError):
        return -1


_HANDLERS: dict[str, Callable[[Decoder, dict[str, Any], float, Decoded], None]] = {
    "DANMU_MSG": Decoder._danmu,
    "SEND_GIFT": Decoder._gift,
    "GUARD_BUY": Decoder._guard,
    "SUPER_CHAT_MESSAGE": Decoder._super_chat,
    "INTERACT_WORD": Decoder._interact,
    "LIKE_INFO_V3_UPDATE": Decoder._likes,
    "WATCHED_CHANGE": Decoder._watched,
    "ONLINE_RANK_COUNT": Decoder._online,
    "LIVE": Decoder._live,
    "PREPARING": Decoder._preparing,
}
