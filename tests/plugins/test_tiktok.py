"""The ``tiktok`` adapter, fed the TikTokLive package's own event objects, built offline.

TikTok cannot be reached from the tests, so a stand-in subclass of
TikTokLive's client plays scripted connections: it emits the package's real
event objects through the package's own event emitter, then drops, goes
silent or ends the LIVE, as TikTok does.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
from typing import Any

import pytest
from TikTokLive import TikTokLiveClient
from TikTokLive.client.errors import UserOfflineError
from TikTokLive.events import (
    CommentEvent,
    ConnectEvent,
    ControlEvent,
    DisconnectEvent,
    FollowEvent,
    GiftEvent,
    JoinEvent,
    LikeEvent,
    LiveEndEvent,
    OecLiveShoppingEvent,
    RoomUserSeqEvent,
    ShareEvent,
    SocialEvent,
    WebsocketResponseEvent,
)
from TikTokLive.proto import CommonMessageData, Gift
from TikTokLive.proto.custom_proto import ExtendedUser
from TikTokLiveProto.v3.webcast.model.message.ext import PopProduct

from livemon import config
from livemon.adapters.remote import RemoteRunner
from livemon.events import from_dict
from livemon.hub import Hub
from plugins.tiktok import TikTokAdapter
from plugins.tiktok.mapping import Mapper

T0_MS = 1_767_225_600_000
WAIT_S = 10.0
TOKENS = {"ingest": "ingest-token-0001", "watch": "watch-token-00001",
          "control": "control-token-001"}  # fmt: skip


def common(msg_id: int, offset_ms: int = 0) -> CommonMessageData:
    return CommonMessageData(msg_id=msg_id, create_time=T0_MS + offset_ms)


def user(name: str) -> ExtendedUser:
    return ExtendedUser(display_id=name, nickname=name.title(), id=hash(name) % 10_000)


def comment(msg_id: int, text: str, who: str = "alice") -> CommentEvent:
    return CommentEvent(common=common(msg_id, msg_id), content=text, user=user(who))


def gift(msg_id: int, repeat: int, end: bool, diamonds: int = 5, streakable: bool = True):
    kind = Gift(type=1 if streakable else 2, diamond_count=diamonds, name="Rose")
    return GiftEvent(common=common(msg_id, msg_id), user=user("bob"), repeat_count=repeat,
                     repeat_end=int(end), gift=kind)  # fmt: skip


def test_each_kind_maps_to_its_protocol_event() -> None:
    """Comments, viewers, likes, joins, follows, shares, shopping and the end map as specified."""
    mapper = Mapper("r", diamond_cents=0.5)
    seen = [
        *mapper(comment(1, "how much is the tea?"), 0.0),
        *mapper(RoomUserSeqEvent(common=common(2, 2), total=321, total_user=5400), 0.0),
        *mapper(LikeEvent(common=common(3, 3), count=15, total=200, user=user("c")), 0.0),
        *mapper(JoinEvent(common=common(4, 4), user=user("d")), 0.0),
        *mapper(FollowEvent(common=common(5, 5), user=user("e")), 0.0),
        *mapper(ShareEvent(common=common(6, 6), user=user("f")), 0.0),
        *mapper(OecLiveShoppingEvent(common=common(7, 7), pop_product=PopProduct(
            product_id=1729, title="Oolong tea 250 g", price="$19.99")), 0.0),
        *mapper(LiveEndEvent(common=common(8, 8), action=3), 0.0),
    ]  # fmt: skip
    ts = T0_MS / 1000
    assert seen == [
        {"type": "comment", "room": "r", "ts": ts + 0.001, "user": "alice",
         "text": "how much is the tea?"},
        {"type": "viewers", "room": "r", "ts": ts + 0.002, "online": 321, "total": 5400},
        {"type": "like", "room": "r", "ts": ts + 0.003, "n": 15},
        {"type": "enter", "room": "r", "ts": ts + 0.004, "n": 1},
        {"type": "follow", "room": "r", "ts": ts + 0.005, "user": "e"},
        {"type": "share", "room": "r", "ts": ts + 0.006, "user": "f"},
        {"type": "product", "room": "r", "ts": ts + 0.007, "sku": "1729",
         "name": "Oolong tea 250 g", "price_cents": 1999},
        {"type": "featured", "room": "r", "ts": ts + 0.007, "sku": "1729"},
        {"type": "live", "room": "r", "ts": ts + 0.008, "on": False},
    ]  # fmt: skip
    for event in seen:
        from_dict(event)
    # Kinds the protocol does not carry, and the raw social message behind a follow, add nothing.
    assert mapper(SocialEvent(common=common(9), user=user("e")), 0.0) == []
    assert mapper(ControlEvent(common=common(10), action=3), 0.0) == []


def test_a_gift_streak_counts_once_at_its_end() -> None:
    """Streak updates add nothing; the streak's end counts its full repeat count once."""
    mapper = Mapper("r", diamond_cents=0.5)
    streak = [gift(20, 1, False), gift(21, 2, False), gift(22, 3, False), gift(23, 3, True)]
    out = [e for g in streak for e in mapper(g, 0.0)]
    assert [(e["user"], e["value_cents"]) for e in out] == [("bob", 8)]  # 3 x 5 diamonds x 0.5
    single = mapper(gift(24, 1, False, diamonds=100, streakable=False), 0.0)
    assert [e["value_cents"] for e in single] == [50]  # a gift that cannot streak counts at once


