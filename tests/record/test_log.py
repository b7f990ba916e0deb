"""`livemon.record.log`: CRC-framed records, torn tails cut on open, bad magic refused."""

from __future__ import annotations

import zlib
from pathlib import Path

import msgspec
import pytest

from livemon.record import log

RECORDS = [
    [log.EVENTS, "sim-1", 1, 3, b"\x93\x01\x02\x03"],
    [log.COMMAND, {"id": "c1", "action": "mark", "args": {"label": "开场"}}, {"ok": True}],
    [log.EVENTS, "sim-1", 4, 1, b"x" * 5000],
]


def write(path: Path, records: list) -> list[int]:
    writer = log.LogWriter(path)
    offsets = [writer.append(r) for r in records]
    writer.close()
    return offsets


def payloads(path: Path) -> list:
    return [payload for _, payload in log.read(path)]


def test_round_trip(tmp_path):
    """Records read back equal, in order, at the offsets ``append`` returned."""
    path = tmp_path / "s.lmrec"
    offsets = write(path, RECORDS)
    assert list(log.read(path)) == list(zip(offsets, RECORDS, strict=True))
    assert path.read_bytes().startswith(log.MAGIC)


@pytest.mark.parametrize("size", [0, 255, 256, 65_535, 65_536, 300_000])
@pytest.mark.parametrize("after", [[], [1764000000.5], [None, [0, 4]], [1.5, [2, 3]]])
def test_an_events_record_is_the_bytes_of_its_whole_encoding(tmp_path, size, after):
    """An ``EVENTS`` record, queued in parts around its frame, is byte for byte the
    record of the whole payload encoded at once (what older builds wrote)."""
    record = [log.EVENTS, "sim-1", 2**40, 1000, bytes(range(256)) * (size // 256)
              + b"z" * (size % 256), *after]  # fmt: skip
    body = msgspec.msgpack.encode(record)
    assert b"".join(log.events_parts(record)) == body
    writer = log.LogWriter(tmp_path / "s.lmrec")
    writer.append(record)
    assert writer.take() == log.MAGIC + log.HEADER.pack(len(body), zlib.crc32(body)) + body


def test_nothing_is_written_before_flush(tmp_path):
    """Appended records reach the file on ``flush``, not before."""
    path = tmp_path / "s.lmrec"
    writer = log.LogWriter(path)
    writer.append(RECORDS[0])
    assert payloads(path) == []
    writer.flush(sync=False)
    assert payloads(path) == RECORDS[:1]
    writer.close()


def test_reopen_appends_after_the_last_record(tmp_path):
    """Opening an existing whole log appends after its records, keeping them."""
    path = tmp_path / "s.lmrec"
    write(path, RECORDS[:2])
    write(path, RECORDS[2:])
    assert payloads(path) == RECORDS


@pytest.mark.parametrize("cut", [1, 5, 8, 20])
def test_truncated_tail_is_cut_on_open_and_appends_continue(tmp_path, cut):
    """A last record cut short (in its header or its payload) is cut off; new records follow."""
    path = tmp_path / "s.lmrec"
    write(path, RECORDS)
    whole = path.read_bytes()
    path.write_bytes(whole[:-cut] if cut < 20 else whole[: len(whole) - 5000 - 4])
    assert payloads(path) == RECORDS[:2]
    writer = log.LogWriter(path)
    assert writer.truncated > 0
    writer.append(["after"])
    writer.close()
    assert payloads(path) == [*RECORDS[:2], ["after"]]


def test_flipped_byte_in_last_record_is_cut_on_open(tmp_path):
    """A last record whose bytes do not match its CRC is a torn tail: cut off on open."""
    path = tmp_path / "s.lmrec"
    offsets = write(path, RECORDS)
    data = bytearray(path.read_bytes())
    data[offsets[2] + log.HEADER.size + 100] ^= 0xFF
    path.write_bytes(bytes(data))
    assert payloads(path) == RECORDS[:2]
    writer = log.LogWriter(path)
    assert writer.truncated == len(data) - offsets[2]
    assert writer.offset == offsets[2]
    writer.append(RECORDS[2])
    writer.close()
    assert list(log.read(path)) == list(zip(offsets, RECORDS, strict=True))


def test_half_written_magic_is_an_empty_log(tmp_path):
    """A file holding only the start of the magic (a crash at creation) opens as empty."""
    path = tmp_path / "s.lmrec"
    path.write_bytes(log.MAGIC[:3])
    assert payloads(path) == []
    write(path, RECORDS[:1])
    assert payloads(path) == RECORDS[:1]


def test_bad_magic_raises_log_corrupt(tmp_path):
    """A file that is not a livemon log raises LogCorrupt on read and on open, untouched."""
    path = tmp_path / "notes.lmrec"
    path.write_bytes(b"PK\x03\x04 this is a zip file, not a recording")
    before = path.read_bytes()
    with pytest.raises(log.LogCorrupt):
        list(log.read(path))
    with pytest.raises(log.LogCorrupt):
        log.LogWriter(path)
    assert path.read_bytes() == before


def test_failed_write_is_cut_back_and_written_whole_on_retry(tmp_path, monkeypatch):
    """A write that fails half-way (ENOSPC) leaves no bytes past the last durable record, and
    the same bytes, restored, are written whole by the next flush."""
    import errno
    import os

    path = tmp_path / "s.lmrec"
    writer = log.LogWriter(path)
    writer.append(RECORDS[0])
    writer.flush()
    durable = path.stat().st_size
    real = os.write

    def half_then_full(fd, data):
        real(fd, bytes(data[: len(data) // 2]))
        raise OSError(errno.ENOSPC, "No space left on device")

    writer.append(RECORDS[2])
    monkeypatch.setattr(os, "write", half_then_full)
    with pytest.raises(OSError):
        writer.flush()
    assert path.stat().st_size == durable == writer.durable
    assert writer.pending > 0, "the bytes are kept"
    monkeypatch.setattr(os, "write", real)
    writer.append(RECORDS[1])
    writer.close()
    assert payloads(path) == [RECORDS[0], RECORDS[2], RECORDS[1]]
