"""The append-only session log: length-prefixed, CRC-checked MessagePack records.

File layout: an 8-byte magic, then records of ``<u32 length><u32 crc32>``
followed by ``length`` bytes of payload. A record whose length runs past the
end of the file or whose CRC does not match is a torn tail (the writer died
mid-write): ``LogWriter`` cuts it off when it opens the file.
"""

from __future__ import annotations

import contextlib
import mmap
import os
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgspec

from livemon.record.private import private_dir, private_opener

MAGIC = b"LMREC\x01\r\n"
HEADER = struct.Struct("<II")

# From this frame size on, an EVENTS record is queued in parts (LogWriter.append): a copy
# of the frame costs more than the parts' two small encodes (~1 us) only past ~32 KB.
PARTS_MIN = 32 * 1024

# Record kinds: the first item of every payload array.
EVENTS = 0  # [EVENTS, adapter name, first seq, event count, frame bytes(, hub clock)]
COMMAND = 1  # [COMMAND, command map, result map]
ACKED = 2  # [ACKED, {adapter name: seq}] in a session's acked file (``Recorder.commit``)

_encode = msgspec.msgpack.Encoder().encode
_decode = msgspec.msgpack.Decoder().decode


class LogCorrupt(Exception):
    """The file is not a livemon log at all (wrong magic)."""


def scan(path: Path) -> tuple[list[tuple[int, list[Any]]], int]:
    """Every whole record as ``(offset, payload)`` and the offset where whole records end."""
    data = path.read_bytes()
    if not data.startswith(MAGIC):
        if len(data) < len(MAGIC) and MAGIC.startswith(data):
            return [], 0
        raise LogCorrupt(f"{path} is not a livemon recording (bad magic)")
    records, pos, end = [], len(MAGIC), len(data)
    while pos + HEADER.size <= end:
        length, crc = HEADER.unpack_from(data, pos)
        start = pos + HEADER.size
        if start + length > end:
            break
        payload = data[start : start + length]
        if zlib.crc32(payload) != crc:
            break
        try:
            records.append((pos, _decode(payload)))
        except msgspec.DecodeError:
            break
        pos = start + length
    return records, pos


def frame_wall(record: list[Any]) -> float:
    """The hub's clock when it took an ``EVENTS`` record, if kept; else infinity.

    It is kept only when the hub rejected an event of the frame for a ts too
    far ahead of it; without it, no event of the frame was.

    >>> frame_wall([EVENTS, "a", 1, 1, b"", 1764000000.5]), frame_wall([EVENTS, "a", 1, 1, b""])
    (1764000000.5, inf)
    """
    wall = record[5] if len(record) > 5 else None
    return float("inf") if wall is None else wall


def frame_positions(record: list[Any]) -> list[int] | None:
    """The places in the adapter's frame of the events of a room's share of it, or None
    when the record holds the whole frame.

    >>> frame_positions([EVENTS, "a", 1, 9, b"", None, [0, 4]]), frame_positions([EVENTS])
    ([0, 4], None)
    """
    return record[6] if len(record) > 6 else None