class Platform:
    """The TikTok side: what each successive connection gets, and how it ends.

    Each session is ``(messages, end)`` with end ``drop`` (TikTokLive's client
    disconnects), ``silent`` (the socket stays open and nothing comes) or a
    TikTokLive exception raised by ``start`` (sign server refused, offline).
    """

    def __init__(self, sessions: list[tuple[list[Any], Any]]) -> None:
        self.sessions = sessions
        self.connections = 0
        self.clients: list[StandIn] = []


class StandIn(TikTokLiveClient):
    """TikTokLive's client with TikTok replaced by a ``Platform`` script (no network)."""

    platform: Platform

    async def start(self, **kwargs: Any):
        index = self.platform.connections
        self.platform.connections += 1
        self.platform.clients.append(self)
        messages, end = self.platform.sessions[min(index, len(self.platform.sessions) - 1)]
        if isinstance(end, Exception):
            raise end
        if end == "hang":  # the room lookup or the sign server never answers
            await asyncio.sleep(3600)
        self._room_id = 7001
        self._script = asyncio.create_task(self._play(messages, end))
        return self._script

    async def _play(self, messages: list[Any], end: str) -> None:
        self.emit(ConnectEvent.get_type(), ConnectEvent(unique_id="shop", room_id=7001))
        for message in messages:
            self.emit(WebsocketResponseEvent.get_type(), WebsocketResponseEvent())
            self.emit(message.get_type(), message)
            if isinstance(message, LiveEndEvent):
                return
            await asyncio.sleep(0)
        if end == "drop":
            self.emit(DisconnectEvent.get_type(), DisconnectEvent())
        else:
            await asyncio.sleep(3600)  # silent: open, and nothing comes

    async def disconnect(self, close_client: bool = False) -> None:
        script = getattr(self, "_script", None)
        if script is not None and not script.done():
            script.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await script


def adapter_on(platform: Platform, room: str = "r", **options: Any) -> TikTokAdapter:
    """A tiktok adapter whose TikTokLive client plays ``platform``."""

    class Client(StandIn):
        pass

    Client.platform = platform
    adapter = TikTokAdapter(room=room, unique_id="@shop", retry_s=0.01, max_retry_s=0.02,
                            offline_retry_s=0.01, silence_s=0.3, **options)  # fmt: skip
    adapter.client_factory = Client
    return adapter


def session_script() -> Platform:
    """Three connections: a sign-server refusal, a drop, a silence, then the LIVE's end.

    Each reconnect replays messages of the connection before (TikTok sends
    recent history on join): the adapter must drop those by message id.
    """
    first = [comment(101, "hi"), LikeEvent(common=common(102), count=5, user=user("c")),
             gift(103, 1, False), gift(104, 2, False)]  # fmt: skip
    second = [comment(101, "hi"), gift(104, 2, False), gift(105, 2, True),
              RoomUserSeqEvent(common=common(106), total=250, total_user=900),
              comment(107, "price?")]  # fmt: skip
    third = [comment(107, "price?"), JoinEvent(common=common(108), user=user("d")),
             comment(109, "bye"), LiveEndEvent(common=common(110), action=3)]  # fmt: skip
    return Platform([
        ([], RuntimeError("sign server refused: 429")),
        ([], UserOfflineError("not live yet")),
        (first, "drop"), (second, "silent"), (third, "drop"),
    ])  # fmt: skip


async def collect(adapter: TikTokAdapter) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []

    async def run() -> None:
        async for batch in adapter.batches():
            out.extend(batch)

    await asyncio.wait_for(run(), WAIT_S)
    return out


