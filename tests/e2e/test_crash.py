"""Crash safety: kill -9 the hub mid-stream; nothing acknowledged is lost, nothing counts twice.

The hub runs as a real subprocess (``livemon serve``); the adapter is a raw
msgpack client that speaks docs/protocol.md.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import msgpack
from websockets.asyncio.client import connect

from livemon.record.log import EVENTS, scan
from livemon.record.recorder import room_dir_name

TOKENS = {
    "LIVEMON_INGEST_TOKEN": "ingest-token-0001",
    "LIVEMON_WATCH_TOKEN": "watch-token-00001",
    "LIVEMON_CONTROL_TOKEN": "control-token-001",
}
INGEST, WATCH = TOKENS["LIVEMON_INGEST_TOKEN"], TOKENS["LIVEMON_WATCH_TOKEN"]
TOTAL = 20_000  # events: one order each, so orders == events counted
BATCH = 200
PRICE = 150
WAIT_S = 30.0  # every wait on the hub has a deadline: a hub that stops answering fails the test


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start_hub(record_dir: Path, port: int) -> subprocess.Popen:
    env = {**os.environ, **TOKENS}
    return subprocess.Popen(
        [sys.executable, "-m", "livemon.cli", "serve", "--port", str(port),
         "--record-dir", str(record_dir)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip


async def _connect(url: str):
    for _ in range(100):
        try:
            return await connect(url)
        except OSError:
            await asyncio.sleep(0.1)
    raise AssertionError(f"hub at {url} did not come up")


def _events(first: int, last: int) -> list[dict]:
    return [
        {"type": "order", "room": "r", "ts": 1_764_000_000.0 + k / 100, "order_id": f"o{k}",
         "sku": "a", "qty": 1, "price_cents": PRICE, "buyer": f"b{k % 97}"}
        for k in range(first, last + 1)
    ]  # fmt: skip


async def _hello(ws) -> dict:
    await ws.send(
        msgpack.packb(
            {"op": "hello", "v": 1, "token": INGEST, "name": "feed", "rooms": ["r"], "resume": True}
        )
    )
    return msgpack.unpackb(await asyncio.wait_for(ws.recv(), WAIT_S))


async def _watch_metrics(port: int) -> dict:
    async with await _connect(f"ws://127.0.0.1:{port}/watch") as ws:
        await ws.send(msgpack.packb({"op": "hello", "v": 1, "token": WATCH, "name": "t"}))
        assert msgpack.unpackb(await asyncio.wait_for(ws.recv(), WAIT_S))["op"] == "welcome"
        async with asyncio.timeout(WAIT_S):  # a hub without the room would never send one
            while True:
                message = msgpack.unpackb(await ws.recv())
                if message["op"] == "snapshot":
                    return message["metrics"]


async def _send_all(ws, start: int, stop_after_ack: int | None) -> int:
    """Send events from ``start`` on; return the highest seq acked (stop early if asked)."""
    acked = 0
    seq = start
    while seq <= TOTAL:
        last = min(seq + BATCH - 1, TOTAL)
        frame = msgpack.packb({"op": "events", "seq": seq, "events": _events(seq, last)})
        await asyncio.wait_for(ws.send(frame), WAIT_S)  # a hub that stops reading fails here
        seq = last + 1
        while True:  # drain acks without waiting
            try:
                message = msgpack.unpackb(await asyncio.wait_for(ws.recv(), 0.001))
            except TimeoutError:
                break
            assert message["op"] == "ack", message
            acked = max(acked, message["seq"])
        if stop_after_ack is not None and seq > stop_after_ack:
            # Sent past the target: wait for its ack and stop there, mid-stream. Only
            # draining acks let a fast hub (or a slow reader) ack everything first.
            while acked < stop_after_ack:
                try:
                    message = msgpack.unpackb(await asyncio.wait_for(ws.recv(), WAIT_S))
                except TimeoutError:
                    raise AssertionError(f"no ack of {stop_after_ack} within {WAIT_S} s") from None
                if message["op"] == "ack":
                    acked = message["seq"]
            return acked
    # The wait that once hung for 16 minutes had no deadline: an ack that never
    # comes now fails here, with the last ack seen.
    while acked < TOTAL:
        try:
            message = msgpack.unpackb(await asyncio.wait_for(ws.recv(), WAIT_S))
        except TimeoutError:
            raise AssertionError(f"no ack past {acked} of {TOTAL} within {WAIT_S} s") from None
        if message["op"] == "ack":
            acked = message["seq"]
    return acked


async def test_kill_9_mid_stream_loses_nothing_and_counts_nothing_twice(tmp_path: Path) -> None:
    """After kill -9 (and a torn last write), a restart on the same dir resumes exactly."""
    port = _free_port()
    hub = _start_hub(tmp_path, port)
    try:
        ws = await _connect(f"ws://127.0.0.1:{port}/ingest")
        welcome = await _hello(ws)
        assert welcome["acked_seq"] == 0
        session = welcome["session"]
        acked_before = await _send_all(ws, 1, stop_after_ack=TOTAL // 3)
        # Keep frames in flight while the hub dies: some recorded but never acked.
        await ws.send(msgpack.packb(
            {"op": "events", "seq": acked_before + 1,
             "events": _events(acked_before + 1, acked_before + BATCH)}))  # fmt: skip
        hub.send_signal(signal.SIGKILL)
        hub.wait(10)
        await ws.close()
        assert 0 < acked_before < TOTAL, "killed mid-stream"
        # A write torn by the crash: a record header promising more than follows.
        (log,) = (tmp_path / room_dir_name("r")).glob("*.lmrec")
        whole = log.stat().st_size
        with log.open("ab") as f:
            f.write((4000).to_bytes(4, "little") + b"\0\0\0\0" + b"torn record")

        hub = _start_hub(tmp_path, port)
        ws = await _connect(f"ws://127.0.0.1:{port}/ingest")
        welcome = await _hello(ws)
        assert welcome["session"] == session, "the hub continues the same session"
        resumed_at = welcome["acked_seq"]
        assert resumed_at >= acked_before
        counted = await _watch_metrics(port)
        assert counted["orders"] == resumed_at, "every recorded event is in the metrics"
        assert log.stat().st_size >= whole, "the torn tail is cut, nothing before it"
        assert counted["gmv_cents"] == resumed_at * PRICE

        # Resend from what was acked before the kill: the overlap must not count twice.
        acked = await _send_all(ws, acked_before + 1, stop_after_ack=None)
        await ws.close()
        assert acked == TOTAL
        final = await _watch_metrics(port)
        assert final["orders"] == TOTAL
        assert final["units"] == TOTAL
        assert final["gmv_cents"] == TOTAL * PRICE
        assert final["buyers"] == 97
        records, whole_records_end = scan(log)
        assert whole_records_end == log.stat().st_size, "no torn bytes left in the log"
        assert sum(r[1][3] for r in records if r[1][0] == EVENTS) >= TOTAL
    finally:
        hub.kill()
        hub.wait(10)
