"""The ``douyin`` adapter against a local stand-in that speaks Douyin's real push bytes."""

from __future__ import annotations

import asyncio
import gzip
import json
import shlex
import sys
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from livemon.adapters.feed import FeedRefused
from livemon.events import from_dict
from plugins.douyin import DouyinAdapter, frames
from plugins.douyin import webcast_pb2 as pb
from tests.plugins.douyin_server import Behaviour, DouyinStandIn, chat, gift, message
from tests.plugins.standin import FAST, WAIT_S, run_feed, texts


def chats(n: int) -> list[pb.Message]:
    return [chat(k, f"user{k % 7}", f"comment {k}") for k in range(1, n + 1)]


def adapter_for(server: DouyinStandIn, **options: Any) -> DouyinAdapter:
    return DouyinAdapter(room="dy", room_id=7001, server=server.url, **(FAST | options))


async def test_every_mapped_message_becomes_its_protocol_event() -> None:
    """Chat, gift (a streak counted once), like, member, social, seq, products and control map."""
    script = [
        chat(1, "小王", "多少钱"),
        gift(2, user_id=42, group=900, diamonds=1, hit=1, end=False),
        gift(3, user_id=42, group=900, diamonds=1, hit=2, end=False),
        gift(4, user_id=42, group=900, diamonds=1, hit=3, end=True),
        gift(5, user_id=43, group=0, diamonds=99, hit=1, end=False, combo=False),
        message("WebcastLikeMessage", 6, pb.LikeMessage(count=15, total=300)),
        message("WebcastMemberMessage", 7, pb.MemberMessage(action=1, user=pb.User(id=9))),
        message("WebcastSocialMessage", 8, pb.SocialMessage(action=1,
                                                            user=pb.User(nickName="fan"))),
        message("WebcastSocialMessage", 9, pb.SocialMessage(action=3,
                                                            user=pb.User(nickName="sharer"))),
        message("WebcastRoomUserSeqMessage", 10, pb.RoomUserSeqMessage(total=1234,
                                                                       totalUser=56789)),
        message("WebcastProductChangeMessage", 11, pb.ProductChangeMessage(
            updateProductInfoList=[pb.ProductInfo(promotionId=3701, explainType=1)])),
        message("WebcastLiveShoppingMessage", 12, pb.LiveShoppingMessage(promotionId=3702)),
        message("WebcastSomethingNewMessage", 13, pb.ChatMessage(content="ignored")),
    ]  # fmt: skip
    async with DouyinStandIn(script) as server:
        adapter = adapter_for(server)
        events = await run_feed(adapter)
    for event in events:
        assert from_dict(event).room == "dy"
    got = [{k: v for k, v in e.items() if k not in ("room", "ts")} for e in events]
    assert got == [
        {"type": "live", "on": True},  # assume_live: said once, when first up
        {"type": "comment", "user": "小王", "text": "多少钱"},
        {"type": "gift", "user": "u42", "value_cents": 30},
        {"type": "gift", "user": "u43", "value_cents": 990},
        {"type": "like", "n": 15},
        {"type": "enter", "n": 1},
        {"type": "follow", "user": "fan"},
        {"type": "share", "user": "sharer"},
        {"type": "viewers", "online": 1234, "total": 56789},
        {"type": "featured", "sku": "3701"},
        {"type": "featured", "sku": "3702"},
        {"type": "live", "on": False},
    ]
    assert adapter.feed_state == "ended"
    assert adapter.decoder.unknown == {"WebcastSomethingNewMessage": 1}
    assert server.queries[0]["room_id"] == "7001"


async def test_acks_and_heartbeats_are_sent() -> None:
    """Every needAck response is acked with its logId and internalExt; heart-beats flow."""
    async with DouyinStandIn(chats(9), Behaviour(per_frame=3, quiet_s=0.35)) as server:
        await run_feed(adapter_for(server))
        await asyncio.sleep(0.05)
    assert [log_id for log_id, _ in server.acks] == [1, 4, 7, 10]
    assert server.acks[0][1] == b"ext-3"
    assert server.heartbeats >= 3


