"""The adapter contract: what a platform plugin implements.

An adapter turns one platform feed into protocol event maps (docs/protocol.md,
"Events") and carries out the commands it declares in ``capabilities``. It
knows nothing of websockets or of the hub: the same object runs in-process
(embedded mode) or in its own process connected to ``/ingest``.
"""

from __future__ import annotations

import abc
import asyncio
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

# The states a feed reports (docs/protocol.md's ``feed`` op carries them to the hub).
FEED_STATES = ("connecting", "up", "down", "ended")


class CommandRefused(Exception):
    """The adapter cannot or will not carry out a command; the message says why."""


@dataclass(frozen=True)
class Option:
    """One adapter option: its type, default and a line of help.

    Values given as strings (``--set key=value``) are converted with ``kind``.
    """

    kind: type
    default: Any
    help: str

    def convert(self, name: str, value: Any) -> Any:
        """``value`` as ``kind``; a ``ValueError`` that names the option if it does not fit."""
        if isinstance(value, self.kind) and not (self.kind is int and isinstance(value, bool)):
            return value
        if isinstance(value, str):
            if self.kind is bool:
                if value.lower() in ("1", "true", "yes", "on"):
                    return True
                if value.lower() in ("0", "false", "no", "off"):
                    return False
            else:
                try:
                    return self.kind(value)
                except ValueError:
                    pass
        if self.kind is float and isinstance(value, int) and not isinstance(value, bool):
            return float(value)
        raise ValueError(f"option {name} must be {self.kind.__name__}, got {value!r}")


class Adapter(abc.ABC):
    """A platform feed for one room.

    Subclasses set ``name``, ``capabilities`` (the command actions they can
    carry out), ``options`` and implement :meth:`batches`; those with
    capabilities override :meth:`command`.
    """

    name: ClassVar[str]
    description: ClassVar[str] = ""
    capabilities: ClassVar[frozenset[str]] = frozenset()
    options: ClassVar[Mapping[str, Option]] = {}
    # Options for a short, self-contained run (the conformance suite uses
    # them); None for an adapter that needs a live platform to produce events.
    quick_options: ClassVar[Mapping[str, Any] | None] = None
    # Where the platform connection stands; see set_feed_state. Class-level
    # defaults so that subclasses with their own __init__ still have them.
    feed_state: str = "connecting"
    feed_detail: str = ""
    feed_reported: bool = False  # set_feed_state was called: the adapter speaks for its feed
    _feed_listeners: list[Callable[[str, str], None]] | None = None
    # How many of the events yielded so far the hub holds durably (or rejected), as the
    # runner feeding this adapter reports it through ``acked``; None: no runner reports.
    acked_count: int | None = None
    _ack_waiters: list[tuple[int, asyncio.Future[None]]] | None = None

    def __init__(self, room: str = "room-1", **options: Any) -> None:
        unknown = sorted(set(options) - set(self.options))
        if unknown:
            known = ", ".join(sorted(self.options)) or "none"
            raise ValueError(f"{self.name} has no option {unknown[0]!r} (options: {known})")
        self.room = room
        self.settings: dict[str, Any] = {
            key: opt.convert(key, options[key]) if key in options else opt.default
            for key, opt in self.options.items()
        }

    @abc.abstractmethod
    def batches(self) -> AsyncIterator[list[dict[str, Any]]]:
        """Yield batches of protocol event maps, in order, until the feed ends."""

    async def command(self, action: str, args: Mapping[str, Any]) -> str:
        """Carry out ``action``; return a detail line, or raise ``CommandRefused``."""
        raise CommandRefused(f"adapter {self.name} cannot {action}")

    def set_feed_state(self, state: str, detail: str = "") -> None:
        """Record where the platform connection stands and tell whoever watches.

        ``state`` is one of ``FEED_STATES``: "down" while the platform link is
        out (a quiet room on a live connection is still "up"); ``detail`` is a
        short human line (the error, the retry delay). A repeat of the same
        state and detail is not passed on again.

        >>> class Quiet(Adapter):
        ...     name = "quiet"
        ...     async def batches(self):
        ...         yield []
        >>> seen = []
        >>> feed = Quiet()
        >>> feed.watch_feed_state(lambda state, detail: seen.append((state, detail)))
        >>> feed.set_feed_state("down", "timeout"); feed.set_feed_state("down", "timeout")
        >>> feed.feed_state, seen
        ('down', [('down', 'timeout')])
        """
        if state not in FEED_STATES:
            raise ValueError(f"feed state must be one of {', '.join(FEED_STATES)}, got {state!r}")
        if self.feed_reported and (state, detail) == (self.feed_state, self.feed_detail):
            return
        self.feed_state, self.feed_detail, self.feed_reported = state, detail, True
        for listener in list(self._feed_listeners or ()):
            listener(state, detail)

    def acked(self, count: int) -> None:
        """The runner says the first ``count`` events yielded are in the hub's recording
        (or were rejected by it). ``acked(0)`` at its start says it will report them.

        >>> class Push(Adapter):
        ...     name = "push"
        ...     async def batches(self):
        ...         yield []
        >>> feed = Push()
        >>> feed.acked_count is None, feed.acked(0), feed.acked(5), feed.acked(3), feed.acked_count
        (True, None, None, None, 5)
        """
        if self.acked_count is not None and count <= self.acked_count:
            return
        self.acked_count = count
        waiters = self._ack_waiters or []
        for n, future in [w for w in waiters if w[0] <= count]:
            waiters.remove((n, future))
            if not future.done():
                future.set_result(None)

    async def wait_acked(self, count: int, timeout: float) -> bool:
        """Wait until the first ``count`` events yielded are durable in the hub: True then,
        False after ``timeout`` seconds. True at once when no runner reports acks: an
        adapter that answers its platform only once its events are safe (the webhook's
        200) then answers as soon as it yields. Every runner here reports them: the hub's
        in-process one, the remote runner (the hub's ``ack`` frames) and the bus's
        (JetStream's store).
        """
        if self.acked_count is None or count <= self.acked_count:
            return True
        future = asyncio.get_running_loop().create_future()
        if self._ack_waiters is None:
            self._ack_waiters = []
        entry = (count, future)
        self._ack_waiters.append(entry)
        try:
            async with asyncio.timeout(timeout):
                await asyncio.shield(future)
            return True
        except TimeoutError:
            return False
        finally:
            if entry in self._ack_waiters:
                self._ack_waiters.remove(entry)

    def watch_feed_state(self, listener: Callable[[str, str], None]) -> None:
        """Call ``listener(state, detail)`` on every change of the feed state."""
        if self._feed_listeners is None:
            self._feed_listeners = []
        self._feed_listeners.append(listener)
