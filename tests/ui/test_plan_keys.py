"""`h` (host change) and `p` (session plan) against a real hub: the commands are carried out
and recorded, and the snapshot then shows the shift and the targets with their projection."""

from __future__ import annotations

from livemon import config, wire
from livemon.hub import Hub
from livemon.ui import create_app
from livemon.ui.widgets.forms import PromptForm
from livemon.ui.widgets.plan_form import PlanForm
from livemon.ui.widgets.target_bars import TargetBars

TOKENS = {"ingest": "ingest-token-0123456", "watch": "watch-token-01234567",
          "control": "control-token-012345"}  # fmt: skip
T0 = 1_767_225_600.0


def events() -> list[dict]:
    base = {"room": "room-1"}
    out = [{**base, "type": "product", "ts": T0, "sku": "A1", "name": "scarf",
            "price_cents": 10_000, "stock": 500},
           {**base, "type": "viewers", "ts": T0, "online": 400}]  # fmt: skip
    out += [{**base, "type": "order", "ts": T0 + s, "order_id": f"o{s}", "sku": "A1", "qty": 1,
             "price_cents": 10_000, "buyer": f"b{s}"} for s in range(1, 40)]  # fmt: skip
    return out


async def until(pilot, condition, what: str, tries: int = 250) -> None:
    for _ in range(tries):
        if condition():
            return
        await pilot.pause(0.02)
    raise AssertionError(f"timed out waiting for {what}")


async def test_h_and_p_change_host_and_plan_on_the_hub(tmp_path):
    """`h` sends `host` (a new shift starts at the room's clock, named in the snapshot and the
    status bar); `p` sends `plan`, and the targets then show as bars with their pace."""
    hub = Hub(config.load(), tmp_path, tokens=TOKENS)
    await hub.start("127.0.0.1", 0)
    try:
        hub.ingest_frame("test", "room-1", wire.encode_batch(1, events()))
        app = create_app(hub.url(), TOKENS["control"])
        async with app.run_test(size=(120, 40)) as pilot:
            await until(pilot, lambda: app.state.view is not None, "the first snapshot")
            await pilot.press("h")
            await until(pilot, lambda: isinstance(app.screen, PromptForm), "the host form")
            await pilot.press(*"Ann", "enter")
            await until(pilot, lambda: app.state.view.snapshot.get("host") == "Ann", "host")
            shift = app.state.view.snapshot["shift"]
            assert shift["host"] == "Ann" and shift["since"] == T0 + 39
            assert [s["host"] for s in app.state.view.snapshot["shifts"]] == [None, "Ann"]
            await until(pilot, lambda: "on air Ann" in app.dashboard.status.render_text().plain,
                        "the status bar")  # fmt: skip
            await pilot.press("p")
            await until(pilot, lambda: isinstance(app.screen, PlanForm), "the plan form")
            await pilot.press(*"10000", "tab", *"100", "tab", *"A1=80", "tab")
            await pilot.press("ctrl+a", "ctrl+k", *"60", "tab", *"Ann 0-30; Bo 30-60", "enter")
            await until(pilot, lambda: app.state.view.snapshot.get("targets"), "the targets")
            targets = {t["key"]: t for t in app.state.view.snapshot["targets"]}
            assert targets["gmv_cents"]["target"] == 1_000_000
            assert targets["orders"]["target"] == 100 and targets["units:A1"]["target"] == 80
            assert targets["orders"]["done"] == 39
            assert app.state.view.snapshot["plan"]["hosts"][1]["name"] == "Bo"
            bars = app.dashboard.query_one("#targets-inline", TargetBars)
            await until(pilot, lambda: "orders 39 / 100" in bars.plain, "the target bars")
        recorded = [c for c in hub.catalog.db.query("select * from commands")]
        assert {r["action"] for r in recorded} >= {"host", "plan"}
    finally:
        await hub.stop()


async def test_bad_plan_gets_a_clear_refusal(tmp_path):
    """A plan with an unknown target or a schedule ending before it starts is refused with
    why, and changes nothing."""
    hub = Hub(config.load(), tmp_path, tokens=TOKENS)
    await hub.start("127.0.0.1", 0)
    try:
        hub.ingest_frame("test", "room-1", wire.encode_batch(1, events()))
        bad = await hub.execute(
            {
                "op": "command",
                "id": "p1",
                "room": "room-1",
                "action": "plan",
                "args": {"targets": {"likes": 5}},
            }
        )
        assert bad["ok"] is False and "unknown target likes" in bad["detail"]
        bad = await hub.execute({"op": "command", "id": "p2", "room": "room-1", "action": "plan",
                                 "args": {"hosts": [{"name": "A", "start_min": 9,
                                                     "end_min": 3}]}})  # fmt: skip
        assert bad["ok"] is False and "end_min must be after start_min" in bad["detail"]
        assert hub.snapshot("room-1")["plan"]["hosts"] == []
    finally:
        await hub.stop()