async def test_a_dropped_socket_resumes_without_losing_or_doubling() -> None:
    """The server aborts the TCP link mid-stream; the resumed feed has each comment exactly once."""
    how = Behaviour(per_frame=4, drop_after={1: 3}, overlap=3)
    async with DouyinStandIn(chats(40), how) as server:
        adapter = adapter_for(server)
        events = await run_feed(adapter)
    assert texts(events) == [f"comment {k}" for k in range(1, 41)]
    assert [e["on"] for e in events if e["type"] == "live"] == [
        True,
        False,
    ]  # once, not per connect
    assert server.connections == 2 and adapter.connects == 2
    assert server.queries[1]["cursor"] == "12" and server.queries[1]["internal_ext"] == "ext-12"
    assert adapter.dropped == 3  # the overlap the server sent again


async def test_a_silent_socket_is_dropped_and_resumed() -> None:
    """A server that stops sending (heart-beat replies too) is noticed and resumed, no loss."""
    states: list[str] = []
    how = Behaviour(per_frame=5, silent_after={1: 2, 2: 4})
    async with DouyinStandIn(chats(50), how) as server:
        adapter = adapter_for(server)
        adapter.watch_feed_state(lambda state, detail: states.append(state))
        events = await run_feed(adapter)
    assert Counter(texts(events)) == Counter(f"comment {k}" for k in range(1, 51))
    assert server.connections == 3
    assert states == ["connecting", "up", "down"] * 2 + ["connecting", "up", "ended"]


async def test_a_quiet_room_is_not_a_dead_connection() -> None:
    """Silence for 3 receive timeouts, with heart-beat replies, stays one connection."""
    async with DouyinStandIn(chats(3), Behaviour(quiet_s=1.8)) as server:
        adapter = adapter_for(server, timeout_s=0.6)
        events = await run_feed(adapter)
    assert server.connections == 1 and len(texts(events)) == 3
    assert server.heartbeats >= 5


async def test_assume_live_false_waits_for_the_platform() -> None:
    """With assume_live=false the feed says nothing of live until the platform does."""
    async with DouyinStandIn(chats(2)) as server:
        events = await run_feed(adapter_for(server, assume_live=False))
    assert [e["type"] for e in events] == ["comment", "comment", "live"]
    assert events[-1]["on"] is False


def test_the_public_endpoint_without_a_signer_is_a_clear_error() -> None:
    """No server= and no signer=: the error says to set signer= (or server=)."""
    with pytest.raises(ValueError, match="signer=.*server="):
        DouyinAdapter(room_id=7001)
    with pytest.raises(ValueError, match="room_id"):
        DouyinAdapter(server="ws://127.0.0.1:1/")


def _command(code: str) -> str:
    return f"{shlex.quote(sys.executable)} -c {shlex.quote(code)}"


async def test_a_signer_command_that_refuses_ends_the_feed_with_a_clear_error() -> None:
    """A signer that exits 1 saying DEVICE_BLOCKED: FeedRefused naming signer= and the reason."""
    signer = _command("import sys; print('DEVICE_BLOCKED', file=sys.stderr); sys.exit(1)")
    adapter = DouyinAdapter(room_id=7001, signer=signer, **FAST)
    with pytest.raises(FeedRefused, match=r"option signer=.*refused.*DEVICE_BLOCKED"):
        await run_feed(adapter)
    assert adapter.feed_state == "down" and "DEVICE_BLOCKED" in adapter.feed_detail


async def test_a_signer_that_cannot_run_is_named() -> None:
    """A signer command that does not exist is a refusal naming the option."""
    adapter = DouyinAdapter(room_id=7001, signer="/no/such/signer --x", **FAST)
    with pytest.raises(FeedRefused, match="option signer='/no/such/signer --x'.*cannot be run"):
        await run_feed(adapter)


async def test_the_server_refusing_the_signed_url_names_the_signer() -> None:
    """The endpoint answers DEVICE_BLOCKED (HTTP 200, handshake-msg): the error names signer=."""
    async with DouyinStandIn(chats(3), Behaviour(refuse="DEVICE_BLOCKED")) as server:
        signer = _command(f"print({server.url + '?signature=abc'!r})")
        adapter = DouyinAdapter(room_id=7001, signer=signer, **FAST)
        with pytest.raises(FeedRefused, match=r"DEVICE_BLOCKED \(415\).*option signer="):
            await run_feed(adapter)
        plain = adapter_for(server)
        with pytest.raises(FeedRefused, match="DEVICE_BLOCKED.*check server="):
            await run_feed(plain)
    assert server.connections == 0


