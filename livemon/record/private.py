"""Recordings hold buyer ids and comments: their files are 0600 in 0700 folders.

Modes are set explicitly (not left to the umask), and files made by an older
livemon are tightened when they are opened again.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

DIR_MODE = 0o700
FILE_MODE = 0o600

log = logging.getLogger("livemon.record")


def private_dir(path: Path) -> Path:
    """Create ``path`` (and its parents) if missing, and make ``path`` itself 0700."""
    path.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
    _tighten(path, DIR_MODE)
    return path


def private_opener(path: str | os.PathLike, flags: int) -> int:
    """An ``open(..., opener=)`` that creates the file 0600 and tightens an existing one."""
    fd = os.open(path, flags, FILE_MODE)
    try:
        if os.fstat(fd).st_mode & 0o777 != FILE_MODE:
            os.fchmod(fd, FILE_MODE)
    except OSError as exc:  # not ours to change: say so, keep recording
        log.warning("cannot make %s private (%s): chmod 600 it", path, exc.strerror)
    return fd


def private_file(path: Path) -> Path:
    """Create ``path`` empty if missing (0600), or make an existing one 0600."""
    os.close(private_opener(path, os.O_RDWR | os.O_CREAT))
    return path


def _tighten(path: Path, mode: int) -> None:
    try:
        if path.stat().st_mode & 0o777 != mode:
            os.chmod(path, mode)
    except OSError as exc:
        log.warning("cannot make %s private (%s): chmod %o it", path, exc.strerror, mode)
