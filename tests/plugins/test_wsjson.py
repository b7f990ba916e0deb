"""The ``wsjson`` adapter: a declarative mapping over a real local JSON / MessagePack websocket."""

from __future__ import annotations

import logging
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from livemon import config
from livemon.config import ConfigError
from livemon.events import from_dict
from plugins.wsjson import WsJsonAdapter
from tests.plugins.standin import FAST, run_feed, texts
from tests.plugins.wsjson_server import Behaviour, WsJsonStandIn

MAP = {
    "chat": {"type": "comment", "user": "user.id", "text": "data.content"},
    "gift": {"type": "gift", "user": "user.name", "value_cents": "data.fen"},
    "stats": {"type": "viewers", "online": "data.online", "total": "data.views"},
    "heart": {"type": "like", "n": {"value": 1}},
    "end": {"type": "live", "on": {"value": False}},
}


def adapter_for(server: WsJsonStandIn, **options: Any) -> WsJsonAdapter:
    return WsJsonAdapter(room="ws", server=server.url, **({"map": MAP, "id": "mid"} | FAST
                                                          | options))  # fmt: skip


def chats(n: int) -> list[dict[str, Any]]:
    return [{"type": "chat", "mid": k, "user": {"id": k % 4}, "data": {"content": f"msg {k}"}}
            for k in range(1, n + 1)]  # fmt: skip


END = {"type": "end", "mid": "end"}


async def test_json_and_msgpack_frames_map_to_events() -> None:
    """Paths, literals, numbers as text and text as numbers map; unmapped kinds are ignored."""
    script = [
        {"type": "chat", "mid": 1, "user": {"id": 12345}, "data": {"content": "在吗"}},
        {"type": "gift", "mid": 2, "user": {"name": "老铁"}, "data": {"fen": "500"}},
        {"type": "stats", "mid": 3, "data": {"online": 88.0, "views": 1000}},
        {"type": "heart", "mid": 4},
        {"type": "enter_fx", "mid": 5},
        END,
    ]
    async with WsJsonStandIn(script, Behaviour(per_frame=2)) as server:
        adapter = adapter_for(server)
        events = await run_feed(adapter)
    for event in events:
        assert from_dict(event).room == "ws"
    got = [{k: v for k, v in e.items() if k not in ("room", "ts")} for e in events]
    assert got == [
        {"type": "comment", "user": "12345", "text": "在吗"},
        {"type": "gift", "user": "老铁", "value_cents": 500},
        {"type": "viewers", "online": 88, "total": 1000},
        {"type": "like", "n": 1},
        {"type": "live", "on": False},
    ]
    assert adapter.ignored == {"enter_fx": 1} and adapter.errors == 0
    assert adapter.feed_state == "ended"


async def test_items_and_event_time_paths() -> None:
    """``items`` finds the messages inside a frame; ``ts`` in ms or s becomes the event time."""
    first, second = chats(2)
    script = [
        first | {"at": 1767225600123},
        second | {"at": "1767225601"},
        END | {"at": 1767225602},
    ]
    async with WsJsonStandIn(script, Behaviour(per_frame=3, wrap="batch")) as server:
        events = await run_feed(adapter_for(server, items="batch", ts="at"))
    assert [e["ts"] for e in events] == [1767225600.123, 1767225601.0, 1767225602.0]


async def test_a_message_that_does_not_fit_names_the_field_and_the_message(caplog) -> None:
    """A missing field or a bad value skips that message only, with an error naming both."""
    script = [
        *chats(2),
        {"type": "chat", "mid": 3, "user": {"id": 1}, "data": {"text": "wrong key"}},
        {"type": "gift", "mid": 4, "user": {"name": "x"}, "data": {"fen": -5}},
        *chats(5)[3:],
        END,
    ]
    caplog.set_level(logging.WARNING, logger="livemon.wsjson")
    async with WsJsonStandIn(script) as server:
        adapter = adapter_for(server)
        events = await run_feed(adapter)
    assert texts(events) == ["msg 1", "msg 2", "msg 4", "msg 5"]
    assert adapter.errors == 2
    logged = caplog.text
    assert "map.chat.text: no field 'data.content' in message" in logged and "wrong key" in logged
    assert "map.gift: gift.value_cents must be" in logged and '"fen": -5' in logged


