"""The adapter contract: what a platform plugin implements.

An adapter turns one platform feed into protocol event maps (PROTOCOL.md,
"Events") and carries out the commands it declares in ``capabilities``. It
knows nothing of websockets or of the hub: the same object runs in-process
(embedded mode) or in its own process connected to ``/ingest``.
"""

from __future__ import annotations

import abc
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar


class CommandRefused(Exception):
    """The adapter cannot or will not carry out a command; the message says why."""


@dataclass(frozen=True)
class Option:
    """One adapter option: its type, default and a line of help.

    Values given as strings (``--set key=value``) are converted with ``kind``.
    """

    kind: type
    default: Any
    help: str

    def convert(self, name: str, value: Any) -> Any:
        """``value`` as ``kind``; a ``ValueError`` that names the option if it does not fit."""
        if isinstance(value, self.kind) and not (self.kind is int and isinstance(value, bool)):
            return value
        if isinstance(value, str):
            if self.kind is bool:
                if value.lower() in ("1", "true", "yes", "on"):
                    return True
                if value.lower() in ("0", "false", "no", "off"):
                    return False
            else:
                try:
                    return self.kind(value)
                except ValueError:
                    pass
        if self.kind is float and isinstance(value, int) and not isinstance(value, bool):
            return float(value)
        raise ValueError(f"option {name} must be {self.kind.__name__}, got {value!r}")


class Adapter(abc.ABC):
    """A platform feed for one room.

    Subclasses set ``name``, ``capabilities`` (the command actions they can
    carry out), ``options`` and implement :meth:`batches`; those with
    capabilities override :meth:`command`.
    """

    name: ClassVar[str]
    description: ClassVar[str] = ""
    capabilities: ClassVar[frozenset[str]] = frozenset()
    options: ClassVar[Mapping[str, Option]] = {}
    # Options for a short, self-contained run (the conformance suite uses
    # them); None for an adapter that needs a live platform to produce events.
    quick_options: ClassVar[Mapping[str, Any] | None] = None

    def __init__(self, room: str = "room-1", **options: Any) -> None:
        unknown = sorted(set(options) - set(self.options))
        if unknown:
            known = ", ".join(sorted(self.options)) or "none"
            raise ValueError(f"{self.name} has no option {unknown[0]!r} (options: {known})")
        self.room = room
        self.settings: dict[str, Any] = {
            key: opt.convert(key, options[key]) if key in options else opt.default
            for key, opt in self.options.items()
        }

    @abc.abstractmethod
    def batches(self) -> AsyncIterator[list[dict[str, Any]]]:
        """Yield batches of protocol event maps, in order, until the feed ends."""

    async def command(self, action: str, args: Mapping[str, Any]) -> str:
        """Carry out ``action``; return a detail line, or raise ``CommandRefused``."""
        raise CommandRefused(f"adapter {self.name} cannot {action}")
