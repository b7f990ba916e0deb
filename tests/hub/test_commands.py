"""Commands from /control through the hub to a remote adapter on /ingest, and back.

The adapter here is a raw msgpack client written from docs/protocol.md: it says
``rooms: ["r1"]`` in its hello, answers every ``command`` with a ``result``,
and keeps what it was asked, so each test can say what reached it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

import pytest

T0 = 1_767_225_600
R = "r1"


class RemoteShop:
    """A remote adapter: answers commands with ``answer(command)`` after ``delay`` seconds."""

    def __init__(self, client, answer: Callable[[dict], tuple[bool, str]], delay: float) -> None:
        self.client = client
        self.answer = answer
        self.delay = delay
        self.commands: list[dict[str, Any]] = []
        self.task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        with contextlib.suppress(Exception):
            while True:
                message = await self.client.recv(timeout=3600)
                if message["op"] == "command":
                    self.commands.append(message)
                    asyncio.create_task(self._reply(message))

    async def _reply(self, command: dict[str, Any]) -> None:
        await asyncio.sleep(self.delay)
        ok, detail = self.answer(command)
        await self.client.send({"op": "result", "id": command["id"], "ok": ok, "detail": detail})

    def ids(self) -> list[Any]:
        return [c["id"] for c in self.commands]


def platform(command: dict[str, Any]) -> tuple[bool, str]:
    """What the shop's platform does: everything but pinning."""
    if command["action"] == "pin":
        return False, "this platform cannot pin comments"
    return True, f"{command['action']} done"


@pytest.fixture
async def shop(raw):
    """A remote adapter for room r1 that has sent one event, so the room exists."""
    client = await raw.adapter("remote-1", (R,))
    await client.events(1, [{"type": "viewers", "room": R, "ts": float(T0), "online": 10}])
    await client.wait_ack(1)
    remote = RemoteShop(client, platform, delay=0.05)
    yield remote
    remote.task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await remote.task


@pytest.fixture
async def control(raw):
    """A /control console past its handshake."""
    return await raw.console("/control")


async def ask(control, cid: Any, action: str, args: dict | None = None, room: str = R) -> dict:
    """Send one command and return its ``result``."""
    message = {"op": "command", "id": cid, "room": room, "action": action}
    if args is not None:
        message["args"] = args
    await control.send(message)
    return await control.recv_op("result", id=cid)


async def test_feature_reaches_the_adapter_and_its_result_comes_back(shop, control):
    """`feature` is forwarded to the room's adapter as a command map; its ok comes back."""
    result = await ask(control, "c1", "feature", {"sku": "A"})
    assert result == {"op": "result", "id": "c1", "ok": True, "detail": "feature done"}
    assert len(shop.commands) == 1
    got = shop.commands[0]
    assert set(got) >= {"op", "id", "room", "action", "args"}
    assert (got["op"], got["id"], got["room"], got["action"], got["args"]) == (
        "command", "c1", R, "feature", {"sku": "A"})  # fmt: skip


async def test_adapter_refusal_is_relayed(shop, control):
    """An adapter that cannot do an action answers ok false, and the console gets its why."""
    result = await ask(control, "p1", "pin", {"text": "新品 9.9"})
    assert result["ok"] is False
    assert result["detail"] == "this platform cannot pin comments"
    assert shop.ids() == ["p1"]


async def test_an_ok_that_is_not_a_bool_is_not_taken_for_success(shop, control):
    """An adapter answering ``ok: "false"`` (a string, not the bool the protocol asks) gets
    its command reported ok=false with "outcome unknown", not ok=true (bool("false"))."""
    shop.answer = lambda command: ("false", "coupon refused")
    result = await ask(control, "k1", "coupon", {"discount_cents": 100, "count": 5})
    assert result["ok"] is False
    assert "answered ok='false', not true or false (coupon refused)" in result["detail"]
    assert "outcome unknown" in result["detail"]


async def test_same_id_twice_is_carried_out_once_and_answered_twice(shop, control):
    """Two commands with one id, the second sent before the first is answered, run once."""
    message = {"op": "command", "id": "dup", "room": R, "action": "restock",
               "args": {"sku": "A", "add": 5}}  # fmt: skip
    await control.send(message)
    await control.send(message)
    first = await control.recv_op("result", id="dup")
    second = await control.recv_op("result", id="dup")
    assert first == second and first["ok"] is True
    await control.send(message)  # and again once it is done
    third = await control.recv_op("result", id="dup")
    assert third == first
    await asyncio.sleep(0.1)
    assert shop.ids() == ["dup"]