async def test_a_signer_command_gives_the_url_and_headers() -> None:
    """The signer's JSON answer is used as given: its URL (plus room) and its cookie header."""
    async with DouyinStandIn(chats(4)) as server:
        answer = json.dumps({"url": server.url + "?signature=abc&room_id=7001",
                             "headers": {"Cookie": "ttwid=secret"}})  # fmt: skip
        adapter = DouyinAdapter(room_id=7001, signer=_command(f"print({answer!r})"), **FAST)
        events = await run_feed(adapter)
    assert len(texts(events)) == 4
    assert server.queries[0]["signature"] == "abc"
    assert server.cookies == ["ttwid=secret"]


class _Signer(BaseHTTPRequestHandler):
    answers: list[tuple[int, str]] = []
    asked: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 - the http.server name
        self.asked.append(self.path)
        status, body = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        self.send_response(status)
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, *args: Any) -> None:
        pass


def _http_signer(answers: list[tuple[int, str]]) -> tuple[ThreadingHTTPServer, str]:
    handler = type("Signer", (_Signer,), {"answers": answers, "asked": []})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd, f"http://127.0.0.1:{httpd.server_address[1]}/sign"


async def test_a_signer_url_gives_the_url_and_its_refusal_is_named() -> None:
    """A URL signer is asked with room_id; its answer is used; its 403 is a named refusal."""
    async with DouyinStandIn(chats(2)) as server:
        httpd, url = _http_signer([(200, server.url + "?signature=s1")])
        try:
            events = await run_feed(DouyinAdapter(room_id=7001, signer=url, **FAST))
            assert httpd.RequestHandlerClass.asked[0].startswith("/sign?room_id=7001&server=")
        finally:
            httpd.shutdown()
    assert len(texts(events)) == 2
    httpd, url = _http_signer([(403, "DEVICE_BLOCKED")])
    try:
        with pytest.raises(FeedRefused, match=r"signer='http://.*HTTP 403: DEVICE_BLOCKED"):
            await run_feed(DouyinAdapter(room_id=7001, signer=url, **FAST))
    finally:
        httpd.shutdown()


def test_frames_that_do_not_parse_are_skipped_and_counted() -> None:
    """Garbage, a text frame and a bad gzip payload are skipped; the next good frame still maps."""
    decoder = frames.Decoder("dy")
    bad_gzip = pb.PushFrame(payloadType="msg", payloadEncoding="gzip", payload=b"not gzip")
    for data in (b"\xff\xff\xff", "hello", bad_gzip.SerializeToString()):
        assert decoder.frame(data, 1.0).events == []
    good = pb.PushFrame(payloadType="msg", payloadEncoding="gzip", payload=gzip.compress(
        pb.Response(messages=[chat(1, "a", "hi")]).SerializeToString()))  # fmt: skip
    assert [e for _, e in decoder.frame(good.SerializeToString(), 1.0).events] == [
        {"type": "comment", "room": "dy", "ts": 1.0, "user": "a", "text": "hi"}
    ]
    assert decoder.bad_frames == 3


def test_timing_options_are_checked() -> None:
    """A receive timeout not longer than the heart-beat would drop quiet rooms: refused."""
    with pytest.raises(ValueError, match="timeout_s .* longer than heartbeat_s"):
        DouyinAdapter(room_id=1, server="ws://x/", heartbeat_s=10, timeout_s=5)
    with pytest.raises(ValueError, match="option retry_s must be > 0"):
        DouyinAdapter(room_id=1, server="ws://x/", retry_s=0)


async def test_a_refused_feed_ends_its_own_process_even_with_no_hub() -> None:
    """RemoteRunner raises the feed's refusal even while the hub is unreachable."""
    from livemon.adapters.remote import RemoteRunner

    signer = _command("import sys; print('DEVICE_BLOCKED'); sys.exit(1)")
    runner = RemoteRunner(DouyinAdapter(room_id=1, signer=signer, **FAST), "ws://127.0.0.1:9", "t")
    with pytest.raises(FeedRefused, match="DEVICE_BLOCKED"):
        await asyncio.wait_for(runner.run(retry_s=0.05, max_retry_s=0.1), WAIT_S)
