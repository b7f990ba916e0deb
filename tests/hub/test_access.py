"""Access rules of a live hub on loopback: token checks, origins, limits."""

from __future__ import annotations

import asyncio
import hmac
import socket
import time

import msgpack
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from livemon import config
from livemon.hub import Hub, access

WAIT_S = 5.0


async def test_a_hello_token_is_compared_in_constant_time_with_every_role(raw, monkeypatch):
    """The hub checks a hello's token with hmac.compare_digest against all three roles' tokens."""
    calls: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def spy(a, b):
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    await raw.console("/watch")
    assert len(calls) == 3  # no early exit on the matching role
    assert {b for _, b in calls} == {t.encode() for t in raw.tokens.values()}
    calls.clear()
    refused = await raw.open("/watch", {"op": "hello", "v": 1, "token": "nope", "name": "x"})
    assert await refused.closed_code() == 1008
    assert len(calls) == 3


async def test_a_non_ascii_or_non_string_token_is_refused_with_1008(raw):
    """A token that is not ASCII (or not a string) gets 1008 like any wrong token, not 1011."""
    for token in ("令牌令牌令牌令牌令牌令牌令牌令牌", 12345, None, b"tw"):
        client = await raw.open("/watch", {"op": "hello", "v": 1, "token": token, "name": "x"})
        assert await client.closed_code() == 1008, token
    await raw.console("/watch")  # the hub still serves


# -- hubs with small limits -------------------------------------------------------------

TOKENS = {
    "ingest": "ingest-token-0001",
    "watch": "watch-token-00001",
    "control": "control-token-01",
}
T0 = int(time.time())  # events near the hub's clock (a new room's first ts must be)


@pytest.fixture
async def make_hub(tmp_path):
    """A factory of loopback hubs with ``[access]`` settings; all are stopped after the test."""
    hubs: list[Hub] = []

    async def make(**access: object) -> Hub:
        cfg = config.load()
        for key, value in access.items():
            cfg["access"][key] = value
        hub = Hub(cfg, tmp_path / f"rec{len(hubs)}", tokens=TOKENS)
        await hub.start("127.0.0.1", 0)
        hubs.append(hub)
        return hub

    yield make
    for hub in hubs:
        await hub.stop()


async def _hello(ws, token: str) -> dict:
    await ws.send(msgpack.packb({"op": "hello", "v": 1, "token": token, "name": "t"}))
    return msgpack.unpackb(await asyncio.wait_for(ws.recv(), WAIT_S))


async def _status(url: str, **kw) -> tuple[int, str]:
    """The HTTP status of a websocket handshake (101 when it opens) and any refusal body."""
    try:
        async with connect(url, open_timeout=WAIT_S, **kw):
            return 101, ""
    except InvalidStatus as exc:
        return exc.response.status_code, (exc.response.body or b"").decode()


async def _close_code(ws) -> int:
    try:
        while True:
            await asyncio.wait_for(ws.recv(), WAIT_S)
    except ConnectionClosed as exc:
        assert exc.rcvd is not None
        return exc.rcvd.code


async def test_browser_pages_from_other_origins_are_refused_on_watch_and_control(make_hub):
    """An Origin not in access.allowed_origins gets 403 on /watch and /control; no Origin
    (a non-browser client) and an allowed Origin get in."""
    hub = await make_hub(allowed_origins=["https://ops.example.com"])
    for path in ("/watch", "/control"):
        status, body = await _status(hub.url(path), origin="https://evil.example")
        assert status == 403 and "access.allowed_origins" in body, (path, status, body)
        assert (await _status(hub.url(path)))[0] == 101
        assert (await _status(hub.url(path), origin="https://ops.example.com"))[0] == 101
    default = await make_hub()  # no origins configured: every browser page is refused
    assert (await _status(default.url("/watch"), origin="http://127.0.0.1:8000"))[0] == 403


async def test_consoles_are_capped_per_token_and_per_hub_with_1013(make_hub):
    """Past max_consoles_per_token a token's next console is closed 1013; past max_consoles
    any is; a closed console frees its place."""
    hub = await make_hub(max_consoles=3, max_consoles_per_token=2)
    open_ = []
    for _ in range(2):
        ws = await connect(hub.url("/watch"))
        assert (await _hello(ws, TOKENS["watch"]))["op"] == "welcome"
        open_.append(ws)
    third = await connect(hub.url("/watch"))
    await third.send(msgpack.packb({"op": "hello", "v": 1, "token": TOKENS["watch"], "name": "t"}))
    assert await _close_code(third) == 1013
    assert "max_consoles_per_token" in third.close_reason
    ctl = await connect(hub.url("/control"))  # another token: still room on the hub
    assert (await _hello(ctl, TOKENS["control"]))["op"] == "welcome"
    fourth = await connect(hub.url("/control"))
    await fourth.send(msgpack.packb({"op": "hello", "v": 1, "token": TOKENS["control"],
                                     "name": "t"}))  # fmt: skip
    assert await _close_code(fourth) == 1013 and "max_consoles" in fourth.close_reason
    await open_[0].close()
    for _ in range(100):  # the hub counts the close (deadline: 100 x 20 ms)
        if hub.gate.consoles.get("watch") == 1:
            break
        await asyncio.sleep(0.02)
    again = await connect(hub.url("/watch"))
    assert (await _hello(again, TOKENS["watch"]))["op"] == "welcome"
    for ws in (*open_, ctl, again):
        await ws.close()