async def test_reconnects_lose_nothing_and_double_nothing() -> None:
    """Through a refusal, an offline creator, a drop and a silence, each message counts once."""
    platform = session_script()
    adapter = adapter_on(platform)
    states: list[tuple[str, str]] = []
    adapter.watch_feed_state(lambda state, detail: states.append((state, detail)))
    events = await collect(adapter)

    comments = [e["text"] for e in events if e["type"] == "comment"]
    assert comments == ["hi", "price?", "bye"]
    assert [e["n"] for e in events if e["type"] == "like"] == [5]
    assert [e["value_cents"] for e in events if e["type"] == "gift"] == [5]  # 2 x 5 x 0.5, once
    assert [e["online"] for e in events if e["type"] == "viewers"] == [250]
    assert [e["type"] for e in events if e["type"] in ("enter", "live")] == [
        "live",
        "live",
        "live",
        "enter",
        "live",
    ]  # on at each (re)connect, then off at the end
    assert events[-1] == {"type": "live", "room": "r", "ts": events[-1]["ts"], "on": False}
    for event in events:
        from_dict(event)

    assert platform.connections == 5 and adapter.reconnects == 2
    kinds = [s for s, _ in states]
    assert kinds == ["connecting", "down", "connecting", "down", "connecting", "up", "down",
                     "connecting", "up", "down", "connecting", "up", "ended"]  # fmt: skip
    assert states[1][1].startswith("RuntimeError: sign server refused: 429; retry in")
    assert states[3][1] == "@shop is not live; looking again in 0.01 s"
    assert states[6][1].startswith("TikTok closed the connection; reconnecting in")
    assert states[9][1].startswith("no message for 0.3 s; reconnecting in")


async def test_a_start_that_never_answers_is_given_up_and_retried() -> None:
    """A connect attempt that hangs is abandoned after silence_s and the next one goes on."""
    platform = Platform([([], "hang"), ([comment(1, "hello"), LiveEndEvent(action=3)], "drop")])
    adapter = adapter_on(platform)
    states: list[tuple[str, str]] = []
    adapter.watch_feed_state(lambda state, detail: states.append((state, detail)))
    events = await collect(adapter)
    assert [e["text"] for e in events if e["type"] == "comment"] == ["hello"]
    assert platform.connections == 2
    assert states[1][0] == "down" and states[1][1].startswith("TimeoutError")


async def test_the_tiktok_feed_reaches_the_hub_once_through_its_drops(tmp_path) -> None:
    """Fed over a real /ingest websocket, the room's totals count every TikTok message once."""
    hub = Hub(config.load(), tmp_path, tokens=TOKENS)
    await hub.start("127.0.0.1", 0)
    try:
        adapter = adapter_on(session_script(), room="tt")
        runner = RemoteRunner(adapter, hub.url(), TOKENS["ingest"])
        await asyncio.wait_for(runner.run(), WAIT_S)
        await hub.flush()
        m = hub.engine.rooms["tt"].metrics()
        assert (m["comments"], m["likes"], m["enters"], m["online"]) == (3, 5, 1, 250)
        assert {f["name"]: f["state"] for f in hub.snapshot("tt")["feeds"]} == {"tiktok": "ended"}
    finally:
        await hub.stop()


def test_options_and_a_missing_package_get_clear_errors(monkeypatch) -> None:
    """No @name, a bad delay, and TikTokLive not installed each get an error saying what to do."""
    with pytest.raises(ValueError, match="tiktok needs unique_id="):
        TikTokAdapter(room="r")
    with pytest.raises(ValueError, match="option silence_s must be > 0"):
        TikTokAdapter(room="r", unique_id="x", silence_s=0)
    real = importlib.util.find_spec

    def find_spec(name: str, *args: Any):
        return None if name == "TikTokLive" else real(name, *args)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    with pytest.raises(
        ValueError, match=r"needs the TikTokLive package: pip install -e '\.\[tiktok\]'"
    ):
        TikTokAdapter(room="r", unique_id="x")


async def test_a_refusal_ends_the_feed_naming_the_option() -> None:
    """A sign server refusing the key, or an unknown @name, ends the feed naming the option."""
    import httpx
    from TikTokLive.client.errors import SignAPIError, UserNotFoundError

    from livemon.adapters.feed import FeedRefused

    refused = httpx.Response(403, request=httpx.Request("GET", "http://sign.test/"))
    cases = [
        (SignAPIError(SignAPIError.ErrorReason.SIGN_NOT_200, "no", response=refused),
         "the sign server refused (SIGN_NOT_200, HTTP 403): check sign_api_key= "
         "(or SIGN_API_KEY) and server="),
        (UserNotFoundError("gone"), "TikTok has no user @shop: check unique_id="),
    ]  # fmt: skip
    for error, message in cases:
        adapter = adapter_on(Platform([([], error)]))
        with pytest.raises(FeedRefused) as caught:
            await collect(adapter)
        assert str(caught.value) == f"tiktok: {message}"
        assert (adapter.feed_state, adapter.feed_detail) == ("down", f"tiktok: {message}")


def test_server_goes_to_tiktoklive_as_its_sign_server() -> None:
    """server= and sign_api_key= reach TikTokLive's signer (the endpoint it lets us move)."""
    adapter = TikTokAdapter(room="r", unique_id="shop", server="http://127.0.0.1:9/sign",
                            sign_api_key="k-1")  # fmt: skip
    client = adapter._client()
    try:
        signer = client.web.signer
        assert signer._base_url == "http://127.0.0.1:9/sign"
        assert signer.sign_api_key == "k-1"
    finally:
        asyncio.run(client.web.close())
