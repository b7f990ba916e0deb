"""``livemon bench fuzz``: fuzzed hellos, frames, events and commands against a live hub.

Runs a hub on loopback (in this process, in a scratch record dir) with a good
adapter feeding room ``fuzz-good``. Each example, drawn by hypothesis, opens
one more connection on /ingest, /watch or /control, says a hello (mostly
valid, sometimes broken), sends one to four fuzzed frames (any bytes, text,
any MessagePack, broken ``events`` batches, commands), and then checks over
the wire, as a client written from docs/protocol.md would, that:

- the good feed's next batch is acknowledged and none of it is rejected;
- a new console connects and sees exactly the good room's likes so far;
- if the hub closed the fuzzed connection, it said why, with a protocol
  close code (never 1011, a hub error);
- the hub logged no traceback.

At the end the hub must stop within ``STOP_LIMIT_S``, whatever the clients
left open. Prints progress, the examples run, the failures found (the first
few in full) and the rate. Needs hypothesis (``pip install 'livemon[test]'``).
The strategies are shared with the codec fuzz in the tests.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import sys
import tempfile
import threading
import time
import warnings
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgpack
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from livemon import config, wire
from livemon.hub import Hub

try:
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import seed as hypothesis_seed
    from hypothesis import strategies as st
except ImportError as exc:  # an optional extra: say how to get it
    raise SystemExit("livemon bench fuzz needs hypothesis: pip install 'livemon[test]'") from exc

T0 = 1_767_225_600.0  # 2026-01-01: fuzzed events sit around here
GOOD_ROOM = "fuzz-good"  # only the good feed sends events here, so its totals are exact
GOOD_NAME = "fuzz-good-feed"
TOKENS = {"ingest": "fuzz-ingest-token-1", "watch": "fuzz-watch-token-01",
          "control": "fuzz-control-token1"}  # fmt: skip
ROLE_OF_PATH = {"/ingest": "ingest", "/watch": "watch", "/control": "control"}
CLOSE_CODES = {wire.CLOSE_NORMAL, wire.CLOSE_PROTOCOL, wire.CLOSE_POLICY, wire.CLOSE_TOO_BIG,
               wire.CLOSE_TRY_LATER}  # fmt: skip
WAIT_S = 10.0  # each wait on the hub within an example
EXAMPLE_LIMIT_S = 30.0  # one example, whole
STOP_LIMIT_S = 10.0  # the hub must stop within this, whatever its clients did
SHOWN_FAILURES = 5

# -- strategies ----------------------------------------------------------------------------

ints = st.one_of(st.integers(-(2**63), 2**64 - 1), st.sampled_from([0, 1, -1, 2**53, 2**63 - 1]))
scalars = st.one_of(st.none(), st.booleans(), ints, st.floats(allow_nan=True),
                    st.text(max_size=300), st.binary(max_size=50))  # fmt: skip
values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)),
    max_leaves=12)  # fmt: skip
KINDS = ["viewers", "enter", "comment", "like", "gift", "follow", "share", "click", "order",
         "refund", "product", "stock", "featured", "coupon", "live", "dance"]  # fmt: skip
FIELDS = ["online", "total", "n", "user", "text", "value_cents", "sku", "order_id", "qty",
          "price_cents", "buyer", "coupon", "name", "stock", "available", "coupon_id",
          "discount_cents", "count", "expires_ts", "on"]  # fmt: skip
ACTIONS = ["coupon", "feature", "unfeature", "restock", "pin", "host", "mark", "ack", "plan",
           "dance"]  # fmt: skip
rooms = st.one_of(st.sampled_from(["r1", "bad/room", "..", "x" * 200, ""]), st.text(max_size=20))


@st.composite
def events(draw: Any) -> Any:
    """An event-like map: a known or unknown type, any room and ts, any fields of any value."""
    if draw(st.integers(0, 9)) == 0:
        return draw(values)  # not even a map
    event = {"type": draw(st.sampled_from(KINDS)), "room": draw(rooms),
             "ts": draw(st.one_of(st.floats(allow_nan=True), ints, st.just(T0 + 1)))}  # fmt: skip
    for name in draw(st.lists(st.sampled_from(FIELDS), max_size=6)):
        event[name] = draw(values)
    return event


@st.composite
def commands(draw: Any) -> dict[str, Any]:
    """A command map: any id, a known or odd room (the good room's adapter gets some), any
    action and arguments."""
    return {"op": "command", "id": draw(values),
            "room": draw(st.one_of(rooms, st.just(GOOD_ROOM))),
            "action": draw(st.sampled_from(ACTIONS)), "args": draw(values)}  # fmt: skip


@st.composite
def frames(draw: Any) -> bytes | str:
    """A frame as an adapter or a console might send one, mostly broken."""
    pick = draw(st.integers(0, 6))
    if pick == 0:
        return draw(st.binary(max_size=200))  # anything at all
    if pick == 1:
        return draw(st.text(max_size=50))  # a text frame
    if pick == 2:
        return msgpack.packb(draw(values), use_bin_type=True)
    if pick == 3:
        return msgpack.packb(draw(commands()), use_bin_type=True)
    if pick == 4 and draw(st.integers(0, 2)) == 0:  # a batch over the event limit
        return msgpack.packb({"op": "events", "seq": 1, "events": [{}] * (wire.MAX_BATCH + 1)})
    message = {"op": "events", "seq": draw(st.one_of(ints, values)),
               "events": draw(st.lists(events(), max_size=5))}  # fmt: skip
    return msgpack.packb(message, use_bin_type=True)


@dataclass(frozen=True)
class Case:
    """One example: a path, its hello (a map, or a broken first frame) and the frames after."""

    path: str
    hello: dict[str, Any] | bytes | str
    frames: list[bytes | str]
    likes: tuple[int, int]  # the good feed's two likes sent beside them


@st.composite
def cases(draw: Any) -> Case:
    """A connection on any path: mostly a hello with a right token (a bad token would lock
    the address out: 429, by design) and odd fields, sometimes a broken first frame."""
    path = draw(st.sampled_from(wire.PATHS))
    if draw(st.integers(0, 4)) == 0:
        hello: dict[str, Any] | bytes | str = draw(frames())
    else:
        role = draw(st.sampled_from([ROLE_OF_PATH[path]] * 4 + list(TOKENS)))
        hello = {"op": "hello", "v": draw(st.sampled_from([1, 1, 1, 2, None, "1"])),
                 "token": TOKENS[role],
                 "name": draw(st.one_of(st.just("fuzz"), values)),
                 "rooms": draw(st.one_of(st.just(["r1", GOOD_ROOM]), values))}  # fmt: skip
        if draw(st.booleans()):
            hello["capabilities"] = draw(st.one_of(st.lists(st.sampled_from(ACTIONS)), values))
    return Case(path, hello, draw(st.lists(frames(), min_size=1, max_size=4)),
                (draw(st.integers(1, 9)), draw(st.integers(1, 9))))  # fmt: skip


# -- the live hub ----------------------------------------------------------------------------


def _pack(message: Any) -> bytes:
    return msgpack.packb(message, use_bin_type=True)


def _unpack(data: bytes | str) -> Any:
    return msgpack.unpackb(data, raw=False, strict_map_key=False)


class Tracebacks(logging.Handler):
    """Keeps every log record with a traceback (a hub error) as one line."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info:
            self.lines.append(f"{record.name}: {record.getMessage()} ({record.exc_info[1]!r})")


class Target:
    """A hub on loopback and its good feed; ``example`` runs one case against them."""

    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self.good: ClientConnection | None = None
        self.seq = 1
        self.likes = 0  # the good room's likes the hub must show
        self.tracebacks = Tracebacks()
        self.closes: Counter[int] = Counter()  # close codes the hub sent fuzzed connections

    async def _good(self) -> ClientConnection:
        """The good feed's connection (again after the hub closed it)."""
        if self.good is not None and self.good.close_code is None:
            return self.good
        ws = await connect(self.hub.url("/ingest"), max_size=None, compression=None)
        await ws.send(_pack({"op": "hello", "v": 1, "token": TOKENS["ingest"],
                             "name": GOOD_NAME, "rooms": [GOOD_ROOM]}))  # fmt: skip
        welcome = _unpack(await asyncio.wait_for(ws.recv(), WAIT_S))
        assert welcome.get("op") == "welcome", f"the good feed got {welcome!r}"
        self.seq = welcome["acked_seq"] + 1
        self.good = ws
        return ws

    async def example(self, case: Case) -> None:
        """Run ``case``; raise AssertionError saying what the hub got wrong."""
        good = await self._good()
        bad = await connect(self.hub.url(case.path), max_size=None, compression=None)
        try:
            await self._send_bad(bad, case)
            await self._feed_good(good, case.likes)
            await self._console_sees(self.likes)
            if bad.close_code is not None and bad.protocol.close_rcvd_then_sent:
                code, reason = bad.close_code, bad.close_reason
                self.closes[code] += 1
                assert code in CLOSE_CODES, f"the hub closed a fuzzed connection: {code} {reason!r}"
                assert code == wire.CLOSE_NORMAL or reason, f"closed {code} without a reason"
            assert not self.tracebacks.lines, f"the hub logged: {self.tracebacks.lines[0]}"
        finally:
            await bad.close()

    async def _send_bad(self, bad: ClientConnection, case: Case) -> None:
        first = _pack(case.hello) if isinstance(case.hello, dict) else case.hello
        for frame in [first, *case.frames]:
            try:
                await asyncio.wait_for(bad.send(frame), WAIT_S)
            except ConnectionClosed:
                return  # the hub closed it: that is an answer (checked after)
        # Give the hub a moment to answer or close; a frame it ignores leaves it open.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(bad.wait_closed(), 0.05)

    async def _feed_good(self, good: ClientConnection, likes: tuple[int, int]) -> None:
        """Two likes in the good room: acked, none rejected."""
        ts = T0 + self.seq  # increasing, one second per event
        batch = [{"type": "like", "room": GOOD_ROOM, "ts": ts + k, "n": n}
                 for k, n in enumerate(likes)]  # fmt: skip
        first, last = self.seq, self.seq + len(batch) - 1
        await asyncio.wait_for(good.send(_pack({"op": "events", "seq": first, "events": batch})),
                               WAIT_S)  # fmt: skip
        self.seq = last + 1
        self.likes += sum(likes)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + WAIT_S
        while True:
            message = _unpack(await asyncio.wait_for(good.recv(), deadline - loop.time()))
            op = message.get("op")
            if op == "reject" and first <= message.get("seq", 0) <= last:
                raise AssertionError(f"a good event was rejected: {message}")
            if op == "ack" and message["seq"] >= last:
                return
            # commands routed to the good room's adapter are not answered: the hub times them out

    async def _console_sees(self, likes: int) -> None:
        """A new console connects and is shown exactly ``likes`` in the good room."""
        async with connect(self.hub.url("/watch"), max_size=None, compression=None) as ws:
            await ws.send(_pack({"op": "hello", "v": 1, "token": TOKENS["watch"]}))
            loop = asyncio.get_running_loop()
            deadline = loop.time() + WAIT_S
            seen = None
            while loop.time() < deadline:
                try:
                    message = _unpack(await asyncio.wait_for(ws.recv(), deadline - loop.time()))
                except TimeoutError:
                    break
                if message.get("op") == "snapshot" and message.get("room") == GOOD_ROOM:
                    seen = message["metrics"]["likes"]
                    if seen == likes:
                        return
            raise AssertionError(f"a console saw {seen} likes in the good room, not {likes}")


@dataclass
class Report:
    """What a fuzz run found."""

    examples: int = 0
    failures: list[tuple[Case, str]] = field(default_factory=list)
    seconds: float = 0.0
    stop_s: float = 0.0
    after: str = ""  # what went wrong after the examples (stop too slow, hub error), if anything
    closes: Counter[int] = field(default_factory=Counter)  # the hub's close codes, counted

    @property
    def rate(self) -> float:
        """Examples per second."""
        return self.examples / self.seconds if self.seconds > 0 else 0.0


async def fuzz(examples: int, seed: int, record_dir: Path | str,
               progress: Callable[[Report], None] | None = None) -> Report:  # fmt: skip
    """Run ``examples`` fuzzed cases (hypothesis seed ``seed``) against a new hub in
    ``record_dir``, then stop it; report what failed."""
    hub = Hub(config.load(), record_dir, tokens=TOKENS)
    await hub.start("127.0.0.1", 0)
    target = Target(hub)
    logger = logging.getLogger("livemon")
    logger.addHandler(target.tracebacks)
    report = Report()
    loop = asyncio.get_running_loop()
    start = time.monotonic()
    cancel = threading.Event()

    @settings(max_examples=examples, deadline=None, database=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))  # fmt: skip
    @hypothesis_seed(seed)
    @given(case=cases())
    def one(case: Case) -> None:
        if cancel.is_set():
            return
        future = asyncio.run_coroutine_threadsafe(target.example(case), loop)
        try:
            future.result(EXAMPLE_LIMIT_S)
        except Exception as exc:  # every failure is counted, the run goes on
            future.cancel()
            report.failures.append((case, f"{type(exc).__name__}: {exc}"[:300]))
        report.examples += 1
        report.seconds = time.monotonic() - start
        if progress is not None:
            progress(report)

    try:
        with warnings.catch_warnings():
            # The hub's websocket keepalive draws its ping payloads from ``random`` on the
            # event loop's thread while hypothesis generates in its own: hypothesis then
            # warns that a strategy used ``random``. None of ours does.
            warnings.filterwarnings("ignore", message="Do not use the `random` module")
            await asyncio.to_thread(one)
    finally:
        cancel.set()
        report.seconds = time.monotonic() - start
        if target.good is not None:
            await target.good.close()
        t = time.monotonic()
        try:
            await asyncio.wait_for(hub.stop(), STOP_LIMIT_S)
        except TimeoutError:
            report.after = f"the hub did not stop within {STOP_LIMIT_S:g} s"
        report.stop_s = time.monotonic() - t
        report.closes = target.closes
        logger.removeHandler(target.tracebacks)
    return report


