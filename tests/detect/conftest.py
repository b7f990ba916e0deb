"""Shared sim runs for the detector tests: each scenario is simulated once per session."""

from __future__ import annotations

from functools import cache
from typing import Any

import pytest

from livemon import config, wire
from livemon.detect import Monitor
from livemon.engine import Engine
from plugins.sim.room import SimRoom


@cache
def sim_run(scenario: str, seed: int, minutes: float = 40.0, **options: Any) -> tuple:
    """(typed events, ground truth) of one simulated broadcast."""
    room = SimRoom(scenario=scenario, seed=seed, duration=minutes * 60, **options)
    raw: list[dict[str, Any]] = []
    while not room.done:
        raw.extend(room.step())
    events: list = []
    for i in range(0, len(raw), 10_000):
        events += wire.decode_batch(wire.encode_batch(1, raw[i : i + 10_000]))[1]
    return tuple(events), room.ground_truth


def alerts_of(events, batch: int | None = None, detect: dict | None = None) -> list[tuple]:
    """Every alert change ``(ts, alert)`` from folding ``events`` in batches of ``batch``."""
    monitor = Monitor(config.load()["detect"] if detect is None else detect)
    engine = Engine(on_new_room=monitor)
    events = list(events)
    step = batch or len(events) or 1
    changes: list[tuple] = []
    for i in range(0, len(events), step):
        engine.apply(events[i : i + step])
        changes += monitor.drain()
    return changes


def opened(changes: list[tuple], kind: str) -> list[dict]:
    """The first message of each alert of ``kind``."""
    seen: dict[str, dict] = {}
    for _, alert in changes:
        if alert["kind"] == kind:
            seen.setdefault(alert["id"], alert)
    return list(seen.values())


@pytest.fixture
def sim():
    """The cached sim runner: ``sim(scenario, seed, minutes, **options)``."""
    return sim_run


@pytest.fixture
def fold():
    """``fold(events, batch=None, detect=None)``: the alert changes of folding ``events``."""
    return alerts_of


@pytest.fixture
def first_messages():
    """``first_messages(changes, kind)``: the opening message of each alert of ``kind``."""
    return opened
