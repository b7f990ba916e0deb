"""Bilibili live danmaku packets: the 16-byte header, operations and compressed bodies.

Every websocket frame holds one or more packets, each a big-endian header

    length u32 | header length u16 (16) | protover u16 | operation u32 | sequence u32

then its body. protover 0 is a JSON body, 1 a 4-byte integer (the heart-beat
reply's popularity), 2 a zlib body and 3 a brotli body, each of which holds
further packets.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

HEADER = struct.Struct(">IHHII")
HEADER_LEN = HEADER.size  # 16

# Operations
HEARTBEAT, HEARTBEAT_REPLY, MESSAGE, AUTH, AUTH_REPLY = 2, 3, 5, 7, 8
# Body versions
JSON, INT, ZLIB, BROTLI = 0, 1, 2, 3

MAX_DEPTH = 2  # a compressed body holds plain packets; deeper nesting is malformed


class PacketError(ValueError):
    """Bytes that are not well-formed packets; the message says what is wrong."""


@dataclass(frozen=True)
class Packet:
    op: int
    body: bytes


def encode(op: int, body: bytes = b"", ver: int = INT, seq: int = 1) -> bytes:
    """One packet.

    >>> encode(HEARTBEAT, b"[object Object]").hex()[:32]
    '0000001f001000010000000200000001'
    """
    return HEADER.pack(HEADER_LEN + len(body), HEADER_LEN, ver, op, seq) + body


def brotli_module():
    """The ``brotli`` package, or None when the optional extra is not installed."""
    try:
        import brotli
    except ImportError:
        return None
    return brotli


def decode(data: bytes, depth: int = 0) -> list[Packet]:
    """Every packet in ``data``, compressed bodies opened; ``PacketError`` if malformed.

    >>> [p.op for p in decode(encode(AUTH_REPLY, b'{"code":0}', JSON) * 2)]
    [8, 8]
    >>> decode(encode(MESSAGE, zlib.compress(encode(MESSAGE, b"{}", JSON)), ZLIB))
    [Packet(op=5, body=b'{}')]
    """
    out: list[Packet] = []
    at = 0
    while at < len(data):
        if len(data) - at < HEADER_LEN:
            raise PacketError(f"{len(data) - at} bytes left, less than a 16-byte header")
        length, header_len, ver, op, _ = HEADER.unpack_from(data, at)
        if header_len < HEADER_LEN or length < header_len or at + length > len(data):
            raise PacketError(f"packet length {length} / header {header_len} do not fit "
                              f"the {len(data) - at} bytes left")  # fmt: skip
        body = data[at + header_len : at + length]
        at += length
        if ver in (ZLIB, BROTLI):
            if depth >= MAX_DEPTH:
                raise PacketError("compressed packets nested too deep")
            out.extend(decode(_inflate(ver, body), depth + 1))
        else:
            out.append(Packet(op, body))
    return out


def _inflate(ver: int, body: bytes) -> bytes:
    if ver == ZLIB:
        try:
            return zlib.decompress(body)
        except zlib.error as exc:
            raise PacketError(f"a zlib body that does not inflate ({exc})") from None
    brotli = brotli_module()
    if brotli is None:
        raise PacketError("a brotli body, but the brotli package is missing: "
                          "pip install -e '.[bilibili]'")  # fmt: skip
    try:
        return brotli.decompress(body)
    except brotli.error as exc:
        raise PacketError(f"a brotli body that does not inflate ({exc})") from None