def test_mapping_mistakes_are_refused_at_start_naming_the_entry() -> None:
    """An unknown type or field, a missing required field, or no mapping: a named error."""
    cases = {
        "no event type 'coment'": {"chat": {"type": "coment", "text": "t"}},
        "a comment has no field 'txt'": {"chat": {"type": "comment", "user": "u", "txt": "t"}},
        "map.chat: a comment needs text": {"chat": {"type": "comment", "user": "u"}},
        r"map.chat.user must be a dotted path": {"chat": {"type": "comment", "user": 3,
                                                          "text": "t"}},
    }  # fmt: skip
    for message, mapping in cases.items():
        with pytest.raises(ValueError, match=message):
            WsJsonAdapter(server="ws://x/", map=mapping)
    with pytest.raises(ValueError, match=r"needs a mapping: \[adapters.wsjson.map.KIND\]"):
        WsJsonAdapter(server="ws://x/")
    with pytest.raises(ValueError, match="needs server="):
        WsJsonAdapter(map=MAP)


def test_a_mapping_mistake_in_a_config_file_names_file_and_key(tmp_path: Path) -> None:
    """config.load refuses a bad [adapters.wsjson.map.*] table, naming the file and entry."""
    bad = tmp_path / "bad.toml"
    bad.write_text('[adapters.wsjson]\nserver = "ws://x/"\n'
                   '[adapters.wsjson.map.chat]\ntype = "comment"\nuser = "u"\n')  # fmt: skip
    with pytest.raises(ConfigError, match=r"bad.toml.*map.chat: a comment needs text"):
        config.load(bad)


async def test_a_dropped_socket_resumes_without_losing_or_doubling() -> None:
    """The TCP link is aborted mid-stream; repeats are dropped by id, nothing is missing."""
    how = Behaviour(per_frame=3, drop_after={1: 4}, overlap=4)
    async with WsJsonStandIn([*chats(30), END], how) as server:
        adapter = adapter_for(server)
        events = await run_feed(adapter)
    assert texts(events) == [f"msg {k}" for k in range(1, 31)]
    assert server.connections == 2 and adapter.dropped == 4


async def test_a_dead_peer_is_noticed_by_its_missing_pongs_and_resumed() -> None:
    """A peer that stops reading (no pong to our pings) is dropped and resumed, no loss."""
    how = Behaviour(per_frame=3, dead_after={1: 3}, dead_s=0.8)
    async with WsJsonStandIn([*chats(20), END], how) as server:
        adapter = adapter_for(server)
        events = await run_feed(adapter)
    assert Counter(texts(events)) == Counter(f"msg {k}" for k in range(1, 21))
    assert server.connections == 2


async def test_a_quiet_feed_kept_alive_by_pings_stays_connected() -> None:
    """With no heart-beat text, answered pings keep a feed quiet for 3 receive timeouts up."""
    async with WsJsonStandIn([*chats(3), END], Behaviour(quiet_s=1.8)) as server:
        events = await run_feed(adapter_for(server, timeout_s=0.6))
    assert server.connections == 1 and len(texts(events)) == 3


async def test_hello_and_heartbeat_texts_are_sent() -> None:
    """``hello`` is sent once on connect; ``heartbeat`` every heartbeat_s, its reply ignored."""
    async with WsJsonStandIn([*chats(2), END], Behaviour(quiet_s=0.5)) as server:
        adapter = adapter_for(server, hello='{"op": "subscribe", "room": 9}',
                              heartbeat='{"type": "ping"}')  # fmt: skip
        events = await run_feed(adapter)
    assert server.received[0] == '{"op": "subscribe", "room": 9}'
    assert server.received.count('{"type": "ping"}') >= 3
    assert len(texts(events)) == 2 and adapter.errors == 0
    assert set(adapter.ignored) == {"pong"} and adapter.ignored["pong"] >= 3
