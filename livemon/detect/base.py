"""What every detector shares: public hyper-parameters, ``update()``, read-only state.

A detector is pure: it sees numbers (and the second of event time they
belong to), never sockets or the wall clock, so the same inputs give the same
alarms live and on replay. Each ``update`` is O(1).

Detectors come in three families, each with one ``observe`` shape that the
monitor calls, and each detector module owns the words of its alerts
(``detail``) and its suggested action (``suggest``):

- ``second``: once per closed second of event time, ``observe(second)`` with
  a ``Second`` (conversion_drop, viewer_drop, comment_surge, tech_issue,
  user rules, and any new per-second detector: subclass ``SecondDetector``
  and add it to ``DETECTORS``);
- ``stock``: on every stock change of a product (orders, ``stock`` and
  ``product`` events), ``observe(product, state, qty, before)``
  (stock_out, stock_low, oversell);
- ``clock``: on the wall clock, ``observe(now, last_frame, connected, live)``
  (adapter_down, the only alert that is not replayed).
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import msgspec

if TYPE_CHECKING:
    from livemon.config import Section
    from livemon.engine.room import RoomState
    from livemon.engine.window import KeyCounts, Rolling

Severity = Literal["warn", "crit"]
Suggestion = dict[str, Any] | None


@cache
def init_names(cls: Any) -> tuple[str, ...]:
    """The hyper-parameters ``cls.__init__`` takes, in order (read once per class: every
    new room builds its detectors, and ``inspect.signature`` costs more than that)."""
    return tuple(inspect.signature(cls).parameters)


def settings_for(cls: type, cfg: Section) -> dict[str, Any]:
    """The settings of config section ``cfg`` that ``cls`` takes as hyper-parameters."""
    names = init_names(cls)
    return {k: v for k, v in msgspec.structs.asdict(cfg).items() if k in names}


@dataclass(slots=True)
class Second:
    """Everything one closed second brings the per-second detectors (the family's one input).

    ``opened`` maps an alert kind to ``(since, evidence)`` of its newest
    opening in this room, so one detector can name another's alert as a cause.
    ``levels`` is the room's online level per second (the engine's
    ``viewer_s`` window), when the caller has it: a detector reads past levels
    there instead of keeping its own copy. ``targets`` are the room's target
    projections (its ``TargetTracker.snapshot()``), when it has targets.
    """

    sec: int
    orders: int
    viewer_s: float
    comments: int
    state: RoomState
    coupon_live: bool = False
    tags: KeyCounts | None = None
    questions: Sequence[str] = ()
    opened: dict[str, tuple[float, dict[str, float]]] = field(default_factory=dict)
    levels: Rolling | None = None
    targets: Sequence[dict[str, Any]] = ()

    @property
    def ts(self) -> float:
        """Event time at the end of this second: the data an alert raised now has used."""
        return float(self.sec + 1)


class Detector:
    """Base class: ``alarm``, ``severity``, ``onset`` and ``evidence`` are read-only properties.

    Subclasses keep their hyper-parameters as public attributes named like the
    ``__init__`` arguments (so ``clone()`` and ``repr`` work, as in river) and
    their state in underscored attributes.
    """

    _alarm: bool = False
    _severity: Severity | None = None
    _onset: float | None = None

    def _params(self) -> dict[str, Any]:
        cls: Any = type(self)  # (a class is hashable; mypy reads Detector's __hash__ as unbound)
        return {name: getattr(self, name) for name in init_names(cls)}

    def clone(self) -> Detector:
        """A fresh detector with the same hyper-parameters and no state."""
        return type(self)(**self._params())

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self._params().items())
        return f"{type(self).__name__}({args})"

    @property
    def alarm(self) -> bool:
        """True while the condition holds (after hysteresis)."""
        return self._alarm

    @property
    def severity(self) -> Severity | None:
        """``"warn"`` or ``"crit"`` while alarmed, else None."""
        return self._severity if self._alarm else None

    @property
    def onset(self) -> float | None:
        """The detector's estimate of when the trouble began (event time), if it has one."""
        return self._onset if self._alarm else None

    @property
    def evidence(self) -> dict[str, float]:
        """The numbers behind the current state."""
        return {}


class SecondDetector(Detector):
    """A detector of the ``second`` family: ``observe(second)`` once per closed second."""

    family: ClassVar[str] = "second"
    kind: ClassVar[str] = ""

    def observe(self, second: Second) -> None:
        """Take one closed second."""
        raise NotImplementedError

    def detail(self, second: Second) -> str:
        """The alert's one line for a person, naming the numbers that raised it."""
        raise NotImplementedError

    def suggest(self, second: Second) -> Suggestion:
        """The action that answers this alert, or None."""
        return None

    def context(self, second: Second) -> dict[str, float]:
        """Numbers beyond ``evidence`` that the alert carries (a cause's), none by default."""
        return {}


class StockDetector(Detector):
    """A detector of the ``stock`` family: ``observe(product, state, qty, before)`` per change.

    ``qty`` is the units of the order that changed the stock (0 for a
    ``stock`` or ``product`` event) and ``before`` the known stock before it.
    """

    family: ClassVar[str] = "stock"
    kind: ClassVar[str] = ""

    def observe(self, product: Any, state: RoomState, qty: int = 0,
                before: int | None = None) -> None:  # fmt: skip
        """Take one stock change of ``product``."""
        raise NotImplementedError

    def detail(self, product: Any, state: RoomState) -> str:
        """The alert's one line for a person."""
        raise NotImplementedError

    def suggest(self, product: Any, state: RoomState) -> Suggestion:
        """The action that answers this alert, or None."""
        return None


class ClockDetector(Detector):
    """A detector of the ``clock`` family: ``observe(now, last_frame, connected, live)``."""

    family: ClassVar[str] = "clock"
    kind: ClassVar[str] = ""

    def observe(self, now: float, last_frame: float, connected: bool, live: bool) -> None:
        """Take the wall clock now and what the hub knows of the room's feed."""
        raise NotImplementedError

    def detail(self, why: str = "") -> str:
        """The alert's one line for a person."""
        raise NotImplementedError


FAMILY_SHAPES: dict[str, tuple[str, ...]] = {
    "second": ("second",),
    "stock": ("product", "state", "qty", "before"),
    "clock": ("now", "last_frame", "connected", "live"),
}
