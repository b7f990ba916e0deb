"""Whether the hub's recording reaches the disk: one state, told once when it changes.

A full disk (or any failing write, fsync or catalog commit) must not stop
the hub: it keeps what it could not write, acknowledges nothing past the
last durable record and tries again every tick. This module only keeps the
state and says it in the log once per outage, not a traceback per tick.
"""

from __future__ import annotations

import logging
import time

log = logging.getLogger("livemon.hub")


class DiskHealth:
    """The recording's write state: ``failing`` from the first failure to the next success.

    >>> health = DiskHealth("recordings")
    >>> health.update(OSError(28, "No space left on device"), pending=10)
    'failed'
    >>> health.update(OSError(28, "No space left on device"), pending=20)  # still down: quiet
    >>> health.failing, health.update(None, pending=0), health.failing
    (True, 'recovered', False)
    """

    def __init__(self, where: str) -> None:
        self.where = where
        self.failing = False
        self.error = ""
        self.since_wall = 0.0

    def update(self, error: BaseException | None, pending: int) -> str | None:
        """Take the outcome of one write tick; return ``'failed'`` or ``'recovered'`` on a
        change (logged once), else None."""
        if error is not None:
            self.error = describe(error)
            if self.failing:
                return None
            self.failing, self.since_wall = True, time.time()
            log.error(
                "cannot write the recording in %s: %s. The hub keeps serving, holds what it "
                "could not write in memory (%d bytes now), acknowledges nothing past the last "
                "durable record and retries every tick: free space there and it resumes by "
                "itself.", self.where, self.error, pending,
            )  # fmt: skip
            return "failed"
        if not self.failing:
            return None
        self.failing = False
        log.warning(
            "the recording in %s is written again after %.0f s; everything held was written",
            self.where, time.time() - self.since_wall,
        )  # fmt: skip
        return "recovered"

    def detail(self) -> str:
        """One line for the ``disk`` alert."""
        return f"cannot write the recording in {self.where}: {self.error}; free disk space"


def describe(error: BaseException) -> str:
    """A short reason: the OS's words for an ``OSError``, else the exception's text."""
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    return str(error) or type(error).__name__