async def test_failed_hellos_are_rate_limited_per_address(make_hub, monkeypatch):
    """After failed_hellos bad tokens from one network address, its next connection gets HTTP
    429 with Retry-After, even with a good token; another address is not affected."""
    monkeypatch.setattr(access, "THROTTLE_LOOPBACK", True)  # loopback stands in for a network
    hub = await make_hub(failed_hellos=3, failed_hello_window_s=60)
    for _ in range(3):
        ws = await connect(hub.url("/watch"))
        await ws.send(msgpack.packb({"op": "hello", "v": 1, "token": "guess-guess-guess",
                                     "name": "t"}))  # fmt: skip
        assert await _close_code(ws) == 1008
    try:
        await connect(hub.url("/watch"), open_timeout=WAIT_S)
        raise AssertionError("the fourth connection was let in")
    except InvalidStatus as exc:
        assert exc.response.status_code == 429
        assert int(exc.response.headers["Retry-After"]) >= 1
        assert b"too many failed hellos" in exc.response.body
    other = await connect(hub.url("/watch"), local_addr=("127.0.0.2", 0))
    assert (await _hello(other, TOKENS["watch"]))["op"] == "welcome"
    await other.close()


async def test_failed_hellos_on_loopback_lock_no_good_token_out(make_hub):
    """On loopback, every bad token past failed_hellos still gets close 1008 as
    docs/protocol.md says, and a good token still gets its welcome (no HTTP 429)."""
    hub = await make_hub(failed_hellos=3, failed_hello_window_s=60)
    for _ in range(5):
        ws = await connect(hub.url("/watch"))
        await ws.send(msgpack.packb({"op": "hello", "v": 1, "token": "guess-guess-guess",
                                     "name": "t"}))  # fmt: skip
        assert await _close_code(ws) == 1008
    for path, role in (("/ingest", "ingest"), ("/watch", "watch")):
        ws = await connect(hub.url(path), open_timeout=WAIT_S)
        assert (await _hello(ws, TOKENS[role]))["op"] == "welcome"
        await ws.close()


async def test_commands_are_rate_limited_per_console(make_hub):
    """Past command_burst, a console's commands get ok=false naming the limit and are not
    carried out or recorded; another console keeps its own allowance."""
    hub = await make_hub(command_burst=3, commands_per_s=0.01)
    consoles = []
    for _ in range(2):
        ws = await connect(hub.url("/control"))
        assert (await _hello(ws, TOKENS["control"]))["op"] == "welcome"
        consoles.append(ws)
    first, second = consoles

    async def ask(ws, cid: str) -> dict:
        await ws.send(msgpack.packb({"op": "command", "id": cid, "room": "r1", "action": "mark",
                                     "args": {"label": cid}}))  # fmt: skip
        while True:
            message = msgpack.unpackb(await asyncio.wait_for(ws.recv(), WAIT_S))
            if message["op"] == "result" and message["id"] == cid:
                return message

    results = [await ask(first, f"c{k}") for k in range(5)]
    assert [r["ok"] for r in results] == [True, True, True, False, False]
    assert "too many commands" in results[3]["detail"] and "try again" in results[3]["detail"]
    assert hub.catalog.command_result(hub.session, "c3") is None  # not recorded: id reusable
    assert (await ask(second, "d0"))["ok"] is True
    for ws in consoles:
        await ws.close()


async def _stalled_console(hub: Hub):
    """A /watch console that completes its hello and then never reads (tiny receive buffer)."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.setblocking(False)
    await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", hub.port))
    ws = await connect(hub.url("/watch"), sock=sock, max_queue=1)
    assert (await _hello(ws, TOKENS["watch"]))["op"] == "welcome"
    return ws


async def test_a_console_whose_send_buffer_stays_full_is_dropped(make_hub):
    """A console that stops reading is dropped once its send buffer stays full for
    console_stall_s; a console that reads is kept and gets everything."""
    hub = await make_hub(console_stall_s=0.5, console_send_buffer_kb=16)
    stalled = await _stalled_console(hub)
    reader = await connect(hub.url("/watch"))
    assert (await _hello(reader, TOKENS["watch"]))["op"] == "welcome"
    feeder = await connect(hub.url("/ingest"))
    await feeder.send(msgpack.packb({"op": "hello", "v": 1, "token": TOKENS["ingest"],
                                     "name": "f", "rooms": ["r1"]}))  # fmt: skip
    assert msgpack.unpackb(await asyncio.wait_for(feeder.recv(), WAIT_S))["op"] == "welcome"
    loop = asyncio.get_running_loop()
    deadline, seq, got = loop.time() + 20, 1, 0
    while any(o.ws.remote_address[1] == stalled.local_address[1] for o in hub.outboxes):
        assert loop.time() < deadline, "the stalled console was never dropped"
        comments = [{"type": "comment", "room": "r1", "ts": T0 + seq + k, "user": f"u{k}",
                     "text": "x" * 900} for k in range(50)]  # fmt: skip
        await feeder.send(msgpack.packb({"op": "events", "seq": seq, "events": comments}))
        seq += 50
        while True:  # the reading console keeps up
            try:
                await asyncio.wait_for(reader.recv(), 0.02)
                got += 1
            except TimeoutError:
                break
    while len(hub.outboxes) > 1:  # the dropped one leaves once its handler has unwound
        assert loop.time() < deadline, "the dropped console stayed among the outboxes"
        await asyncio.sleep(0.01)
    assert len(hub.outboxes) == 1 and got > 0  # only the reader is left
    await feeder.send(msgpack.packb({"op": "events", "seq": seq, "events": [
        {"type": "like", "room": "r1", "ts": T0 + seq, "n": 1}]}))  # fmt: skip
    message = None
    while message is None or message.get("op") != "snapshot":
        message = msgpack.unpackb(await asyncio.wait_for(reader.recv(), WAIT_S))
    with pytest.raises(ConnectionClosed):  # the stalled one finds its connection gone
        while True:
            await asyncio.wait_for(stalled.recv(), WAIT_S)
    await reader.close()
    await feeder.close()
