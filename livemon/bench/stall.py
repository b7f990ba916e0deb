"""``livemon bench stall``: what one console that stops reading costs the hub, and when it goes.

Runs a hub on loopback, opens a /watch console that completes its hello and
then never reads, feeds a busy room (comments at ``--rate`` per second), and
prints every few seconds what the hub holds for that console: the kernel
send queue of its socket, the websocket transport buffer and its outbox;
then when the hub drops it. ``--stall-s`` and ``--send-buffer-kb`` override
``[access] console_stall_s`` / ``console_send_buffer_kb``; a huge
``--stall-s`` with ``--send-buffer-kb 4096`` shows the hub as it was before
these limits (Linux grows the send buffer to about 4 MB by itself).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import fcntl
import socket
import struct
import sys
import tempfile
import termios
import time

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from livemon import config, wire
from livemon.hub import Hub

TEXT = "主播这个多少钱 有没有优惠券 " * 4  # a typical danmaku, four times over (~170 bytes)

TOKENS = {
    "ingest": "bench-ingest-token",
    "watch": "bench-watch-token-",
    "control": "bench-control-1",
}


def _queued(sock: socket.socket) -> int:
    """Bytes in a socket's kernel send queue, not yet taken by the peer (Linux)."""
    return struct.unpack("i", fcntl.ioctl(sock.fileno(), termios.TIOCOUTQ, b"\0" * 4))[0]


async def _drain(ws) -> None:
    with contextlib.suppress(ConnectionClosed):
        async for _ in ws:
            pass


async def _run(seconds: float, rate: int, every: float, cfg: config.Config) -> None:
    with tempfile.TemporaryDirectory(prefix="livemon-bench-") as scratch:
        hub = Hub(cfg, scratch, tokens=TOKENS)
        await hub.start("127.0.0.1", 0)
        sock = socket.socket()
        sock.setblocking(False)
        await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", hub.port))
        stalled = await connect(hub.url("/watch"), sock=sock, max_queue=1)
        await stalled.send(wire.encode({"op": "hello", "v": 1, "token": TOKENS["watch"],
                                        "name": "stalled"}))  # fmt: skip
        feeder = await connect(hub.url("/ingest"), max_size=wire.MAX_FRAME)
        await feeder.send(wire.encode({"op": "hello", "v": 1, "token": TOKENS["ingest"],
                                       "name": "bench", "rooms": ["r"]}))  # fmt: skip
        await feeder.recv()
        acks = asyncio.create_task(_drain(feeder))  # acks read, so pings are answered
        port, seq, start, shown = stalled.local_address[1], 1, time.monotonic(), -every
        t0 = time.time()
        try:
            while (now := time.monotonic() - start) < seconds:
                n = max(1, rate // 10)
                events = [{"type": "comment", "room": "r", "ts": t0 + (seq + k) / rate,
                           "user": f"user{(seq + k) % 5000}", "text": TEXT}
                          for k in range(n)]  # fmt: skip
                await feeder.send(wire.encode({"op": "events", "seq": seq, "events": events}))
                seq += n
                await asyncio.sleep(0.1)
                if now - shown < every:
                    continue
                shown = now
                box = next((o for o in hub.outboxes if o.ws.remote_address[1] == port), None)
                if box is None:
                    print(f"{now:5.0f} s  dropped: everything it held is freed", flush=True)
                    continue
                server_sock = box.ws.transport.get_extra_info("socket")
                held = (sum(map(len, box.messages)) + sum(map(len, box.comments))
                        + sum(map(len, box.snapshots.values())))  # fmt: skip
                print(f"{now:5.0f} s  kernel send queue {_queued(server_sock) / 1e6:5.2f} MB  "
                      f"transport {box.ws.transport.get_write_buffer_size() / 1e6:5.2f} MB  "
                      f"outbox {held / 1e6:5.2f} MB", flush=True)  # fmt: skip
        finally:
            acks.cancel()
            await feeder.close()
            await hub.stop()


def main(argv: list[str]) -> int:
    """Run the benchmark and print its figures; returns the exit status."""
    parser = argparse.ArgumentParser(prog="livemon bench stall", description=__doc__)
    parser.add_argument("--seconds", type=float, default=40.0)
    parser.add_argument("--rate", type=int, default=1000, help="comments per second fed")
    parser.add_argument("--every", type=float, default=5.0, help="seconds between lines")
    parser.add_argument("--stall-s", type=float, help="default: [access] console_stall_s")
    parser.add_argument("--send-buffer-kb", type=int,
                        help="default: [access] console_send_buffer_kb")  # fmt: skip
    args = parser.parse_args(argv)
    cfg = config.load()
    if args.stall_s is not None:
        cfg["access"]["console_stall_s"] = args.stall_s
    if args.send_buffer_kb is not None:
        cfg["access"]["console_send_buffer_kb"] = args.send_buffer_kb
    access = cfg["access"]
    print(f"one stalled /watch console, {args.rate} comments/s fed; console_stall_s "
          f"{access['console_stall_s']:g}, console_send_buffer_kb "
          f"{access['console_send_buffer_kb']}", flush=True)  # fmt: skip
    asyncio.run(_run(args.seconds, args.rate, args.every, cfg))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
