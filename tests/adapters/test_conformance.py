"""One conformance check, run on every adapter plugin found (plugins/ and entry points)."""

from __future__ import annotations

import pytest

from livemon import commands
from livemon.adapters import Adapter, CommandRefused, Option, discover
from livemon.events import EventError, from_dict

ADAPTERS = sorted(discover().items())
RUNNABLE = [(n, c) for n, c in ADAPTERS if c.quick_options is not None]
# Arguments that fit each platform action (docs/protocol.md) but name nothing that exists.
UNKNOWN_TARGET = {
    "feature": {"sku": "no-such-sku"},
    "restock": {"sku": "no-such-sku", "add": 5},
}


def test_the_sim_adapter_is_found() -> None:
    """Discovery finds the bundled sim adapter, and no plugin failed to load."""
    assert "sim" in dict(ADAPTERS)
    assert discover.errors == {}


@pytest.mark.parametrize(("name", "cls"), ADAPTERS)
def test_declares_name_capabilities_and_options(name: str, cls: type[Adapter]) -> None:
    """An adapter names itself, says what it can do, and its option defaults convert."""
    assert cls.name == name and cls.description
    assert cls.capabilities <= commands.PLATFORM_ACTIONS
    for key, option in cls.options.items():
        assert isinstance(option, Option), key
        assert option.help, key
    with pytest.raises(ValueError, match="no-such-option"):
        cls(room="r", **{"no-such-option": 1})


@pytest.mark.parametrize(("name", "cls"), RUNNABLE)
async def test_feed_speaks_the_protocol(name: str, cls: type[Adapter]) -> None:
    """Every event of a quick run is valid, in the adapter's room, in time order within 5 s."""
    adapter = cls(room="conf-room", **cls.quick_options)
    count, newest = 0, float("-inf")
    async for batch in adapter.batches():
        assert isinstance(batch, list)
        for raw in batch:
            try:
                event = from_dict(raw)
            except EventError as exc:  # pragma: no cover - the message is the point
                pytest.fail(f"{name} emitted an invalid event {raw}: {exc}")
            assert event.room == "conf-room"
            assert event.ts >= newest - 5.0, "later than docs/protocol.md's 5 s of lateness"
            newest = max(newest, event.ts)
            count += 1
    assert count > 0


@pytest.mark.parametrize(("name", "cls"), RUNNABLE)
async def test_commands_answer_or_refuse_with_a_reason(name: str, cls: type[Adapter]) -> None:
    """Actions it lacks and targets that do not exist are refused with CommandRefused."""
    adapter = cls(room="conf-room", **cls.quick_options)
    for action in sorted(commands.PLATFORM_ACTIONS - cls.capabilities):
        with pytest.raises(CommandRefused):
            await adapter.command(action, {})
    for action, args in UNKNOWN_TARGET.items():
        if action in cls.capabilities:
            with pytest.raises(CommandRefused, match=r"\S"):
                await adapter.command(action, args)
