"""Where each feed of each room stands: the hub's record of adapter feed states.

A room can have several feeds (a video platform for comments and viewers, a
shop webhook for orders). Each feed reports its state (``connecting``, ``up``,
``down``, ``ended``), in-process through ``Adapter.watch_feed_state`` or from
its own process with the ``feed`` op on ``/ingest``. A feed that never
reports (an older adapter) is taken to be up from its first frame until its
link drops. No I/O here: the hub passes the wall clock in.
"""

from __future__ import annotations

from dataclasses import dataclass

from livemon.adapters.base import FEED_STATES

OUT = ("connecting", "down")  # states in which a feed delivers nothing


@dataclass
class Feed:
    """One adapter's feed into one room."""

    name: str
    state: str = "connecting"
    detail: str = ""
    since: float = 0.0  # wall time of the last state change
    out_since: float | None = None  # wall time it stopped delivering (None: it is up or ended)
    reports: bool = False  # it says its own state (else: inferred from frames and the link)
    linked: bool = True  # its adapter is connected to the hub

    def view(self) -> dict[str, object]:
        """The map a snapshot's ``feeds`` list carries for this feed."""
        return {"name": self.name, "state": self.state, "detail": self.detail,
                "since": round(self.since, 3)}  # fmt: skip


class FeedBoard:
    """Feed states by room and adapter name; says which rooms changed.

    >>> board = FeedBoard()
    >>> board.attach("douyin", ["r"], now=0.0)
    >>> board.report("douyin", "up", "", now=1.0)
    >>> board.report("douyin", "down", "timeout, retry in 2 s", now=5.0)
    >>> board.health("r", now=9.0, last_frame=4.0)
    (5.0, False, 'feed douyin down: timeout, retry in 2 s')
    >>> board.report("douyin", "up", "", now=10.0); board.health("r", now=60.0, last_frame=10.0)
    (60.0, True, '')
    """

    def __init__(self) -> None:
        self.rooms: dict[str, dict[str, Feed]] = {}
        self.rooms_of: dict[str, list[str]] = {}  # adapter name -> the rooms it feeds
        self.changed: set[str] = set()  # rooms whose feed list changed since taken

    def attach(self, name: str, rooms: list[str], now: float, label: str | None = None) -> None:
        """Adapter ``name`` connected (or started in-process) for ``rooms``; snapshots show it
        as ``label`` (default ``name``)."""
        self.rooms_of[name] = list(rooms)
        for room in rooms:
            feeds = self.rooms.setdefault(room, {})
            feed = feeds.get(name)
            if feed is None:
                feeds[name] = Feed(label or name, since=now, out_since=now)
            else:
                feed.linked = True
                if feed.state == "ended":
                    self._set(feed, "connecting", "", now)
            self.changed.add(room)

    def report(self, name: str, state: str, detail: str, now: float) -> None:
        """Adapter ``name`` says its feed is ``state``; ``ValueError`` for an unknown state."""
        if state not in FEED_STATES:
            raise ValueError(f"feed state must be one of {', '.join(FEED_STATES)}, got {state!r}")
        for feed, room in self._feeds(name):
            feed.reports = True
            if (feed.state, feed.detail) != (state, detail):
                self._set(feed, state, detail, now)
                self.changed.add(room)

    def framed(self, name: str, now: float) -> None:
        """A frame came from ``name``: a feed that does not report its state is up."""
        for feed, room in self._feeds(name):
            if not feed.reports and feed.state != "up":
                self._set(feed, "up", "", now)
                self.changed.add(room)

    def lost(
        self, name: str, now: float, detail: str = "adapter disconnected from the hub"
    ) -> None:
        """The link to adapter ``name`` dropped: its feeds are down, unless they had ended."""
        for feed, room in self._feeds(name):
            feed.linked = False
            if feed.state != "ended":
                self._set(feed, "down", detail, now)
                self.changed.add(room)

    def health(self, room: str, now: float, last_frame: float) -> tuple[float, bool, str]:
        """``(last_good, connected, why)`` of ``room`` for the ``adapter_down`` detector.

        A feed out (down, or still connecting) makes the room disconnected
        since the moment it stopped delivering. Feeds that report their state
        and are up keep the room healthy however quiet it is; a feed that does
        not report is judged by the room's last frame, as before. With no
        feed attached (or all ended) the room is disconnected.
        """
        active = [f for f in self.rooms.get(room, {}).values() if f.state != "ended"]
        if not active:
            return last_frame, False, ""
        out = [f for f in active if f.state in OUT]
        if out:
            first = min(out, key=lambda f: f.out_since if f.out_since is not None else now)
            why = f"feed {first.name} {first.state}" + (f": {first.detail}" if first.detail else "")
            return (first.out_since if first.out_since is not None else now), False, why
        if any(not f.reports for f in active):
            return last_frame, True, ""
        return now, True, ""

    def views(self, room: str) -> list[dict[str, object]]:
        """The room's feeds for its snapshot, by name."""
        return [f.view() for _, f in sorted(self.rooms.get(room, {}).items())]

    def take_changed(self) -> set[str]:
        """The rooms whose feeds changed since the last call."""
        changed, self.changed = self.changed, set()
        return changed

    def _feeds(self, name: str):
        for room in self.rooms_of.get(name, ()):
            feed = self.rooms.get(room, {}).get(name)
            if feed is not None:
                yield feed, room

    @staticmethod
    def _set(feed: Feed, state: str, detail: str, now: float) -> None:
        if state in OUT and feed.out_since is None:
            feed.out_since = now
        elif state not in OUT:
            feed.out_since = None
        feed.state, feed.detail, feed.since = state, detail, now
