"""Group commit: a tick with many logs fsyncs them on several threads at once, and nothing
counts as durable before its own fsync returned.

OS errors are injected where the logs meet the OS (``os.write`` and
``os.fsync``), as tests/hub/test_disk_full.py does for one log.
"""

from __future__ import annotations

import errno
import os
import threading
from pathlib import Path

from livemon.record import log
from livemon.record.recorder import GROUP_SYNC_MIN, Recorder

ROOMS = [f"room-{i}" for i in range(GROUP_SYNC_MIN + 4)]


def recorder_with_a_frame_per_room(tmp_path: Path, seq: int = 1) -> Recorder:
    """A recorder of more rooms than ``GROUP_SYNC_MIN``, one frame queued in each."""
    recorder = Recorder(tmp_path, "s1")
    for room in ROOMS:
        recorder.append_frame(room, "feed", seq, 1, b"frame-%d" % seq, 100 + seq, 100.0 + seq)
    return recorder


def frames(recorder: Recorder, room: str) -> list[bytes]:
    """The frame bytes in ``room``'s log file, in order."""
    return [rec[4] for _, rec in log.read(recorder.writers[room].path)]


def test_many_logs_are_fsynced_each_on_several_threads_at_once(tmp_path, monkeypatch) -> None:
    """Past ``GROUP_SYNC_MIN`` logs, every log is fsynced once, two at the same time at least
    (the first two fsyncs wait for each other: one after the other they would time out)."""
    recorder = recorder_with_a_frame_per_room(tmp_path)
    fds = {recorder.writers[room].fileno() for room in ROOMS}
    synced: list[int] = []
    together = threading.Barrier(2, timeout=10)
    lock = threading.Lock()
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        if fd in fds:
            with lock:
                synced.append(fd)
                first_two = len(synced) <= 2
            if first_two:
                together.wait()  # BrokenBarrierError unless a second thread comes in meanwhile
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    assert Recorder.write(recorder.take()) == []
    assert sorted(synced) == sorted(fds)
    for room in ROOMS:
        w = recorder.writers[room]
        assert w.durable == w.path.stat().st_size > len(log.MAGIC)
        assert frames(recorder, room) == [b"frame-1"]


def test_a_failed_fsync_in_a_group_keeps_only_that_logs_bytes(tmp_path, monkeypatch) -> None:
    """The log whose fsync fails is cut back to its durable bytes and keeps them for the
    retry; the other logs of the tick are durable."""
    bad = ROOMS[3]
    first = recorder_with_a_frame_per_room(tmp_path)
    first.close(end=False)
    before = {room: w.durable for room, w in first.writers.items()}
    recorder = recorder_with_a_frame_per_room(tmp_path, seq=2)  # reopens the same logs
    bad_fd = recorder.writers[bad].fileno()
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        if fd == bad_fd:
            raise OSError(errno.EIO, os.strerror(errno.EIO))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    failed = Recorder.write(recorder.take())
    assert [(w.path, e.errno) for w, _, e in failed] == [(recorder.writers[bad].path, errno.EIO)]
    bad_writer = recorder.writers[bad]
    assert bad_writer.durable == before[bad] == bad_writer.path.stat().st_size
    for room in ROOMS:
        if room != bad:
            assert frames(recorder, room) == [b"frame-1", b"frame-2"]
    Recorder.restore(failed)
    monkeypatch.setattr(os, "fsync", real_fsync)
    recorder.flush()  # the retry writes the kept bytes whole
    assert frames(recorder, bad) == [b"frame-1", b"frame-2"]


def test_a_full_disk_during_a_group_write_keeps_that_logs_bytes(tmp_path, monkeypatch) -> None:
    """A write that fails half-way (ENOSPC) in a group tick leaves that log at its durable
    bytes with its records kept; the rest of the group is synced and durable."""
    bad = ROOMS[5]
    recorder = recorder_with_a_frame_per_room(tmp_path)
    bad_fd = recorder.writers[bad].fileno()
    real = os.write

    def write(fd: int, data) -> int:
        if fd == bad_fd:
            real(fd, bytes(data[: len(data) // 2]))
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real(fd, data)

    monkeypatch.setattr(os, "write", write)
    failed = Recorder.write(recorder.take())
    assert [e.errno for _, _, e in failed] == [errno.ENOSPC]
    assert recorder.writers[bad].path.stat().st_size == recorder.writers[bad].durable == 0
    assert all(frames(recorder, r) == [b"frame-1"] for r in ROOMS if r != bad)
    Recorder.restore(failed)
    monkeypatch.setattr(os, "write", real)
    recorder.flush()
    assert frames(recorder, bad) == [b"frame-1"]
