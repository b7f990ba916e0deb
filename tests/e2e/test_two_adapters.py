"""An adapter process beside an in-process adapter of the same plugin, feeding one hub.

Both ran under the plugin's name ``sim``, so their seqs shared one counter:
each dropped the other's batches as already held (silently), and the outside
room froze. The in-process feed now counts its seqs as ``sim@room-1`` (shown
as ``sim``), so the issue's two command lines work as written; a feed that
names itself exactly so is refused with the reason (1008), and a newer
connection of a name replaces the older.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

from livemon import config, wire
from livemon.adapters.remote import RemoteRunner
from livemon.engine import Engine
from livemon.hub import Hub
from plugins.sim import SimAdapter

TOKENS = {"ingest": "ti" * 8, "watch": "tw" * 8, "control": "tc" * 8}
SIM = {"scenario": "mixed", "seed": 3, "speed": "120", "duration": 240, "incident_at": 60,
       "viewers": 300, "start": "now"}  # fmt: skip


async def _alone(room: str) -> dict:
    """The numbers of the sim feed of ``room`` folded on its own, with no hub."""
    engine = Engine()
    async for batch in SimAdapter(room=room, **SIM).batches():
        engine.apply([wire_event(e) for e in batch])
    return engine.snapshot(room)["metrics"]


def wire_event(event: dict):
    from livemon.events import from_dict

    return from_dict(event)


async def test_external_adapter_beside_an_in_process_one_gives_exact_totals(tmp_path: Path):
    """`serve --adapter sim` for room-1 and `livemon adapter sim --room room-2` at once: each
    room ends with exactly the numbers its feed gives alone."""
    hub = Hub(config.load(), tmp_path, tokens=TOKENS)
    await hub.start("127.0.0.1", 0)
    try:
        inside = hub.run_adapter(SimAdapter(room="room-1", **SIM))
        outside = RemoteRunner(SimAdapter(room="room-2", **SIM), hub.url(), TOKENS["ingest"])
        assert outside.name == "sim"  # livemon adapter sim --room room-2
        await asyncio.wait_for(asyncio.gather(inside, outside.run()), 60)
        assert outside.rejected == []
        got = {room: hub.snapshot(room)["metrics"] for room in ("room-1", "room-2")}
    finally:
        await hub.stop()
    for room in ("room-1", "room-2"):
        alone = await _alone(room)
        assert alone["orders"] > 10 and alone["comments"] > 50
        assert got[room] == alone, room


async def test_a_feed_taking_the_in_process_feeds_name_is_refused_with_why(tmp_path: Path):
    """An outside adapter saying hello under the name the hub's in-process feed counts its
    seqs under (``sim@room-1``) is closed with 1008 and the reason, instead of silently
    dropping the other's batches."""
    from websockets.asyncio.client import connect
    from websockets.exceptions import ConnectionClosed

    hub = Hub(config.load(), tmp_path, tokens=TOKENS)
    await hub.start("127.0.0.1", 0)
    inside = asyncio.create_task(hub.run_adapter(SimAdapter(room="room-1", **SIM)))
    try:
        await asyncio.sleep(0.2)
        async with connect(hub.url("/ingest")) as ws:
            await ws.send(wire.encode({"op": "hello", "v": 1, "token": TOKENS["ingest"],
                                       "name": "sim@room-1", "rooms": ["room-2"]}))  # fmt: skip
            try:
                await asyncio.wait_for(ws.recv(), 5)
                raise AssertionError("the hub took a second feed under the same name")
            except ConnectionClosed as exc:
                assert exc.rcvd.code == 1008 and "in-process feed" in exc.rcvd.reason
    finally:
        inside.cancel()
        await asyncio.gather(inside, return_exceptions=True)
        await hub.stop()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def _snapshots_until(url: str, want: dict[str, dict], timeout: float) -> dict[str, dict]:
    """The newest snapshot of each room of ``want`` once its metrics equal ``want``'s (or at
    the deadline, the newest seen)."""
    from websockets.asyncio.client import connect

    seen: dict[str, dict] = {}
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    async with connect(url + "/watch") as ws:
        await ws.send(wire.encode({"op": "hello", "v": 1, "token": TOKENS["watch"]}))
        while loop.time() < deadline:
            try:
                message = wire.decode(await asyncio.wait_for(ws.recv(), deadline - loop.time()))
            except TimeoutError:
                break
            if message.get("op") == "snapshot" and message["room"] in want:
                seen[message["room"]] = message
                if all(seen.get(r, {}).get("metrics") == m for r, m in want.items()):
                    break
    return seen


async def test_the_issues_two_command_lines_feed_one_hub_exactly(tmp_path: Path):
    """`livemon serve --adapter sim` and, from outside, `livemon adapter sim --room room-2`
    (plus `--name sim-3 --room room-3`), as real processes: every room ends with exactly
    the numbers its feed gives alone, and each shows its feed as ``sim``."""
    port = _free_port()
    url = f"ws://127.0.0.1:{port}"
    sim = {**SIM, "start": int(time.time())}  # one start for every process and the reference
    sets = [arg for k, v in sim.items() for arg in ("--set", f"sim.{k}={v}")]
    env = {**os.environ, **{f"LIVEMON_{r.upper()}_TOKEN": t for r, t in TOKENS.items()}}
    cli = [sys.executable, "-m", "livemon.cli"]
    serve = subprocess.Popen(
        [*cli, "serve", "--adapter", "sim", "--port", str(port), "--record-dir", str(tmp_path),
         *sets], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        for _ in range(300):  # the hub's port opens
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            assert serve.poll() is None, serve.communicate()[1]
            await asyncio.sleep(0.1)
        outside = [
            await asyncio.create_subprocess_exec(
                *cli,
                "adapter",
                "sim",
                "--room",
                room,
                *extra,
                "--hub",
                url,
                *sets,
                env=env,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.PIPE,
            )  # fmt: skip
            for room, extra in (("room-2", []), ("room-3", ["--name", "sim-3"]))
        ]
        said = [await asyncio.wait_for(p.communicate(), 60) for p in outside]
        for process, (_, err) in zip(outside, said, strict=True):
            assert process.returncode == 0, err.decode()
        assert "sim: fed" in said[0][1].decode() and "sim-3: fed" in said[1][1].decode()
        alone = {}
        for room in ("room-1", "room-2", "room-3"):
            engine = Engine()
            async for batch in SimAdapter(room=room, **sim).batches():
                engine.apply([wire_event(e) for e in batch])
            alone[room] = engine.snapshot(room)["metrics"]
        got = await _snapshots_until(url, alone, timeout=30)
    finally:
        serve.terminate()
        try:
            serve.wait(20)
        except subprocess.TimeoutExpired:
            serve.kill()
            serve.wait(5)
    for room in ("room-1", "room-2", "room-3"):
        assert alone[room]["orders"] > 10 and alone[room]["comments"] > 50
        assert room in got, f"no snapshot of {room}: {serve.stderr.read() if serve.stderr else ''}"
        assert got[room]["metrics"] == alone[room], room
        assert [f["name"] for f in got[room]["feeds"]] == ["sim-3" if room == "room-3" else "sim"]
