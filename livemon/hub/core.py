"""The hub's rules without I/O: handshake, seq/ack bookkeeping, commands, alerts per tick.

``HubCore`` takes decoded messages (and the time, where a rule needs it) and
returns the messages to send and the rows to write; it never touches a
socket, a file or an event loop. The asyncio server (``livemon.hub.hub``) is
a pump around it, and another transport (a message bus) can drive the same
rules. Connections are whatever hashable handle the transport uses.

The rules, as docs/protocol.md states them:

- hello: the first message, ``op`` hello, ``v`` 1, a token whose role may
  open the path (1008 otherwise), and on /ingest a non-empty ``name`` (1002);
- ingest: events with seq <= what is held for the adapter name are dropped;
  an ``ack`` goes out only for seqs that are durable, once per new high;
- commands: one outcome per ``id`` (later copies get the same result), the
  arguments and guardrails checked, hub actions carried out here, platform
  actions routed to the room's adapter that can carry them out;
- alerts: collected once per tick, sent to consoles and kept as catalog rows.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from livemon import commands, wire
from livemon.events import Event, room_problem
from livemon.hub import access
from livemon.ingest import Accepted

ALLOWED_ROLES = {"/ingest": {"ingest"}, "/watch": {"watch", "control"}, "/control": {"control"}}
PENDING = object()  # the outcome of a command being carried out now
BAD_TOKEN = "bad or missing token"
MAX_NAME = 128  # characters of an adapter's hello.name


def resume_seqs(
    per_room: Mapping[str, Mapping[str, int]], committed: Mapping[str, int] | None
) -> tuple[dict[str, int], dict[str, dict[str, int]]]:
    """What a resumed hub holds of each adapter: ``(held, ahead)``.

    ``per_room`` is, per room, each adapter's highest seq its log holds;
    ``committed`` what the session's acked file says every log holds (None for
    a session without one; it follows only adapters whose records went to several
    rooms' logs). ``held`` is what the welcome says is durable, so
    the adapter sends again from the seq after it; ``ahead`` is, per adapter,
    the rooms whose logs hold more than that, and how much: the hub drops
    those rooms' events of the resend up to there (they are counted already).

    Without an acked file, the highest seq of any log is taken, as before it existed.

    >>> resume_seqs({"r1": {"a": 100, "b": 7}, "r2": {"a": 80}}, {"a": 80})
    ({'a': 80, 'b': 7}, {'a': {'r1': 100}})
    >>> resume_seqs({"r1": {"a": 100}, "r2": {"a": 80}}, None)
    ({'a': 100}, {})
    """
    highest: dict[str, int] = {}
    for seqs in per_room.values():
        for name, seq in seqs.items():
            highest[name] = max(highest.get(name, 0), seq)
    if committed is None:
        return highest, {}
    # An adapter the file does not follow had all its records in one log: that log says.
    held = {name: committed.get(name, highest.get(name, 0))
            for name in sorted(highest.keys() | committed.keys())}  # fmt: skip
    ahead: dict[str, dict[str, int]] = {}
    for room, seqs in per_room.items():
        for name, seq in seqs.items():
            if seq > held[name]:
                ahead.setdefault(name, {})[room] = seq
    return held, ahead


def drop_held_in_rooms(taken: Accepted, held_in: Mapping[str, int]) -> Accepted:
    """``taken`` without the events a room's log already holds: those of a room in
    ``held_in`` with a seq <= its seq there (``ahead`` of ``resume_seqs``: a resend
    after a resume). Dropped silently, as any resent event.

    >>> from livemon.events import Like
    >>> a = drop_held_in_rooms(Accepted([Like("a", 1.0, 1), Like("b", 1.0, 2), Like("a", 2.0, 3)],
    ...                                 range(5, 8), [], 7), {"a": 6})
    >>> [e.n for e in a.events], a.seqs, a.last_seq
    ([2, 3], [6, 7], 7)
    """
    events: list[Event] = []
    seqs: list[int] = []
    for e, seq in zip(taken.events, taken.seqs, strict=True):
        if seq > held_in.get(e.room, 0):
            events.append(e)
            seqs.append(seq)
    return Accepted(events, seqs, taken.rejects, taken.last_seq)


@dataclass(frozen=True)
class Hello:
    """An accepted hello: the connection's role, and the adapter's name and rooms on /ingest."""

    path: str
    role: str
    message: dict[str, Any]
    name: str | None = None
    rooms: tuple[str, ...] = ()
    capabilities: frozenset[str] | None = None


@dataclass(frozen=True)
class Route:
    """What to do with a command: answer it now, or forward it to an adapter of ``room``."""

    result: dict[str, Any] | None = None  # the outcome, when it is known now
    forward: bool = False  # a platform action for the room's adapter
    wait: bool = False  # the same id is being carried out: wait for that outcome
    new: bool = False  # ``result`` is this command's own outcome (refused now): record it


@dataclass
class HubCore:
    """The hub's rules and bookkeeping; pure (see the module docstring)."""

    tokens: access.Tokens
    rails: commands.Guardrails = field(default_factory=commands.Guardrails)
    session: str | None = None
    held: dict[str, int] = field(default_factory=dict)  # adapter name -> highest seq taken
    durable: dict[str, int] = field(default_factory=dict)  # adapter name -> highest seq on disk
    acked: dict[Hashable, tuple[str, int]] = field(default_factory=dict)  # conn -> (name, acked)
    results: dict[Any, Any] = field(default_factory=dict)  # command id -> outcome or PENDING
    hosts: dict[str, str] = field(default_factory=dict)  # room -> host on air
    coupons_issued: dict[str, int] = field(default_factory=dict)  # room -> coupon commands
    alert_rows: list[dict[str, Any]] = field(default_factory=list)  # for the catalog

    # -- handshake --------------------------------------------------------------

    def hello(self, path: str, message: Mapping[str, Any]) -> Hello:
        """Check the first message of a connection on ``path``; raise ``wire.ProtocolError``
        with the close code if it is refused.

        >>> core = HubCore(access.Tokens({"ingest": "i" * 16, "watch": "w" * 16}))
        >>> core.hello("/ingest", {"op": "hello", "v": 1, "token": "i" * 16, "name": "a"}).role
        'ingest'
        >>> core.hello("/watch", {"op": "hello", "v": 1, "token": "i" * 16})  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        livemon.wire.ProtocolError: an ingest token cannot open /watch: use the control or ...
        """
        if message.get("op") != "hello":
            raise wire.ProtocolError(wire.CLOSE_PROTOCOL, "the first message must be hello")
        version = message.get("v")
        if isinstance(version, bool) or version != wire.VERSION:  # true == 1 in Python
            raise wire.ProtocolError(
                wire.CLOSE_PROTOCOL, f"protocol version {message.get('v')!r} unsupported: use v=1"
            )
        role = self.tokens.role_of(message.get("token"))
        if role is None:
            raise wire.ProtocolError(wire.CLOSE_POLICY, BAD_TOKEN)
        if role not in ALLOWED_ROLES[path]:
            article = "an" if role[0] in "aeiou" else "a"
            need = " or ".join(sorted(ALLOWED_ROLES[path]))
            raise wire.ProtocolError(
                wire.CLOSE_POLICY,
                f"{article} {role} token cannot open {path}: use the {need} token",
            )
        checked = {**message, "role": role}  # the hub's finding, whatever the hello said
        if path != "/ingest":
            return Hello(path, role, checked)
        name = message.get("name")
        if not isinstance(name, str) or not name:
            raise wire.ProtocolError(wire.CLOSE_PROTOCOL, "hello.name must be a non-empty string")
        # The name goes into every record of the feed's frames and every snapshot's feeds:
        # an id, bounded as ids are (docs/limits.md), and shown to people, so printable.
        if len(name) > MAX_NAME or not name.isprintable():
            raise wire.ProtocolError(
                wire.CLOSE_PROTOCOL,
                f"hello.name must be at most {MAX_NAME} printable characters (no control "
                "characters)",
            )
        rooms = message.get("rooms")
        if rooms is None:
            rooms = []
        # A string is not a list of one room: iterating "r1" would feed rooms "r" and "1".
        if not isinstance(rooms, list) or not all(isinstance(r, str) for r in rooms):
            raise wire.ProtocolError(
                wire.CLOSE_PROTOCOL, "hello.rooms must be a list of room ids (strings)"
            )
        caps = message.get("capabilities")
        return Hello(path, role, checked, name, tuple(rooms),
                     frozenset(caps) if isinstance(caps, list) else None)  # fmt: skip

    def ingest_welcome(self, conn: Hashable, name: str) -> dict[str, Any]:
        """The ``welcome`` of adapter ``name`` on ``conn``, with its durable seq."""
        acked = self.durable.get(name, 0)
        self.acked[conn] = (name, acked)
        return {"op": "welcome", "v": wire.VERSION, "session": self.session, "acked_seq": acked}

    def closed(self, conn: Hashable) -> None:
        """``conn`` is gone: no more acks for it."""
        self.acked.pop(conn, None)

    # -- seq / ack -----------------------------------------------------------------

    def resent(self, name: str, seq: int, count: int) -> bool:
        """True when every event of the batch (seqs ``seq`` .. ``seq + count - 1``) is held."""
        return seq + count - 1 <= self.held.get(name, 0)

    def take(self, name: str, last_seq: int) -> None:
        """Adapter ``name``'s events up to ``last_seq`` are taken (folded, queued for the log)."""
        if last_seq > self.held.get(name, 0):
            self.held[name] = last_seq

    def made_durable(self, held: Mapping[str, int]) -> None:
        """What was held when a log write began (``dict(core.held)``) is now on disk."""
        self.durable.update(held)

    def acks(self) -> list[tuple[Hashable, dict[str, Any]]]:
        """``(conn, ack)`` for each adapter connection with newly durable seqs.

        >>> core = HubCore(access.Tokens({}))
        >>> core.ingest_welcome("c1", "a")["acked_seq"]
        0
        >>> core.take("a", 5); core.acks()
        []
        >>> core.made_durable(core.held); core.acks(), core.acks()
        ([('c1', {'op': 'ack', 'seq': 5})], [])
        """
        out = []
        for conn, (name, acked) in list(self.acked.items()):
            seq = self.durable.get(name, 0)
            if seq > acked:
                self.acked[conn] = (name, seq)
                out.append((conn, {"op": "ack", "seq": seq}))
        return out

    # -- commands ---------------------------------------------------------------------

    def route(self, message: Mapping[str, Any], known: Mapping[str, Any] | None = None) -> Route:
        """Decide a console command: an answer now, wait for the same id, or forward it.

        ``known`` is an outcome of this id stored elsewhere (the catalog, after a
        restart). When ``Route.forward`` or a hub action is returned, the id is
        marked pending: call ``finish`` with the outcome.

        >>> core = HubCore(access.Tokens({}))
        >>> core.route({"id": 1, "room": "r", "action": "dance"}).result["detail"][:14]
        'unknown action'
        >>> core.route({"id": 2, "room": "r", "action": "pin", "args": {"text": "hi"}}).forward
        True
        >>> core.route({"id": 2, "room": "r", "action": "pin", "args": {"text": "hi"}}).wait
        True
        """
        cid = message.get("id")
        if not isinstance(cid, str | int) or isinstance(cid, bool):
            return Route({"op": "result", "id": cid, "ok": False,
                          "detail": "command.id must be a string or an int"})  # fmt: skip
        outcome = self.results.get(cid)
        if outcome is None and known is not None:
            outcome = self.results[cid] = dict(known)
        if outcome is PENDING:
            return Route(wait=True)
        if outcome is not None:
            return Route({"op": "result", "id": cid, **outcome})
        room, action = message.get("room"), message.get("action")
        args = message.get("args") or {}
        if not isinstance(room, str) or not room or room_problem(room):
            why = room_problem(room) if isinstance(room, str) and room else "is missing"
            problem: str | None = f"command.room must be a room id: it {why}"
        else:
            problem = commands.check(action, args, self.rails, self.coupons_issued.get(room, 0))
        self.results[cid] = PENDING
        if problem:
            return Route(self.finish(message, {"ok": False, "detail": problem}), new=True)
        return Route(forward=action not in commands.HUB_ACTIONS)

    def finish(self, message: Mapping[str, Any], outcome: Mapping[str, Any]) -> dict[str, Any]:
        """Keep the outcome of command ``message`` (answered alike to every later copy) and
        return its ``result``. A platform action that was carried out takes effect here."""
        cid = message.get("id")
        outcome = {"ok": bool(outcome.get("ok")), "detail": str(outcome.get("detail", ""))}
        if outcome["ok"] and message.get("action") == "coupon":
            room = str(message.get("room"))
            self.coupons_issued[room] = self.coupons_issued.get(room, 0) + 1
        self.results[cid] = outcome
        return {"op": "result", "id": cid, **outcome}

    def hub_action(self, message: Mapping[str, Any], ack: Any = None) -> dict[str, Any]:
        """The outcome of a hub action (``host``, ``mark``, ``ack``). ``ack(alert_id)`` acks
        an alert of the room and says whether one was open."""
        room, action = message.get("room"), message.get("action")
        args = message.get("args") or {}
        if action == "host":
            self.hosts[str(room)] = args["name"]
            return {"ok": True, "detail": f"host on air: {args['name']}"}
        if action == "mark":
            return {"ok": True, "detail": f"bookmark: {args['label']}"}
        if action == "ack":
            if ack is not None and ack(args["alert_id"]):
                return {"ok": True, "detail": f"acknowledged {args['alert_id']}"}
            return {"ok": False, "detail": f"no open alert {args['alert_id']!r} in room {room}"}
        return {"ok": True, "detail": ""}

    # -- alerts ---------------------------------------------------------------------------

    def collect_alerts(
        self, changes: Iterable[tuple[float, dict[str, Any]]],
        known: set[tuple[str, str, str]] | None = None, send: bool = True,
    ) -> tuple[list[dict[str, Any]], set[str]]:  # fmt: skip
        """A tick's alert changes as ``alert`` messages to send and catalog rows to keep.

        Returns the messages and the rooms whose snapshots changed. While a
        session is being resumed, ``known`` holds the changes the catalog has:
        those are neither sent nor kept twice. ``send=False`` (a replay's seek)
        keeps the rows but sends nothing.
        """
        messages: list[dict[str, Any]] = []
        rooms: set[str] = set()
        for ts, alert in changes:
            rooms.add(alert["room"])
            if known is not None:
                if (alert["id"], alert["state"], alert["severity"]) in known:
                    continue
            elif send:
                messages.append({"op": "alert", **alert})
            self.alert_rows.append({"session": self.session, **alert, "ts": ts})
        return messages, rooms
