"""``sim``: a closed-loop simulated live-shopping room, seeded and deterministic.

The model lives in ``room.SimRoom`` (no I/O, no clock); this module gives it
the adapter contract: options, pacing against the wall clock, commands from
the hub and the ground truth for scoring detectors.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from livemon.adapters.base import Adapter, CommandRefused, Option
from plugins.sim.room import START, SimRoom
from plugins.sim.scenarios import SCENARIOS

__all__ = ["SimAdapter", "SimRoom"]


@dataclass(frozen=True)
class NumberOrWord(Option):
    """An option that is a number or one special word (``max``, ``now``).

    >>> opt = NumberOrWord(str, "1", "x", word="max")
    >>> opt.convert("speed", "10"), opt.convert("speed", "MAX"), opt.convert("speed", 2)
    (10.0, 'max', 2.0)
    """

    word: str = ""

    def convert(self, name: str, value: Any) -> float | str:
        """``value`` as a float, or the word itself; a ``ValueError`` naming the option."""
        if isinstance(value, str) and value.strip().lower() == self.word:
            return self.word
        if not isinstance(value, bool):
            try:
                return float(value)
            except (TypeError, ValueError):
                pass
        raise ValueError(f"option {name} must be a number or {self.word!r}, got {value!r}")


class SimAdapter(Adapter):
    """A simulated room: viewers, comments and orders that answer to commands.

    >>> sim = SimAdapter(duration="30", viewers="200", seed="2")
    >>> sim.command_sync("feature", {"sku": "22423"})
    'featuring 22423'
    """

    name = "sim"
    description = "simulated live-shopping room (seeded, deterministic, with injected incidents)"
    capabilities = frozenset({"feature", "unfeature", "coupon", "restock", "pin"})
    quick_options = {"speed": "max", "duration": 120, "viewers": 300}
    options: Mapping[str, Option] = {
        "scenario": Option(str, "steady", "incidents to inject: " + ", ".join(SCENARIOS)),
        "seed": Option(int, 1, "seed of every random draw; same options, same events"),
        "speed": NumberOrWord(str, "1", "multiple of real time, or max (no sleeping)", "max"),
        "start": NumberOrWord(str, str(START), "epoch seconds of the first event, or now", "now"),
        "duration": Option(float, 7200.0, "seconds of broadcast"),
        "viewers": Option(int, 1000, "online viewers at the plateau"),
        "buy_rate": Option(float, 0.02, "orders per online viewer per minute (featured product)"),
        "incident_at": Option(
            float,
            None,
            "incident time in seconds after start (default: by seed, 35-60% of duration)",
        ),
        "drop": Option(
            float,
            0.5,
            "factor conversion_drop (or the product product_switch features)"
            " multiplies the buy rate by",
        ),
        "viewer_drop": Option(float, 0.4, "share of online viewers viewer_drop takes away"),
        "viewer_drop_s": Option(float, 10.0, "seconds over which viewer_drop takes them"),
        "batch_seconds": Option(int, 1, "simulated seconds per batch"),
        "truth": Option(str, "", "path to write the ground truth JSON to when the feed ends"),
    }

    def __init__(self, room: str = "room-1", **options: Any) -> None:
        super().__init__(room, **options)
        settings = self.settings
        for key in ("speed", "start"):  # defaults are given as strings too
            settings[key] = self.options[key].convert(key, settings[key])
        if settings["speed"] != "max" and not settings["speed"] > 0:
            raise ValueError(f"option speed must be > 0 or 'max', got {settings['speed']!r}")
        if settings["batch_seconds"] < 1:
            raise ValueError(f"option batch_seconds must be >= 1, got {settings['batch_seconds']}")
        if settings["start"] == "now":
            settings["start"] = float(int(time.time()))
        self.sim = SimRoom(
            scenario=settings["scenario"],
            seed=settings["seed"],
            room=room,
            start=settings["start"],
            duration=settings["duration"],
            viewers=settings["viewers"],
            buy_rate=settings["buy_rate"],
            incident_at=settings["incident_at"],
            drop=settings["drop"],
            viewer_drop=settings["viewer_drop"],
            viewer_drop_s=settings["viewer_drop_s"],
        )
        settings["incident_at"] = self.sim.incident_at

    @property
    def ground_truth(self) -> dict[str, Any]:
        """The room's ground truth, with every option of this adapter as resolved."""
        return self.sim.ground_truth | {"options": dict(self.settings)}

    async def batches(self) -> AsyncIterator[list[dict[str, Any]]]:
        """Yield ``batch_seconds`` of simulated events at a time until ``live off``.

        At ``speed`` max only ``asyncio.sleep(0)`` separates batches; otherwise a
        batch is yielded when the wall clock reaches the end of its simulated
        span (measured from the first batch on a monotonic clock, so no drift).
        """
        sim, speed, span = self.sim, self.settings["speed"], self.settings["batch_seconds"]
        began = time.monotonic()
        first = sim.second
        try:
            while not sim.done:
                batch: list[dict[str, Any]] = []
                for _ in range(span):
                    batch.extend(sim.step())
                    if sim.done:
                        break
                if speed == "max":
                    await asyncio.sleep(0)
                else:
                    await asyncio.sleep(max(0.0, began + (sim.second - first) / speed
                                            - time.monotonic()))  # fmt: skip
                yield batch
        finally:
            if self.settings["truth"]:
                self._write_truth(Path(self.settings["truth"]))

    async def command(self, action: str, args: Mapping[str, Any]) -> str:
        """Check ``action`` now and carry it out from the next simulated second."""
        return self.command_sync(action, args)

    def command_sync(self, action: str, args: Mapping[str, Any]) -> str:
        """:meth:`command` without a loop: a detail line, or ``CommandRefused`` saying why."""
        if action not in self.capabilities:
            can = ", ".join(sorted(self.capabilities))
            raise CommandRefused(f"sim cannot {action} (it can: {can})")
        return self.sim.apply_command(action, args)

    def _write_truth(self, path: Path) -> None:
        path.write_text(json.dumps(self.ground_truth, indent=2, ensure_ascii=False) + "\n",
                        encoding="utf-8")  # fmt: skip
