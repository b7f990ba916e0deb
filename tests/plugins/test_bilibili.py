"""The ``bilibili`` adapter against a local stand-in that speaks Bilibili's real packets."""

from __future__ import annotations

import json
import zlib
from collections import Counter
from typing import Any

import brotli
import pytest

from livemon.adapters.feed import FeedRefused
from livemon.events import from_dict
from plugins.bilibili import BilibiliAdapter, messages, packets
from tests.plugins.bilibili_server import (
    Behaviour,
    BilibiliStandIn,
    danmu,
    gift,
    interact,
    notice,
)
from tests.plugins.standin import FAST, run_feed, texts


def adapter_for(server: BilibiliStandIn, **options: Any) -> BilibiliAdapter:
    return BilibiliAdapter(room="bl", room_id=21452505, server=server.url, **(FAST | options))


def danmus(n: int) -> list[dict[str, Any]]:
    return [danmu(k, 100 + k % 5, f"viewer{k % 5}", f"danmu {k}") for k in range(1, n + 1)]


async def test_every_mapped_notification_becomes_its_protocol_event() -> None:
    """DANMU_MSG, gifts, guard, super chat, INTERACT_WORD, likes, viewers and PREPARING map."""
    script = [
        danmu(1, 42, "小明", "主播好"),
        gift("t1", "fan1", "辣条", num=10, price=100),  # 1000 gold = 1 CNY
        gift("t2", "fan2", "小心心", num=5, price=0, coin="silver"),
        notice("COMBO_SEND", uname="fan1", combo_num=10),  # a summary: not counted again
        notice("GUARD_BUY", uid=9, username="captain", guard_level=3, num=1, price=198000,
               start_time=1),
        notice("SUPER_CHAT_MESSAGE", id=77, uid=8, price=30, message="求讲解第3号",
               user_info={"uname": "sc_user"}),
        interact(5, "newbie", 1, 111),
        interact(6, "follower", 2, 112),
        interact(7, "sharer", 3, 113),
        notice("LIKE_INFO_V3_UPDATE", click_count=500),  # the baseline
        notice("LIKE_INFO_V3_UPDATE", click_count=530),
        notice("WATCHED_CHANGE", num=12000, text_small="1.2万"),
        notice("ONLINE_RANK_COUNT", count=300, online_count=321),
        notice("SOMETHING_NEW", x=1),
    ]  # fmt: skip
    async with BilibiliStandIn(script) as server:
        adapter = adapter_for(server)
        events = await run_feed(adapter)
    for event in events:
        assert from_dict(event).room == "bl"
    got = [{k: v for k, v in e.items() if k not in ("room", "ts")} for e in events]
    assert got == [
        {"type": "live", "on": True},  # assume_live: said once, when first up
        {"type": "comment", "user": "小明", "text": "主播好"},
        {"type": "gift", "user": "fan1", "value_cents": 100},
        {"type": "gift", "user": "fan2", "value_cents": 0},
        {"type": "gift", "user": "captain", "value_cents": 19800},
        {"type": "gift", "user": "sc_user", "value_cents": 3000},
        {"type": "comment", "user": "sc_user", "text": "求讲解第3号"},
        {"type": "enter", "n": 1},
        {"type": "follow", "user": "follower"},
        {"type": "share", "user": "sharer"},
        {"type": "like", "n": 30},
        {"type": "viewers", "online": 321, "total": 12000},
        {"type": "live", "on": False},
    ]
    assert adapter.feed_state == "ended"
    assert adapter.decoder.unknown == {"COMBO_SEND": 1, "SOMETHING_NEW": 1}
    auth = server.auths[0]
    assert auth["roomid"] == 21452505 and auth["protover"] == packets.BROTLI


async def test_heartbeats_are_answered_and_a_quiet_room_stays_connected() -> None:
    """Silence for 3 receive timeouts, with heart-beat replies, stays one connection."""
    async with BilibiliStandIn(danmus(3), Behaviour(quiet_s=1.8)) as server:
        adapter = adapter_for(server, timeout_s=0.6)
        events = await run_feed(adapter)
    assert server.connections == 1 and len(texts(events)) == 3
    assert server.heartbeats >= 5
    assert 1000 < adapter.decoder.popularity <= 1000 + server.heartbeats  # the replies' value


