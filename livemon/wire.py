"""The wire format of docs/protocol.md: one MessagePack map with an ``op`` per binary frame.

Pure functions, no I/O. Frames of adapter events take a fast path (one typed
decode of the whole batch); a batch holding a bad event falls back to decoding
event by event, so the bad one is rejected alone.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec

from livemon.events import AnyEvent, Event, EventError, decode_event

VERSION = 1
MAX_FRAME = 4 * 1024 * 1024
MAX_BATCH = 10_000
DEFAULT_PORT = 8765
PATHS = ("/ingest", "/watch", "/control")

CLOSE_NORMAL = 1000
CLOSE_GOING_AWAY = 1001  # the hub is stopping: reconnect to it or the next hub
CLOSE_PROTOCOL = 1002
CLOSE_POLICY = 1008
CLOSE_TOO_BIG = 1009
CLOSE_HUB_ERROR = 1011
CLOSE_TRY_LATER = 1013  # a limit (consoles per hub or per token) is reached: retry later


class ProtocolError(Exception):
    """A frame that breaks the protocol: the connection closes with ``code``."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


# The last seq of a batch stays below 2**53: acks carry it exactly to any client.
MAX_SEQ = 2**53 - 1 - MAX_BATCH
Seq = Annotated[int, msgspec.Meta(ge=1, le=MAX_SEQ)]


class _Batch(msgspec.Struct, gc=False):
    op: Literal["events"]
    seq: Seq
    events: list[AnyEvent]


class _RawBatch(msgspec.Struct, gc=False):
    op: Literal["events"]
    seq: Seq
    events: list[msgspec.Raw]


_batch_decoder = msgspec.msgpack.Decoder(_Batch)
_raw_batch_decoder = msgspec.msgpack.Decoder(_RawBatch)
_any_decoder = msgspec.msgpack.Decoder()
_encoder = msgspec.msgpack.Encoder()


# Nesting past the decoder's depth limit (Python's recursion limit, about 1,000
# levels) raises RecursionError; no valid message nests more than 4 levels.
TOO_DEEP = "frame nests arrays or maps too deeply (a valid message nests at most 4 levels)"


def encode(message: dict[str, Any]) -> bytes:
    """One message as frame bytes."""
    return _encoder.encode(message)


def decode(data: bytes | str) -> dict[str, Any]:
    """Any message as a dict, or ``ProtocolError(1002)`` saying what is wrong with it."""
    if isinstance(data, str):
        raise ProtocolError(CLOSE_PROTOCOL, "text frames are not allowed: send binary MessagePack")
    try:
        message = _any_decoder.decode(data)
    except msgspec.DecodeError:
        raise ProtocolError(CLOSE_PROTOCOL, "frame is not valid MessagePack") from None
    except RecursionError:
        raise ProtocolError(CLOSE_PROTOCOL, TOO_DEEP) from None
    if not isinstance(message, dict):
        raise ProtocolError(CLOSE_PROTOCOL, "frame must be a MessagePack map")
    if not isinstance(message.get("op"), str):
        raise ProtocolError(CLOSE_PROTOCOL, "frame has no string key 'op'")
    return message


def decode_batch(data: bytes | str) -> tuple[int, list[Event | EventError], bool] | None:
    """An ``events`` frame as ``(seq, events, clean)``; ``None`` if the frame is another op.

    ``clean`` is True when every event is valid.

    A bad event stands in the list as an ``EventError`` at its place, so its
    seq is known; the other events are kept. A frame that is not a valid
    ``events`` frame raises ``ProtocolError``.
    """
    if isinstance(data, bytes):
        try:
            batch = _batch_decoder.decode(data)
        except msgspec.DecodeError:
            pass
        except RecursionError:
            raise ProtocolError(CLOSE_PROTOCOL, TOO_DEEP) from None
        else:
            if len(batch.events) > MAX_BATCH:
                raise ProtocolError(CLOSE_TOO_BIG, f"batch of {len(batch.events)}: max 10000")
            return batch.seq, batch.events, True  # type: ignore[return-value]
    message = decode(data)
    if message["op"] != "events":
        return None
    seq, events = message.get("seq"), message.get("events")
    if not isinstance(seq, int) or isinstance(seq, bool) or not 1 <= seq <= MAX_SEQ:
        raise ProtocolError(CLOSE_PROTOCOL, f"events.seq must be an int from 1 to {MAX_SEQ:,}")
    if not isinstance(events, list):
        raise ProtocolError(CLOSE_PROTOCOL, "events.events must be a list")
    if len(events) > MAX_BATCH:
        raise ProtocolError(CLOSE_TOO_BIG, f"batch of {len(events)} events: max {MAX_BATCH}")
    raw = _raw_batch_decoder.decode(data).events
    out: list[Event | EventError] = []
    for item in raw:
        try:
            out.append(decode_event(item))
        except EventError as exc:
            out.append(exc)
    return seq, out, False


def encode_batch(seq: int, events: list[dict[str, Any]]) -> bytes:
    """An ``events`` frame from event maps (adapters)."""
    return _encoder.encode({"op": "events", "seq": seq, "events": events})
