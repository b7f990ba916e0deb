"""A reconnecting websocket feed: the part every live-platform adapter shares.

Silent disconnects are the first complaint about every open-source live-room
listener, so this loop never trusts a quiet socket and never gives up on a
transient error:

- it sends the platform's heart-beat every ``heartbeat_s``;
- any frame received (a heart-beat reply too) proves the link alive, and a
  socket that sends nothing for ``timeout_s`` is dropped as dead, so a room
  quiet for minutes stays connected while a dead link is noticed in seconds;
- it reconnects after any error with capped, jittered exponential backoff
  (``retry_s`` doubling up to ``retry_max_s``, each delay drawn uniformly
  from its upper half so that many listeners do not retry in step);
- events carry the platform's message id where it gives one, and a bounded
  LRU of the ids seen drops the ones a resumed platform sends again;
- it reports ``connecting`` / ``up`` / ``down`` / ``ended`` through
  :meth:`Adapter.set_feed_state`, and (``assume_live``) says ``live on``
  when first up, so that the hub watches the room for ``adapter_down``.

Only a refusal that retrying cannot fix (:class:`FeedRefused`: a blocked
device, a signer that says no) ends the feed with an error.

A platform adapter subclasses :class:`WebsocketFeed` and supplies the URL,
the heart-beat frame, what to send on open, and a pure ``decode`` from one
received frame to events and replies.
"""

from __future__ import annotations

import abc
import asyncio
import contextlib
import logging
import random
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Hashable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus, InvalidURI
from websockets.http11 import Response

from livemon.adapters.base import Adapter, Option

log = logging.getLogger("livemon.feed")

# Options every websocket feed has; a platform adds its own to these.
TIMING_OPTIONS: Mapping[str, Option] = {
    "heartbeat_s": Option(float, 10.0, "seconds between heart-beats sent to the platform"),
    "timeout_s": Option(
        float, 30.0, "a socket that sends nothing (not even a heart-beat reply) this long is dead"
    ),
    "retry_s": Option(float, 1.0, "first reconnect delay in seconds (doubles, jittered)"),
    "retry_max_s": Option(float, 30.0, "longest reconnect delay in seconds"),
    "dedup_ids": Option(int, 20_000, "platform message ids remembered to drop resent events"),
    "assume_live": Option(
        bool,
        True,
        "say the room is live (live on) when the feed first comes up; false: wait "
        "for the platform's own start message",
    ),
}


class FeedRefused(ValueError):
    """The platform or its signer refused the connection; retrying will not help.

    The message says who refused, why, and which option to change.
    """


class SeenIds:
    """A bounded LRU of message ids: ``add`` says whether an id is new.

    >>> seen = SeenIds(2)
    >>> [seen.add(k) for k in ("a", "b", "a", "c", "b", "a")]
    [True, True, False, True, True, True]
    >>> "a" in seen, "c" in seen
    (True, False)
    """

    def __init__(self, size: int) -> None:
        self.size = max(1, size)
        self._ids: OrderedDict[Hashable, None] = OrderedDict()

    def add(self, key: Hashable) -> bool:
        """Remember ``key``; True if it was not among the ``size`` most recent."""
        if key in self._ids:
            self._ids.move_to_end(key)
            return False
        self._ids[key] = None
        if len(self._ids) > self.size:
            self._ids.popitem(last=False)
        return True

    def __contains__(self, key: Hashable) -> bool:
        return key in self._ids

    def discard(self, key: Hashable) -> None:
        """Forget ``key`` (it is new again)."""
        self._ids.pop(key, None)

    def __len__(self) -> int:
        return len(self._ids)


def backoff(first: float, cap: float, rng: random.Random | None = None) -> Iterator[float]:
    """Reconnect delays: ``first`` doubling up to ``cap``, each drawn from its upper half.

    >>> delays = list(zip(range(8), backoff(1.0, 10.0, random.Random(1))))
    >>> all(0.5 <= d <= 10.0 for _, d in delays), delays[-1][1] >= 5.0
    (True, True)
    """
    rng = rng or random.Random()
    ceiling = first
    while True:
        yield rng.uniform(ceiling / 2, ceiling)
        ceiling = min(cap, ceiling * 2)


@dataclass
class Decoded:
    """What one received frame means: events (each with its platform id or None),
    frames to send back (acks), and whether the platform said the stream ended."""

    events: list[tuple[Hashable | None, dict[str, Any]]] = field(default_factory=list)
    replies: list[bytes | str] = field(default_factory=list)
    ended: bool = False


@dataclass(frozen=True)
class Target:
    """Where to connect: the websocket URL and any extra handshake headers."""

    url: str
    headers: Mapping[str, str] = field(default_factory=dict)


