"""Douyin push frames to protocol events: pure decoding, no I/O, no clock.

A ``msg`` frame is a protobuf ``PushFrame`` whose payload is a gzip
``Response`` holding a list of ``Message`` (``method`` names the type,
``payload`` is that type's protobuf). The client answers ``needAck`` with an
``ack`` frame and keeps the link alive with ``hb`` frames.
"""

from __future__ import annotations

import gzip
import logging
import zlib
from collections.abc import Hashable
from typing import Any

from google.protobuf.message import DecodeError

from livemon.adapters.feed import Decoded
from livemon.events import MAX_NAME
from plugins.douyin import webcast_pb2 as pb

log = logging.getLogger("livemon.douyin")

DIAMOND_CENTS = 10  # one Douyin diamond (抖币) is 0.1 CNY
STREAM_ENDED = 3  # WebcastControlMessage.status when the broadcast ends (下播)
FOLLOW, SHARE = 1, 3  # WebcastSocialMessage.action
ENTERED = 1  # WebcastMemberMessage.action


def heartbeat() -> bytes:
    """The client's heart-beat frame."""
    return pb.PushFrame(payloadType="hb").SerializeToString()


def ack(frame: pb.PushFrame, response: pb.Response) -> bytes:
    """The ``ack`` a ``needAck`` response asks for: its logId and internalExt."""
    return pb.PushFrame(
        logId=frame.logId, payloadType="ack", payload=response.internalExt.encode()
    ).SerializeToString()


def _user(user: pb.User) -> str:
    name = user.nickName or user.displayId or user.idStr or str(user.id or "")
    return name[:MAX_NAME]


def _compressed(frame: pb.PushFrame) -> bool:
    if frame.payloadEncoding == "gzip":
        return True
    return any(h.key == "compress_type" and h.value == "gzip" for h in frame.headers)


