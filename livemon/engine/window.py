"""Trailing event-time windows kept in per-second buckets."""

from __future__ import annotations

from collections import deque


class Rolling:
    """Sum of values over the trailing ``span`` seconds of event time.

    Values go into the bucket of their second; moving the newest second
    forward evicts what leaves the window, so a read is O(1) and memory is
    ``span`` numbers whatever the session length.

    >>> w = Rolling(span=3)
    >>> w.advance(10); w.add(10, 2); w.advance(11); w.add(11, 5)
    >>> w.total, w.at(10)
    (7, 2)
    >>> w.advance(13)  # second 10 leaves the 3-second window
    >>> w.total
    5
    """

    __slots__ = ("span", "buckets", "total", "newest")

    def __init__(self, span: int = 60) -> None:
        self.span = span
        self.buckets: list[int] = [0] * span
        self.total = 0
        self.newest: int | None = None

    def advance(self, sec: int) -> None:
        """Make ``sec`` the newest second; seconds older than the window are dropped."""
        newest = self.newest
        if newest is None or sec >= newest + self.span:
            self.buckets = [0] * self.span
            self.total = 0
        elif sec == newest + 1:  # the usual step: one second leaves
            i = sec % self.span
            self.total -= self.buckets[i]
            self.buckets[i] = 0
        elif sec > newest:
            # The seconds newest+1..sec leave as one or two slices of the ring (sum
            # and clear in C): a product's window moves many seconds at a time.
            buckets, span = self.buckets, self.span
            first, last = (newest + 1) % span, sec % span
            if first <= last:
                self.total -= sum(buckets[first : last + 1])
                buckets[first : last + 1] = [0] * (last + 1 - first)
            else:
                self.total -= sum(buckets[first:]) + sum(buckets[: last + 1])
                buckets[first:] = [0] * (span - first)
                buckets[: last + 1] = [0] * (last + 1)
        else:
            return
        self.newest = sec

    def add(self, sec: int, value: int) -> None:
        """Count ``value`` in second ``sec``, which must lie in the window."""
        self.buckets[sec % self.span] += value
        self.total += value

    def add_inside(self, sec: int, value: int) -> None:
        """Count ``value`` in second ``sec`` only if that second is still in the window."""
        newest = self.newest
        if newest is not None and newest - self.span < sec <= newest:
            self.buckets[sec % self.span] += value
            self.total += value

    def at(self, sec: int) -> int:
        """The value of second ``sec`` (0 outside the window)."""
        newest = self.newest
        if newest is None or sec > newest or sec <= newest - self.span:
            return 0
        return self.buckets[sec % self.span]

    def sum_at(self, sec: int) -> int:
        """The window total as of newest second ``sec`` (for lazily advanced windows)."""
        self.advance(sec)
        return self.total


class KeyCounts:
    """How many times each key was seen in the trailing ``span`` seconds of event time.

    >>> seen = KeyCounts(span=10)
    >>> seen.add(100, "u1"); seen.add(101, "u2"); seen.add(105, "u1")
    >>> seen.expire(110); dict(seen.counts), len(seen)
    ({'u1': 1, 'u2': 1}, 2)
    """

    __slots__ = ("span", "entries", "counts")

    def __init__(self, span: int) -> None:
        self.span = span
        self.entries: deque[tuple[int, str]] = deque()
        self.counts: dict[str, int] = {}

    def __len__(self) -> int:
        """Distinct keys in the window."""
        return len(self.counts)

    def add(self, sec: int, key: str) -> None:
        """Count ``key`` once in second ``sec`` (seconds come in order)."""
        self.entries.append((sec, key))
        self.counts[key] = self.counts.get(key, 0) + 1

    def expire(self, sec: int) -> None:
        """Forget what is older than the window ending at second ``sec``."""
        entries, counts = self.entries, self.counts
        cutoff = sec - self.span
        while entries and entries[0][0] <= cutoff:
            _, key = entries.popleft()
            left = counts[key] - 1
            if left:
                counts[key] = left
            else:
                del counts[key]