class WebsocketFeed(Adapter):
    """An adapter fed by one platform websocket, kept alive across drops and silences.

    ``connects`` counts the sessions opened and ``dropped`` the resent events
    removed (both for tests and the closing log line).
    """

    def __init__(self, room: str = "room-1", **options: Any) -> None:
        super().__init__(room, **options)
        s = self.settings
        for key in ("heartbeat_s", "timeout_s", "retry_s", "retry_max_s"):
            if not s[key] > 0:
                raise ValueError(f"option {key} must be > 0, got {s[key]!r}")
        if s["timeout_s"] <= s["heartbeat_s"]:
            raise ValueError(
                f"option timeout_s ({s['timeout_s']}) must be longer than heartbeat_s "
                f"({s['heartbeat_s']}): a heart-beat reply is what keeps a quiet room alive"
            )
        self.seen = SeenIds(s["dedup_ids"])
        self.connects = 0
        self.dropped = 0
        self._alive_at = 0.0  # monotonic time of the last frame or pong received
        self.said_live = False

    # -- what a platform supplies -----------------------------------------

    @abc.abstractmethod
    async def target(self) -> Target:
        """Where to connect now (called before every connect: signatures expire)."""

    async def opened(self, ws: ClientConnection) -> None:  # noqa: B027 - optional hook
        """Send what the platform wants first (an auth packet); raise FeedRefused if refused."""

    @abc.abstractmethod
    def heartbeat(self) -> bytes | str | None:
        """The platform's heart-beat frame (None: a websocket ping, its pong proves liveness)."""

    @abc.abstractmethod
    def decode(self, data: bytes | str, now: float) -> Decoded:
        """Events, replies and end-of-stream in one received frame (pure; ``now`` is event time)."""

    def refusal(self, response: Response) -> str | None:
        """Why a handshake answer means "refused for good" (None: retry it)."""
        if response.status_code in (401, 403):
            return f"{self.name}: the server refused the connection (HTTP {response.status_code})"
        return None

    # -- the loop -----------------------------------------------------------

    async def batches(self) -> AsyncIterator[list[dict[str, Any]]]:
        """Yield the events of every session until the platform says the stream ended."""
        s = self.settings
        delays = backoff(s["retry_s"], s["retry_max_s"])
        while True:
            self.set_feed_state("connecting")
            try:
                async for batch in self._session():
                    if batch is None:  # the session is up: the next drop starts backoff anew
                        delays = backoff(s["retry_s"], s["retry_max_s"])
                        if s.get("assume_live") and not self.said_live:
                            # The hub watches a room for adapter_down only once it is live.
                            self.said_live = True
                            yield [{"type": "live", "room": self.room, "ts": time.time(),
                                    "on": True}]  # fmt: skip
                        continue
                    yield batch
                if self.feed_state == "ended":
                    return
                why = "the platform closed the connection"
            except FeedRefused as exc:
                self.set_feed_state("down", str(exc))
                raise
            except InvalidURI as exc:
                self.set_feed_state("down", str(exc))
                raise FeedRefused(
                    f"{self.name}: bad websocket URL ({exc}): check server="
                ) from None
            except (OSError, ConnectionClosed, InvalidHandshake, TimeoutError, EOFError) as exc:
                why = _why(exc)
            delay = next(delays)
            log.warning("%s: %s; reconnecting in %.1f s", self.name, why, delay)
            self.set_feed_state("down", f"{why}; retrying in {delay:.1f} s")
            await asyncio.sleep(delay)

    async def _session(self) -> AsyncIterator[list[dict[str, Any]] | None]:
        """One connection: yields None once up, then each received frame's new events."""
        s = self.settings
        where = await self.target()
        try:
            ws = await connect(
                where.url,
                additional_headers=dict(where.headers) or None,
                open_timeout=s["timeout_s"],
                max_size=2**24,
                compression=None,
            )
        except InvalidStatus as exc:
            reason = self.refusal(exc.response)
            if reason:
                raise FeedRefused(reason) from None
            raise
        async with ws:
            async with asyncio.timeout(s["timeout_s"]):
                await self.opened(ws)
            self.connects += 1
            self.set_feed_state("up")
            yield None
            self._alive_at = time.monotonic()
            beats = asyncio.create_task(self._beat(ws))
            try:
                while True:
                    try:
                        wait = self._alive_at + s["timeout_s"] - time.monotonic()
                        async with asyncio.timeout(max(wait, 0.001)):
                            data = await ws.recv()
                    except TimeoutError:
                        if time.monotonic() - self._alive_at < s["timeout_s"]:
                            continue  # a pong came in meanwhile: alive, just quiet
                        raise
                    self._alive_at = time.monotonic()
                    decoded = self.decode(data, time.time())
                    for reply in decoded.replies:
                        await ws.send(reply)
                    batch = self._fresh(decoded.events)
                    if batch:
                        yield batch
                    if decoded.ended:
                        self.set_feed_state("ended", "the platform says the stream ended")
                        return
            except TimeoutError:
                # A dead peer will not answer a close handshake: cut the link, do not wait.
                ws.transport.abort()
                raise TimeoutError(f"no frame for {s['timeout_s']:g} s (silent socket)") from None
            finally:
                beats.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await beats

    async def _beat(self, ws: ClientConnection) -> None:
        """Send the heart-beat; with none, a websocket ping whose pong proves the link alive."""
        with contextlib.suppress(ConnectionClosed):
            while True:
                frame = self.heartbeat()
                if frame is None:
                    pong = asyncio.ensure_future(await ws.ping())  # already a future
                    # asyncio.wait, not wait_for: the pong future must not be cancelled
                    # (websockets resolves it when the pong arrives).
                    done, _ = await asyncio.wait({pong}, timeout=self.settings["heartbeat_s"])
                    if pong in done:
                        self._alive_at = time.monotonic()
                else:
                    await ws.send(frame)
                await asyncio.sleep(self.settings["heartbeat_s"])

    def _fresh(self, events: list[tuple[Hashable | None, dict[str, Any]]]) -> list[dict[str, Any]]:
        out = []
        for key, event in events:
            if key is None or self.seen.add(key):
                out.append(event)
            else:
                self.dropped += 1
        return out


def _why(exc: BaseException) -> str:
    """A short line saying why a session ended."""
    if isinstance(exc, ConnectionClosed):
        return f"connection lost ({exc})"
    if isinstance(exc, InvalidStatus):
        return f"handshake refused (HTTP {exc.response.status_code})"
    text = str(exc) or type(exc).__name__
    return text if isinstance(exc, TimeoutError) else f"{type(exc).__name__}: {text}"
