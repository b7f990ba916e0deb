"""``TechIssueDetector``: several viewers report lag, no sound or a black screen."""

from __future__ import annotations

import math

from livemon.detect.base import Second, SecondDetector, Suggestion
from livemon.engine.tags import TECH_TAGS
from livemon.engine.window import KeyCounts


class TechIssueDetector(SecondDetector):
    """Alarms when several distinct users (and ``ratio`` x the usual) complain within a window.

    ``add(sec, user)`` takes one stream-trouble comment placed in second
    ``sec``; ``update(sec)`` closes that second. Only closed seconds count, so
    the alarm uses no data after its own second. Users are counted distinct
    over the last ``window_s`` seconds (a deque plus a per-user count: O(1)
    amortised). The usual number of such comments per window is an EWMA,
    frozen while alarmed, so a big room's background of "卡了" does not
    alarm on its own. ``crit`` from ``crit_users`` users; clears at
    ``clear_users`` or fewer.

    Parameters
    ----------
    window_s
        Length of the window, in seconds.
    min_users
        Distinct users needed to alarm.
    ratio
        Multiple of the usual count of such comments in a window also needed.
    crit_users
        Distinct users that make it ``crit``.
    clear_users
        Distinct users at or under which it clears.

    Examples
    --------
    >>> detector = TechIssueDetector()
    >>> detector.add(100, "u1"); detector.add(101, "u1"); detector.add(103, "u2")
    >>> for sec in range(100, 106):
    ...     detector.update(sec)
    >>> detector.alarm, detector.evidence["users"]  # one user twice and another: not yet
    (False, 2.0)
    >>> detector.add(106, "u3"); detector.update(106)
    >>> detector.alarm, detector.severity, detector.onset
    (True, 'warn', 100.0)
    """

    kind = "tech_issue"

    def __init__(
        self,
        window_s: int = 30,
        min_users: int = 3,
        ratio: float = 4.0,
        crit_users: int = 10,
        clear_users: int = 1,
    ) -> None:
        self.window_s = window_s
        self.min_users = min_users
        self.ratio = ratio
        self.crit_users = crit_users
        self.clear_users = clear_users
        self._alpha = 1 - math.exp(-1 / 1800)
        self._pending: dict[int, list[str]] = {}
        self._users = KeyCounts(window_s)
        self._usual = 0.0  # such comments per second, EWMA

    @property
    def users(self) -> int:
        """Distinct users complaining in the window."""
        return len(self._users)

    @property
    def evidence(self) -> dict[str, float]:
        return {"users": float(len(self._users)), "comments": float(len(self._users.entries)),
                "usual_per_window": self._usual * self.window_s}  # fmt: skip

    def add(self, sec: int, user: str) -> None:
        """Take one stream-trouble comment by ``user`` placed in second ``sec``."""
        self._pending.setdefault(sec, []).append(user)

    def update(self, sec: int) -> None:
        """Close second ``sec``: its comments enter the window, the oldest leave."""
        arrived = self._pending.pop(sec, ())
        users = self._users
        for user in arrived:
            users.add(sec, user)
        entries = users.entries
        if entries and entries[0][0] <= sec - users.span:
            users.expire(sec)  # only when a complaint leaves the window
        n = len(users.counts)  # distinct users (``len(users)`` without the method call)
        if self._alarm:
            if n <= self.clear_users:
                self._alarm = False
            elif n >= self.crit_users:
                self._severity = "crit"
            return
        if n >= self.min_users and n >= self.ratio * self._usual * self.window_s:
            self._alarm = True
            self._onset = float(users.entries[0][0])
            self._severity = "crit" if n >= self.crit_users else "warn"
            return
        self._usual += self._alpha * (len(arrived) - self._usual)

    def observe(self, second: Second) -> None:
        """Close one second (the complaints were ``add``-ed as their comments were tagged)."""
        self.step(second.sec)

    def step(self, sec: int) -> bool:
        """``observe`` with the second at hand (the monitor's call); return ``alarm``."""
        if not self._pending and not self._users.entries and not self._alarm:
            # The usual second: no complaint in the window nor arriving, so
            # only the usual count decays (as ``update`` would do it).
            usual = self._usual
            self._usual = usual + self._alpha * (0.0 - usual)
            return False
        self.update(sec)
        return self._alarm

    def detail(self, second: Second) -> str:
        """How many distinct viewers complain, and of what."""
        counts = second.tags.counts if second.tags is not None else {}
        said = ", ".join(f"{t} {n}" for t, n in counts.items() if t in TECH_TAGS)
        return f"{self.users} viewers report stream trouble ({said}): check the stream"

    def suggest(self, second: Second) -> Suggestion:
        """A bookmark in the recording, to find the trouble when reviewing."""
        return {"action": "mark", "args": {"label": "stream trouble reported: check the stream"}}
