"""Names on the bus: subjects, KV keys and message ids, all derived from room ids.

A room id may hold characters that NATS subjects and KV keys forbid (``.``,
``*``, ``>``, spaces, any Unicode), so each room gets a *token*: the id itself
when it is plain, else ``=`` and its UTF-8 bytes in hex. ``=`` is not a plain
character, so the two forms never collide, and the token maps back to the id.

>>> token("room-1"), token("直播.1")
('room-1', '=e79bb4e692ad2e31')
>>> room_of(token("直播.1"))
'直播.1'
>>> subject("ev", "room-1")
'livemon.ev.room-1'
"""

from __future__ import annotations

import re

PREFIX = "livemon"
STREAM = "LIVEMON"  # the one stream of validated frames, per-room subjects
OWNERS = "livemon_owners"  # room token -> the hub that folds it (a lease with a TTL)
HUBS = "livemon_hubs"  # hub key -> what it serves (refreshed while it lives)
SEQS = "livemon_seqs"  # adapter token -> highest seq stored (welcome.acked_seq)
COMMANDS = "livemon_commands"  # command id -> its result, so it is carried out once

_PLAIN = re.compile(r"[A-Za-z0-9_-]{1,64}")

# Headers of a frame message on the stream.
ADAPTER = "Livemon-Adapter"
WALL = "Livemon-Wall"  # the ingesting hub's clock (future-ts check decides alike on rebuild)
KIND = "Livemon-Kind"  # "command" for a carried-out command record; absent for events
MSG_ID = "Nats-Msg-Id"


def token(name: str) -> str:
    """A subject- and key-safe token for a room id or an adapter name (reversible)."""
    return name if _PLAIN.fullmatch(name) else "=" + name.encode().hex()


def room_of(tok: str) -> str:
    """The room id a ``token`` stands for."""
    return bytes.fromhex(tok[1:]).decode() if tok.startswith("=") else tok


def subject(kind: str, room: str) -> str:
    """``livemon.<kind>.<token>``: kinds ``ev`` (stream), ``snap``, ``cmt``, ``alert``
    (owner -> every hub), ``cmd`` (-> the room's adapter), ``own`` (-> the room's owner)."""
    return f"{PREFIX}.{kind}.{token(room)}"


def room_of_subject(subj: str) -> str:
    """The room of a ``subject``."""
    return room_of(subj.split(".", 2)[2])


def frame_id(adapter: str, seq: int, room: str) -> str:
    """The message id of frame ``seq`` of ``adapter`` on ``room``'s subject: a resend of
    the same frame has the same id, and JetStream stores it once."""
    return f"{token(adapter)}:{seq}:{token(room)}"
