"""TikTokLive's event objects to protocol events: one pure function per kind, no I/O.

Needs the ``tiktok`` extra (the TikTokLive package); only ``plugins.tiktok``'s
feed loop imports this module, so the core install works without it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from TikTokLive.events import (
    CommentEvent,
    FollowEvent,
    GiftEvent,
    JoinEvent,
    LikeEvent,
    LiveEndEvent,
    OecLiveShoppingEvent,
    RoomUserSeqEvent,
    ShareEvent,
)

Events = list[dict[str, Any]]
PRICE = re.compile(r"(\d+(?:[.,]\d{3})*(?:[.,]\d{1,2})?)")


def message_id(event: Any) -> int | None:
    """The platform's id of the message behind ``event`` (``common.msg_id``), if it has one."""
    common = getattr(event, "common", None)
    msg_id = getattr(common, "msg_id", 0) if common is not None else 0
    return msg_id or None


def event_time(event: Any, now: float) -> float:
    """The message's platform time (``common.create_time``, ms) or ``now`` when it has none."""
    common = getattr(event, "common", None)
    created = getattr(common, "create_time", 0) if common is not None else 0
    return created / 1000 if created else now


def user_of(event: Any) -> str:
    """The sender's @unique_id (or nickname, or numeric id)."""
    user = getattr(event, "user", None)
    if user is None:
        return "?"
    for name in ("unique_id", "nickname"):
        value = getattr(user, name, "")
        if value:
            return str(value)
    return str(getattr(user, "id", "") or "?")


class Mapper:
    """Maps each TikTokLive event to protocol events of ``room``.

    ``diamond_cents`` is what one TikTok diamond is worth, in cents, for gift values.
    """

    def __init__(self, room: str, diamond_cents: float) -> None:
        self.room = room
        self.diamond_cents = diamond_cents
        self.handlers: dict[type, Callable[[Any, float], Events]] = {
            CommentEvent: self.comment, RoomUserSeqEvent: self.viewers, LikeEvent: self.like,
            GiftEvent: self.gift, JoinEvent: self.join, FollowEvent: self.follow,
            ShareEvent: self.share, LiveEndEvent: self.live_end,
            OecLiveShoppingEvent: self.shopping,
        }  # fmt: skip

    def __call__(self, event: Any, now: float) -> Events:
        """The protocol events of one TikTokLive event (none for kinds not carried)."""
        handler = self.handlers.get(type(event))
        return handler(event, event_time(event, now)) if handler is not None else []

    def _event(self, kind: str, ts: float, **fields: Any) -> dict[str, Any]:
        return {"type": kind, "room": self.room, "ts": ts, **fields}

    def comment(self, event: CommentEvent, ts: float) -> Events:
        text = (event.content or "")[:1000]
        return [self._event("comment", ts, user=user_of(event), text=text)] if text else []

    def viewers(self, event: RoomUserSeqEvent, ts: float) -> Events:
        """Room-user sequence: ``total`` is watching now, ``total_user`` everyone so far."""
        fields: dict[str, Any] = {"online": max(0, int(event.total or 0))}
        if event.total_user:
            fields["total"] = max(0, int(event.total_user))
        return [self._event("viewers", ts, **fields)]

    def like(self, event: LikeEvent, ts: float) -> Events:
        return (
            [self._event("like", ts, n=int(event.count))] if event.count and event.count > 0 else []
        )

    def gift(self, event: GiftEvent, ts: float) -> Events:
        """A gift, once: a streak (combo) is counted at its end, with its full repeat count."""
        if event.streaking or event.gift is None:
            return []
        diamonds = max(1, int(event.repeat_count or 1)) * int(event.gift.diamond_count or 0)
        value = round(diamonds * self.diamond_cents)
        return [self._event("gift", ts, user=user_of(event), value_cents=value)]

    def join(self, event: JoinEvent, ts: float) -> Events:
        return [self._event("enter", ts, n=1)]

    def follow(self, event: FollowEvent, ts: float) -> Events:
        return [self._event("follow", ts, user=user_of(event))]

    def share(self, event: ShareEvent, ts: float) -> Events:
        return [self._event("share", ts, user=user_of(event))]

    def live_end(self, event: LiveEndEvent, ts: float) -> Events:
        return [self._event("live", ts, on=False)]

    def shopping(self, event: OecLiveShoppingEvent, ts: float) -> Events:
        """A product card popped up (live shopping): the product, and it is now featured."""
        pop = event.pop_product
        snap = event.product_snap_shot
        if pop is not None and pop.product_id:
            sku, name = str(pop.product_id), pop.title or str(pop.product_id)
            out = []
            price = price_cents(pop.price)
            if price is not None:
                out.append(self._event("product", ts, sku=sku, name=name, price_cents=price))
            return [*out, self._event("featured", ts, sku=sku)]
        if snap is not None and snap.product_id:
            return [self._event("featured", ts, sku=str(snap.product_id))]
        return []


def price_cents(text: str | None) -> int | None:
    """A shown price ("$19.99", "Rp 15.000", "19,99 €") as cents, or None if none is found.

    >>> price_cents("$19.99"), price_cents("19,99 €"), price_cents("1,299.00"), price_cents("free")
    (1999, 1999, 129900, None)
    """
    match = PRICE.search(text or "")
    if match is None:
        return None
    digits = match.group(1)
    decimals = re.search(r"[.,](\d{1,2})$", digits)
    whole = digits[: decimals.start()] if decimals else digits
    whole = re.sub(r"[.,]", "", whole)
    cents = int(decimals.group(1).ljust(2, "0")) if decimals else 0
    return int(whole) * 100 + cents