def _case_text(case: Case) -> str:
    frames = ", ".join(repr(f)[:80] for f in case.frames)
    return f"{case.path} hello={repr(case.hello)[:120]} frames=[{frames}]"


def main(argv: list[str] | None = None) -> int:
    """``livemon bench fuzz [--examples N] [--seed S]``: exit 1 when anything failed."""
    parser = argparse.ArgumentParser(prog="livemon bench fuzz", description=__doc__.split("\n")[0])
    parser.add_argument("--examples", type=int, default=500, help="fuzzed cases to run (500)")
    parser.add_argument("--seed", type=int, default=0, help="hypothesis seed (0): same seed, "
                        "same cases")  # fmt: skip
    parser.add_argument("--every", type=float, default=2.0, help="seconds between progress lines")
    args = parser.parse_args(argv)
    shown = [0.0]

    def progress(report: Report) -> None:
        if report.seconds - shown[0] >= args.every or report.examples == args.examples:
            shown[0] = report.seconds
            print(f"  {report.examples}/{args.examples} examples, {len(report.failures)} failed, "
                  f"{report.rate:.1f}/s", file=sys.stderr, flush=True)  # fmt: skip

    with tempfile.TemporaryDirectory(prefix="livemon-fuzz-") as scratch:
        print(f"fuzzing a live hub: {args.examples} examples, seed {args.seed}", file=sys.stderr)
        report = asyncio.run(fuzz(args.examples, args.seed, scratch, progress))
    print(f"examples run: {report.examples}")
    print(f"failures found: {len(report.failures)}")
    print(f"rate: {report.rate:.1f} examples/s ({report.seconds:.1f} s)")
    print(f"hub stopped in {report.stop_s:.2f} s")
    closed = ", ".join(f"{code}: {n}" for code, n in sorted(report.closes.items())) or "none"
    print(f"fuzzed connections the hub closed, by code: {closed}")
    for case, why in report.failures[:SHOWN_FAILURES]:
        print(f"FAILED {why}\n  {_case_text(case)}")
    if report.after:
        print(f"FAILED {report.after}")
    return 1 if report.failures or report.after else 0
