"""The session plan of a room: targets, scheduled end and host schedule, and the `plan` command.

Every room starts from ``[session]`` in the config; the console's `plan`
command changes one room's plan (recorded like every command, so a replay
gets the same plan at the same point). The plan rides on the room's state
(``state.plan``), so keyframes carry it.
"""

from __future__ import annotations

from typing import Any

from livemon.config import BehindTargetConfig, SessionConfig
from livemon.detect.lifecycle import AlertBook
from livemon.detect.targets_watch import TargetWatch
from livemon.engine.room import RoomState
from livemon.engine.targets import TargetTracker


def check_plan(args: dict[str, Any]) -> str | None:
    """Why `plan` args cannot be used, or None.

    >>> check_plan({"targets": {"gmv_cents": 10_000_000, "units:A1": 50}, "duration_s": 7200,
    ...             "hosts": [{"name": "小美", "start_min": 0, "end_min": 60}]}) is None
    True
    >>> check_plan({"targets": {"likes": 5}})
    'args.targets: unknown target likes (gmv_cents, orders, units:<sku>)'
    >>> check_plan({"hosts": [{"name": "A", "start_min": 30, "end_min": 10}]})
    'args.hosts[0]: end_min must be after start_min'
    """
    targets = args.get("targets", {})
    if not isinstance(targets, dict):
        return "args.targets must be a map of target -> int"
    for key, value in targets.items():
        if key not in ("gmv_cents", "orders") and not (
            isinstance(key, str) and key.startswith("units:") and len(key) > 6
        ):
            return f"args.targets: unknown target {key} (gmv_cents, orders, units:<sku>)"
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            return f"args.targets.{key} must be an int >= 0"
    if "duration_s" in args:
        d = args["duration_s"]
        if not isinstance(d, int | float) or isinstance(d, bool) or not 0 < d <= 7 * 86400:
            return "args.duration_s must be seconds > 0 (at most a week)"
    hosts = args.get("hosts", [])
    if not isinstance(hosts, list):
        return "args.hosts must be a list of {name, start_min, end_min}"
    for i, slot in enumerate(hosts):
        if not isinstance(slot, dict) or not isinstance(slot.get("name"), str) or not slot["name"]:
            return f"args.hosts[{i}] needs a non-empty name"
        start, end = slot.get("start_min"), slot.get("end_min")
        if not all(isinstance(v, int | float) and not isinstance(v, bool) and v >= 0
                   for v in (start, end)):  # fmt: skip
            return f"args.hosts[{i}]: start_min and end_min must be minutes >= 0"
        if end <= start:  # type: ignore[operator]
            return f"args.hosts[{i}]: end_min must be after start_min"
    return None


class RoomPlan:
    """One room's plan and what follows it: target paces, `behind_target`, host schedule."""

    def __init__(self, state: RoomState, session: SessionConfig, book: AlertBook,
                 behind: BehindTargetConfig) -> None:  # fmt: skip
        self.state = state
        self.targets = {k: int(v) for k, v in session.targets.items()}
        self.duration_s = float(session.duration_s)
        self.hosts: list[dict[str, Any]] = [
            {"name": h.name, "start_min": h.start_min, "end_min": h.end_min} for h in session.hosts
        ]
        self.tracker = TargetTracker(state, self.targets, self.duration_s, wire=False)
        self.watch = TargetWatch(state, self.tracker, book, behind, wire=False)
        self.wired = False
        self.wire()
        self._schedule()

    def wire(self) -> None:
        """Listen to the room's closed seconds while there is a target (a room without
        targets pays nothing per second); again after a keyframe restore."""
        self.wired = bool(self.tracker.goals)
        if self.wired:
            self.tracker.wire()
            self.watch.wire()

    def _schedule(self) -> None:
        slots = [(60.0 * float(h["start_min"]), 60.0 * float(h["end_min"]), str(h["name"]))
                 for h in self.hosts]  # fmt: skip
        self.state.shifts.set_schedule(slots, self.state.clock)

    def apply(self, args: dict[str, Any]) -> str:
        """Take a checked `plan` command's args (keys left out stay as they were)."""
        if "targets" in args:
            self.targets = {k: int(v) for k, v in args["targets"].items()}
        if "duration_s" in args:
            self.duration_s = float(args["duration_s"])
        self.tracker.set_goals(self.targets, self.duration_s)
        if not self.wired:
            self.wire()
        if "hosts" in args:
            self.hosts = [dict(h) for h in args["hosts"]]
            self._schedule()
        goals = ", ".join(f"{k}={v}" for k, v in self.targets.items() if v) or "no targets"
        return f"plan: {goals}; end at {self.duration_s / 60:g} min; {len(self.hosts)} host slots"

    def as_dict(self) -> dict[str, Any]:
        """The plan as the snapshot's `plan` shows it."""
        return {"targets": dict(self.targets), "duration_s": self.duration_s,
                "hosts": [dict(h) for h in self.hosts]}  # fmt: skip