async def test_same_id_with_other_args_gets_the_first_result(shop, control):
    """An id already used is answered with its first result, whatever the new command says."""
    first = await ask(control, "k1", "feature", {"sku": "A"})
    again = await ask(control, "k1", "pin", {"text": "x"})
    assert again == first
    assert shop.ids() == ["k1"]


async def test_unknown_action_is_refused_with_why(shop, control):
    """An unknown action gets ok false naming the action; the adapter never sees it."""
    result = await ask(control, "u1", "dance", {})
    assert result["ok"] is False and "dance" in result["detail"]
    assert shop.commands == []


async def test_args_that_do_not_fit_are_refused(shop, control):
    """`restock` with add 0 gets ok false naming the arg; the adapter never sees it."""
    result = await ask(control, "r0", "restock", {"sku": "A", "add": 0})
    assert result["ok"] is False and "add" in result["detail"]
    missing = await ask(control, "f0", "feature", {})
    assert missing["ok"] is False and "sku" in missing["detail"]
    assert shop.commands == []


async def test_coupon_over_the_guardrail_never_reaches_the_adapter(shop, control):
    """A coupon over max_discount_cents (5000) is refused by the guardrail; 5000 itself passes."""
    over = await ask(control, "g1", "coupon", {"discount_cents": 5001, "count": 10})
    assert over["ok"] is False and "guardrail" in over["detail"]
    assert shop.commands == []
    at = await ask(control, "g2", "coupon", {"discount_cents": 5000, "count": 10, "sku": "A"})
    assert at["ok"] is True
    assert shop.ids() == ["g2"]
    assert shop.commands[0]["args"] == {"discount_cents": 5000, "count": 10, "sku": "A"}


async def test_no_adapter_for_the_room_is_refused(shop, control):
    """A platform command for a room no adapter carries gets ok false with why."""
    result = await ask(control, "n1", "feature", {"sku": "A"}, room="r2")
    assert result["ok"] is False and "r2" in result["detail"]
    assert shop.commands == []


async def test_adapter_gone_means_no_adapter(raw, control):
    """Once the room's adapter disconnects, its platform commands are refused, not queued."""
    client = await raw.adapter("remote-2", (R,))
    await client.ws.close()
    await asyncio.sleep(0.1)
    result = await ask(control, "gone", "unfeature")
    assert result["ok"] is False


async def test_host_changes_the_snapshot_and_stays_in_the_hub(shop, control):
    """`host` is answered ok by the hub itself and shows as the snapshot's host."""
    before = await control.recv_op("snapshot", room=R)
    assert before["host"] is None
    result = await ask(control, "h1", "host", {"name": "小王"})
    assert result["ok"] is True
    snap = await control.recv_op("snapshot", room=R)
    assert snap["host"] == "小王"
    assert shop.commands == []


async def test_mark_is_ok_and_stays_in_the_hub(shop, control):
    """`mark` is answered ok by the hub and never reaches the adapter."""
    result = await ask(control, "m1", "mark", {"label": "price drop"})
    assert result["ok"] is True and isinstance(result["detail"], str)
    assert shop.commands == []


async def test_commands_and_results_are_in_the_catalog(shop, control, hub):
    """Every command, carried out or refused, is recorded with its result."""
    await ask(control, "a1", "feature", {"sku": "A"})
    await ask(control, "a2", "coupon", {"discount_cents": 9999, "count": 1})
    await ask(control, "a3", "mark", {"label": "segment 2"})
    await ask(control, "a3", "mark", {"label": "segment 2"})  # the same id: recorded once
    rows = {r["id"]: r for r in hub.catalog.commands(hub.session)}
    assert set(rows) == {"a1", "a2", "a3"}
    assert (rows["a1"]["action"], rows["a1"]["ok"]) == ("feature", 1)
    assert rows["a1"]["detail"] == "feature done"
    assert rows["a2"]["ok"] == 0 and "guardrail" in rows["a2"]["detail"]
    assert rows["a3"]["ok"] == 1 and rows["a3"]["room"] == R
