"""Real-feed adapters run as users run them: in ``livemon serve`` and as ``livemon adapter``.

Each runs as a real subprocess against a local stand-in server (in this
test's event loop) that speaks the platform's bytes; the hub's snapshot then
shows the events.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any

import msgpack
import pytest
from websockets.asyncio.client import connect

from livemon import config
from livemon.hub import Hub
from tests.plugins import bilibili_server, douyin_server, wsjson_server

LIVEMON = [sys.executable, "-m", "livemon.cli"]
TOKENS = {
    "ingest": "ingest-token-0001",
    "watch": "watch-token-00001",
    "control": "control-token-001",
}
INGEST = TOKENS["ingest"]
ENV = {f"LIVEMON_{role.upper()}_TOKEN": token for role, token in TOKENS.items()}
FAST = {"heartbeat_s": "0.2", "timeout_s": "1", "retry_s": "0.05", "retry_max_s": "0.2"}
COMMENTS = 12


@contextlib.asynccontextmanager
async def douyin_feed() -> AsyncIterator[dict[str, str]]:
    """A Douyin stand-in with COMMENTS comments, then the stream ends; yields the options."""
    script = [douyin_server.chat(k, f"u{k}", f"c{k}") for k in range(1, COMMENTS + 1)]
    async with douyin_server.DouyinStandIn(script) as server:
        yield {"room_id": "7001", "server": server.url}


@contextlib.asynccontextmanager
async def bilibili_feed() -> AsyncIterator[dict[str, str]]:
    """A Bilibili stand-in with COMMENTS danmaku, then PREPARING; yields the options."""
    script = [bilibili_server.danmu(k, k, f"u{k}", f"c{k}") for k in range(1, COMMENTS + 1)]
    async with bilibili_server.BilibiliStandIn(script) as server:
        yield {"room_id": "21452505", "server": server.url}


@contextlib.asynccontextmanager
async def wsjson_feed() -> AsyncIterator[dict[str, str]]:
    """A JSON / MessagePack feed with COMMENTS chats, then an end message; yields the options."""
    script = [{"kind": "chat", "id": k, "who": f"u{k}", "said": f"c{k}"}
              for k in range(1, COMMENTS + 1)] + [{"kind": "bye", "id": "bye"}]  # fmt: skip
    mapping = ('{chat = {type = "comment", user = "who", text = "said"}, '
               'bye = {type = "live", on = {value = false}}}')  # fmt: skip
    async with wsjson_server.WsJsonStandIn(script) as server:
        yield {"server": server.url, "kind": "kind", "id": "id", "map": mapping}


FEEDS: dict[str, Callable[[], AbstractAsyncContextManager[dict[str, str]]]] = {
    "douyin": douyin_feed,
    "bilibili": bilibili_feed,
    "wsjson": wsjson_feed,
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def _livemon(*args: str, timeout: float = 30) -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(
        *LIVEMON, *args, env={**os.environ, **ENV},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    _, err = await asyncio.wait_for(proc.communicate(), timeout)
    return proc.returncode, err.decode()


async def _snapshot(url: str, room: str, until: Callable[[dict], bool]) -> dict[str, Any]:
    """The first snapshot of ``room`` on /watch for which ``until`` holds (within 20 s)."""

    async def read() -> dict[str, Any]:
        async with connect(url + "/watch") as ws:
            await ws.send(
                msgpack.packb({"op": "hello", "v": 1, "token": TOKENS["watch"], "name": "t"})
            )
            while True:
                message = msgpack.unpackb(await ws.recv())
                if message.get("op") == "snapshot" and message["room"] == room:
                    if until(message):
                        return message

    return await asyncio.wait_for(read(), 20)


@pytest.mark.parametrize("name", sorted(FEEDS))
async def test_runs_as_its_own_process_feeding_a_hub(name: str, tmp_path: Path) -> None:
    """``livemon adapter NAME --hub --token --set`` feeds every event to the hub, then exits 0."""
    hub = Hub(config.load(), tmp_path, tokens=TOKENS)
    await hub.start("127.0.0.1", 0)
    try:
        async with FEEDS[name]() as options:
            sets = [f"--set={k}={v}" for k, v in (options | FAST).items()]
            code, err = await _livemon("adapter", name, "--hub", hub.url(), "--token", INGEST,
                                       "--room", "feed-room", *sets)  # fmt: skip
        assert code == 0, err
        assert hub.snapshot("feed-room")["metrics"]["comments"] == COMMENTS
    finally:
        await hub.stop()


def _all_comments(snapshot: dict[str, Any]) -> bool:
    return snapshot["metrics"]["comments"] == COMMENTS


@pytest.mark.parametrize("name", sorted(FEEDS))
async def test_runs_inside_the_hub(name: str, tmp_path: Path) -> None:
    """``livemon serve --adapter NAME --set NAME.key=value`` shows the feed's events."""
    port = _free_port()
    async with FEEDS[name]() as options:
        sets = [f"--set={name}.{k}={v}" for k, v in (options | FAST).items()]
        serve = await asyncio.create_subprocess_exec(
            *LIVEMON, "serve", "--port", str(port), "--record-dir", str(tmp_path),
            "--adapter", name, "--room", "feed-room", *sets,
            env={**os.environ, **ENV}, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        try:
            for _ in range(100):
                with contextlib.suppress(OSError):
                    snap = await _snapshot(f"ws://127.0.0.1:{port}", "feed-room", _all_comments)
                    break
                await asyncio.sleep(0.1)
            else:
                raise AssertionError("serve did not come up")
            assert snap["metrics"]["comments"] == COMMENTS
        finally:
            serve.terminate()
            await asyncio.wait_for(serve.wait(), 10)


async def test_a_refusal_is_a_clear_error_in_both_modes(tmp_path: Path) -> None:
    """A refused douyin exits 2 naming the option; in serve, stderr says why the feed stopped."""
    code, err = await _livemon("adapter", "douyin", "--token", INGEST, "--set", "room_id=1")
    assert code == 2 and "set signer=" in err
    hub = Hub(config.load(), tmp_path / "hub", tokens=TOKENS)
    await hub.start("127.0.0.1", 0)
    refusing = douyin_server.DouyinStandIn([], douyin_server.Behaviour(refuse="DEVICE_BLOCKED"))
    try:
        async with refusing as server:
            sets = ["--set", "room_id=1", "--set", f"server={server.url}"]
            code, err = await _livemon(
                "adapter", "douyin", "--hub", hub.url(), "--token", INGEST, *sets
            )
            assert code == 2 and "DEVICE_BLOCKED" in err and "server=" in err
            serve = await asyncio.create_subprocess_exec(
                *LIVEMON, "serve", "--port", str(_free_port()), "--record-dir", str(tmp_path),
                "--adapter", "douyin", "--set", "douyin.room_id=1",
                f"--set=douyin.server={server.url}",
                env={**os.environ, **ENV}, stderr=asyncio.subprocess.PIPE,
            )  # fmt: skip
            try:
                before = b""
                while b"stopped:" not in (
                    line := await asyncio.wait_for(serve.stderr.readline(), 20)
                ):
                    assert line, "serve ended without saying why the feed stopped"
                    before += line
                assert b"adapter douyin" in line and b"DEVICE_BLOCKED" in line
                assert b"Traceback" not in before, before.decode()  # said once, plainly
            finally:
                serve.terminate()
                await asyncio.wait_for(serve.wait(), 10)
    finally:
        await hub.stop()


def test_adapters_lists_the_real_feeds_with_their_options() -> None:
    """``livemon adapters`` names every real feed and its typed options."""
    import subprocess

    out = subprocess.run([*LIVEMON, "adapters"], capture_output=True, text=True, timeout=60).stdout
    for name in FEEDS:
        assert f"\n{name} " in "\n" + out, out
    for option in ("room_id = 0", "server = ''", "signer = ''", "timeout_s = 30.0"):
        assert option in out


@pytest.mark.parametrize("name", sorted(FEEDS))
def test_the_commented_config_example_builds_the_adapter(name: str) -> None:
    """``config/NAME.toml`` loads with --config and gives a working adapter."""
    from livemon.cli import _make_adapter

    example = Path(__file__).resolve().parents[2] / "config" / f"{name}.toml"
    cfg = config.load(example)
    adapter = _make_adapter(name, "example-room", dict(cfg["adapters"][name]))
    assert adapter.name == name and adapter.settings["timeout_s"] > adapter.settings["heartbeat_s"]
