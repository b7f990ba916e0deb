"""A command its adapter held when the hub died is never carried out again (a coupon issued twice).

The hub dies here as kill -9 leaves it: a second hub is started on the same
record dir while the first one still waits for its adapter's answer, so
nothing of the first one's ending is written (as with a real kill).
"""

from __future__ import annotations

from livemon import config
from livemon.hub import Hub
from tests.hub.conftest import T0, TOKENS, adapter, console, like

COUPON = {"op": "command", "id": "c-1", "room": "r1", "action": "coupon",
          "args": {"discount_cents": 100, "count": 5}}  # fmt: skip


async def test_a_command_with_its_adapter_at_a_crash_gets_outcome_unknown_when_resent(
    hub, tmp_path
):
    """A coupon command sent again after the hub died while its adapter held it is answered
    ok=false "outcome unknown" by the restarted hub and never reaches an adapter again."""
    shop = await adapter(hub, "shop", ("r1",))
    await shop.events(1, [like(T0)])
    await shop.wait_ack(1)
    assistant = await console(hub, "/control")
    await assistant.send(COUPON)
    await shop.recv_op("command", id="c-1")  # the adapter has it; the hub dies now

    again = Hub(config.load(), tmp_path, tokens=TOKENS)
    await again.start("127.0.0.1", 0)
    try:
        shop_back = await adapter(again, "shop", ("r1",))
        assistant_back = await console(again, "/control")
        await assistant_back.send(COUPON)
        result = await assistant_back.recv_op("result", id="c-1")
        assert result["ok"] is False
        assert "outcome unknown, check the platform" in result["detail"]
        await shop_back.drain(0.3)
        assert [m for m in shop_back.seen if m["op"] == "command"] == []
    finally:
        await again.stop(end_session=False)