def read(path: Path, start: int = 0) -> Iterator[tuple[int, list[Any]]]:
    """The whole records of a log, in order, as ``(offset, payload)``, from byte ``start`` on.

    Records are decoded one at a time from a memory map, so a seek into a
    long recording reads only what it folds. ``start`` must be the offset of
    a record (0 means the first). Reading stops at a torn tail.
    """
    with open(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        if size < len(MAGIC):
            if MAGIC.startswith(f.read()):
                return
            raise LogCorrupt(f"{path} is not a livemon recording (bad magic)")
        with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as data:
            if data[: len(MAGIC)] != MAGIC:
                raise LogCorrupt(f"{path} is not a livemon recording (bad magic)")
            pos = max(start, len(MAGIC))
            while pos + HEADER.size <= size:
                length, crc = HEADER.unpack_from(data, pos)
                begin = pos + HEADER.size
                if begin + length > size:
                    return
                payload = data[begin : begin + length]
                if zlib.crc32(payload) != crc:
                    return
                try:
                    record = _decode(payload)
                except msgspec.DecodeError:
                    return
                yield pos, record
                pos = begin + length


def events_parts(payload: list[Any]) -> tuple[bytes, bytes, bytes]:
    """An ``EVENTS`` record's MessagePack encoding as three parts: what comes before
    its frame (``payload[4]``), the frame's bytes themselves, and what comes after.

    Joined, they are ``_encode(payload)``: an array header (a record has fewer
    than 16 items), the four items before the frame, the frame as a MessagePack
    bin (a header with its length, then its bytes), then the items after it.

    >>> record = [EVENTS, "sim-1", 7, 2, b"frame", 1764000000.5]
    >>> b"".join(events_parts(record)) == _encode(record)
    True
    """
    frame = payload[4]
    size = len(frame)
    if size < 0x100:
        bin_header = b"\xc4" + size.to_bytes(1, "big")
    elif size < 0x10000:
        bin_header = b"\xc5" + size.to_bytes(2, "big")
    else:
        bin_header = b"\xc6" + size.to_bytes(4, "big")
    # _encode of a short list starts with its fixarray header (0x90 | length): the
    # first one is swapped for the whole record's, the second one dropped.
    head = _encode(payload[:4])
    head = bytes((0x90 | len(payload),)) + head[1:] + bin_header
    return head, frame, _encode(payload[5:])[1:]


class LogWriter:
    """Appends records to one log file; ``write`` makes them durable.

    Opening an existing log truncates a torn tail, so that appends continue
    right after the last whole record. ``durable`` is the file size after the
    last write that reached the disk; a write or fsync that fails (a full
    disk) cuts the file back to it, so the bytes can be written again whole.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        private_dir(path.parent)
        self.truncated = 0
        if path.exists() and path.stat().st_size > 0:
            _, good = scan(path)
            size = path.stat().st_size
            if good < size:
                self.truncated = size - good
                with open(path, "r+b") as f:
                    f.truncate(good)
        # Unbuffered: writes go to the OS by os.write, so a failure is seen where it happens.
        self._file = open(path, "ab", buffering=0, opener=private_opener)  # noqa: SIM115
        self.durable = self._file.tell()
        # Queued bytes, in the pieces they came in, joined once by ``take``: a frame is
        # copied once on its way to the file, and into memory that the previous
        # tick's join freed (a fresh big buffer per record costs a page fault per 4 KB).
        # The magic is queued like a record: creating the file needs no disk space yet.
        self._pending: list[bytes] = [] if self.durable else [MAGIC]
        self._queued_from = self.durable  # where the queued bytes start in the file
        self.offset = self.durable + (0 if self.durable else len(MAGIC))  # the next record's place

    def append(self, payload: list[Any]) -> int:
        """Queue one record; return its offset in the file.

        An ``EVENTS`` record of a big frame (``PARTS_MIN`` bytes or more) is
        queued in parts around its frame (the bytes of ``_encode(payload)``,
        see ``events_parts``): the frame, most of a log's bytes, is not copied
        into an encoded body of its own, and the CRC runs over the parts in turn.
        """
        frame = payload[4] if 4 < len(payload) < 16 and payload[0] == EVENTS else None
        if isinstance(frame, bytes) and len(frame) >= PARTS_MIN:
            head, frame, tail = events_parts(payload)
            length = len(head) + len(frame) + len(tail)
            crc = zlib.crc32(tail, zlib.crc32(frame, zlib.crc32(head)))
            self._pending += (HEADER.pack(length, crc) + head, frame, tail)
        else:
            body = _encode(payload)
            length = len(body)
            self._pending.append(HEADER.pack(length, zlib.crc32(body)) + body)
        at = self.offset
        self.offset += HEADER.size + length
        return at

    def take(self) -> bytes:
        """Hand over the queued records for ``write``; new appends queue afresh.

        Call it on the thread that appends: the bytes can then be written on
        another thread while appends go on. Bytes whose write failed go back
        with ``restore``.
        """
        data = b"".join(self._pending)
        self._pending = []
        self._queued_from = self.offset
        return data

    def restore(self, data: bytes) -> None:
        """Queue again, ahead of newer appends, bytes from ``take`` that ``write`` could not
        write (on the appending thread)."""
        self._pending.insert(0, data)
        self._queued_from -= len(data)

    @property
    def pending(self) -> int:
        """Bytes queued and not yet handed to ``write``."""
        return self.offset - self._queued_from

    def write(self, data: bytes, sync: bool = True) -> None:
        """Write bytes from ``take`` to the file and, with ``sync``, to the disk.

        Raises ``OSError`` if the write or the fsync fails (ENOSPC, EIO); the
        file is then cut back to ``durable`` as far as the OS lets it, and
        the next ``write`` cuts it again before writing, so a retry of the
        same bytes never leaves a torn record in the middle of the log.
        """
        if not data:
            return
        self.put(data)
        if sync:
            self.sync(len(data))
        else:
            self.durable += len(data)

    def put(self, data: bytes) -> None:
        """Write ``data`` after the durable bytes, without syncing; ``durable`` stays.

        The bytes count as durable only after ``sync``. Raises ``OSError`` with
        the file cut back to ``durable``.
        """
        fd = self._file.fileno()
        try:
            if os.fstat(fd).st_size != self.durable:
                os.ftruncate(fd, self.durable)  # bytes of a failed write, never acked
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
        except OSError:
            self.cut_back()
            raise

    def sync(self, size: int) -> None:
        """fsync the ``size`` bytes ``put`` wrote; then they are durable.

        Raises ``OSError`` with the file cut back to ``durable``.
        """
        try:
            os.fsync(self._file.fileno())
        except OSError:
            self.cut_back()
            raise
        self.durable += size

    def cut_back(self) -> None:
        """Cut the file back to its durable bytes, as far as the OS lets it."""
        with contextlib.suppress(OSError):
            os.ftruncate(self._file.fileno(), self.durable)

    def fileno(self) -> int:
        """The file descriptor of the log."""
        return self._file.fileno()

    def flush(self, sync: bool = True) -> None:
        """Write every queued record now; on ``OSError`` they stay queued."""
        data = self.take()
        try:
            self.write(data, sync)
        except OSError:
            self.restore(data)
            raise

    def close(self) -> None:
        """Flush and close the file (closed even if the flush fails)."""
        try:
            self.flush()
        finally:
            self._file.close()