class Decoder:
    """Turns received frames into events for ``room``, keeping the resume cursor.

    ``cursor`` and ``internal_ext`` are the newest a response gave: a
    reconnect passes them so that the platform resends from there.
    """

    def __init__(self, room: str) -> None:
        self.room = room
        self.cursor = ""
        self.internal_ext = ""
        self.bad_frames = 0
        self.unknown: dict[str, int] = {}

    def frame(self, data: bytes | str, now: float) -> Decoded:
        """What one websocket frame means; a frame that does not parse is logged and skipped."""
        out = Decoded()
        if isinstance(data, str):
            self._bad("a text frame (Douyin sends binary protobuf)", data[:60])
            return out
        try:
            frame = pb.PushFrame.FromString(data)
            if frame.payloadType != "msg":
                return out  # hb replies prove the link alive; that is all they do
            payload = gzip.decompress(frame.payload) if _compressed(frame) else frame.payload
            response = pb.Response.FromString(payload)
        except (DecodeError, OSError, EOFError, zlib.error) as exc:
            self._bad(f"a frame that is not a gzip PushFrame/Response ({exc})", data[:32].hex())
            return out
        if response.cursor:
            self.cursor = response.cursor
        if response.internalExt:
            self.internal_ext = response.internalExt
        if response.needAck:
            out.replies.append(ack(frame, response))
        for message in response.messages:
            try:
                self._message(message, now, out)
            except DecodeError as exc:
                self._bad(
                    f"{message.method} that does not parse ({exc})", message.payload[:32].hex()
                )
        return out

    def _bad(self, what: str, sample: str) -> None:
        self.bad_frames += 1
        log.warning("douyin: skipped %s: %s", what, sample)

    def _event(self, out: Decoded, key: Hashable | None, kind: str, now: float, **fields) -> None:
        out.events.append((key, {"type": kind, "room": self.room, "ts": now, **fields}))

    def _message(self, message: pb.Message, now: float, out: Decoded) -> None:
        method, raw = message.method, message.payload
        handler = _HANDLERS.get(method)
        if handler is None:
            self.unknown[method] = self.unknown.get(method, 0) + 1
            return
        handler(self, message, raw, now, out)

    # One method per Webcast message type. ``key`` is the platform message id:
    # a message resent after a reconnect has the same one and is dropped.

    def _chat(self, message: pb.Message, raw: bytes, now: float, out: Decoded) -> None:
        chat = pb.ChatMessage.FromString(raw)
        if chat.content:
            self._event(out, _key(message, chat.common), "comment", now,
                        user=_user(chat.user), text=chat.content[:1000])  # fmt: skip

    def _gift(self, message: pb.Message, raw: bytes, now: float, out: Decoded) -> None:
        gift = pb.GiftMessage.FromString(raw)
        if gift.gift.combo:
            # A streak (连击) arrives as one message per hit with a growing count;
            # it is counted once, from the message that says it ended, keyed by
            # the streak so that a resent end message is not counted again.
            if gift.repeatEnd != 1:
                return
            key: Hashable | None = (
                "gift",
                gift.user.id,
                gift.groupId or _key(message, gift.common),
            )
        else:
            key = _key(message, gift.common)
        count = max(gift.repeatCount, gift.comboCount, 1) * max(gift.groupCount, 1)
        self._event(out, key, "gift", now, user=_user(gift.user),
                    value_cents=count * gift.gift.diamondCount * DIAMOND_CENTS)  # fmt: skip

    def _like(self, message: pb.Message, raw: bytes, now: float, out: Decoded) -> None:
        like = pb.LikeMessage.FromString(raw)
        if like.count > 0:
            self._event(out, _key(message, like.common), "like", now, n=like.count)

    def _member(self, message: pb.Message, raw: bytes, now: float, out: Decoded) -> None:
        member = pb.MemberMessage.FromString(raw)
        if member.action in (0, ENTERED):  # other actions: made an admin, ...
            self._event(out, _key(message, member.common), "enter", now, n=1)

    def _social(self, message: pb.Message, raw: bytes, now: float, out: Decoded) -> None:
        social = pb.SocialMessage.FromString(raw)
        kind = {FOLLOW: "follow", SHARE: "share"}.get(social.action)
        if kind:
            self._event(out, _key(message, social.common), kind, now, user=_user(social.user))

    def _seq(self, message: pb.Message, raw: bytes, now: float, out: Decoded) -> None:
        seq = pb.RoomUserSeqMessage.FromString(raw)
        fields: dict[str, Any] = {"online": max(seq.total, 0)}
        if seq.totalUser > 0:
            fields["total"] = seq.totalUser
        self._event(out, _key(message, seq.common), "viewers", now, **fields)

    def _control(self, message: pb.Message, raw: bytes, now: float, out: Decoded) -> None:
        control = pb.ControlMessage.FromString(raw)
        if control.status == STREAM_ENDED:
            self._event(out, _key(message, control.common), "live", now, on=False)
            out.ended = True

    def _product_change(self, message: pb.Message, raw: bytes, now: float, out: Decoded) -> None:
        change = pb.ProductChangeMessage.FromString(raw)
        for info in change.updateProductInfoList:
            if info.explainType and info.promotionId:
                key = _key(message, change.common)
                self._event(out, None if key is None else (key, info.promotionId), "featured",
                            now, sku=str(info.promotionId))  # fmt: skip

    def _shopping(self, message: pb.Message, raw: bytes, now: float, out: Decoded) -> None:
        shopping = pb.LiveShoppingMessage.FromString(raw)
        if shopping.promotionId:
            self._event(out, _key(message, shopping.common), "featured", now,
                        sku=str(shopping.promotionId))  # fmt: skip


def _key(message: pb.Message, common: pb.Common) -> Hashable | None:
    """The platform id of a message (0 means it gave none: no de-duplication)."""
    return message.msgId or common.msgId or None


_HANDLERS = {
    "WebcastChatMessage": Decoder._chat,
    "WebcastGiftMessage": Decoder._gift,
    "WebcastLikeMessage": Decoder._like,
    "WebcastMemberMessage": Decoder._member,
    "WebcastSocialMessage": Decoder._social,
    "WebcastRoomUserSeqMessage": Decoder._seq,
    "WebcastControlMessage": Decoder._control,
    "WebcastProductChangeMessage": Decoder._product_change,
    "WebcastLiveShoppingMessage": Decoder._shopping,
}
