"""What every detector shares: public hyper-parameters, ``update()``, read-only state.

A detector is pure: it sees numbers (and the second of event time they
belong to), never sockets or the wall clock, so the same inputs give the same
alarms live and on replay. Each ``update`` is O(1).
"""

from __future__ import annotations

import inspect
from typing import Any, Literal

Severity = Literal["warn", "crit"]


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
        names = inspect.signature(type(self).__init__).parameters
        return {name: getattr(self, name) for name in names if name != "self"}

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