async def test_a_dropped_socket_reconnects_without_losing_or_doubling() -> None:
    """The TCP link is aborted mid-stream; after re-auth each danmaku arrives exactly once."""
    how = Behaviour(per_frame=4, drop_after={1: 3}, overlap=3)
    async with BilibiliStandIn(danmus(40), how) as server:
        adapter = adapter_for(server)
        events = await run_feed(adapter)
    assert texts(events) == [f"danmu {k}" for k in range(1, 41)]
    assert server.connections == 2 and len(server.auths) == 2
    assert adapter.dropped == 3


async def test_a_silent_socket_is_dropped_and_resumed() -> None:
    """A server that stops sending (heart-beat replies too) is noticed and resumed, no loss."""
    states: list[str] = []
    how = Behaviour(per_frame=5, silent_after={1: 2, 2: 3})
    script = danmus(30) + [notice("LIKE_INFO_V3_UPDATE", click_count=c) for c in (10, 25, 40)]
    async with BilibiliStandIn(script, how) as server:
        adapter = adapter_for(server)
        adapter.watch_feed_state(lambda state, detail: states.append(state))
        events = await run_feed(adapter)
    assert Counter(texts(events)) == Counter(f"danmu {k}" for k in range(1, 31))
    assert sum(e["n"] for e in events if e["type"] == "like") == 30
    assert server.connections == 3
    assert states == ["connecting", "up", "down"] * 2 + ["connecting", "up", "ended"]


async def test_a_refused_auth_ends_the_feed_naming_the_options() -> None:
    """An auth reply with code -101 is a FeedRefused naming room_id= and key=."""
    async with BilibiliStandIn(danmus(3), Behaviour(auth_code=-101)) as server:
        adapter = adapter_for(server)
        with pytest.raises(FeedRefused, match=r"code -101.*room_id=.*key="):
            await run_feed(adapter)
    assert adapter.feed_state == "down"


def test_packets_that_do_not_fit_are_skipped_and_counted() -> None:
    """A short header, a bad length, a bad zlib or brotli body and bad JSON are each skipped."""
    decoder = messages.Decoder("bl")
    bad = [
        b"\x00\x00\x00",
        packets.HEADER.pack(999, 16, 0, 5, 1) + b"{}",
        packets.encode(packets.MESSAGE, b"not zlib", packets.ZLIB),
        packets.encode(packets.MESSAGE, b"not brotli", packets.BROTLI),
        packets.encode(packets.MESSAGE, b"{not json", packets.JSON),
        packets.encode(packets.MESSAGE, b'{"cmd": "SEND_GIFT", "data": {}}', packets.JSON),
        "a text frame",
    ]
    for data in bad:
        assert decoder.frame(data, 1.0).events == []
    assert decoder.bad == len(bad)
    good = danmu(1, 1, "a", "hi")
    nested = packets.encode(
        packets.MESSAGE,
        zlib.compress(packets.encode(packets.MESSAGE, json.dumps(good).encode(), packets.JSON)),
        packets.ZLIB,
    )
    assert [e["text"] for _, e in decoder.frame(nested, 1.0).events] == ["hi"]


def test_compressed_bodies_nested_too_deep_are_refused() -> None:
    """A brotli body holding a zlib body holding a brotli body is malformed, not recursed into."""
    inner = packets.encode(packets.MESSAGE, b"{}", packets.JSON)
    for ver, pack in ((packets.BROTLI, brotli.compress), (packets.ZLIB, zlib.compress),
                      (packets.BROTLI, brotli.compress)):  # fmt: skip
        inner = packets.encode(packets.MESSAGE, pack(inner), ver)
    with pytest.raises(packets.PacketError, match="nested too deep"):
        packets.decode(inner)


def test_room_id_is_required() -> None:
    """No room id: the error names room_id=."""
    with pytest.raises(ValueError, match="room_id=N"):
        BilibiliAdapter()
