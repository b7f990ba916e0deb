"""The console against the real `livemon.hub.Hub` (no adapter): handshake and token refusal."""

from __future__ import annotations

import pytest

from livemon.ui import create_app

hub_module = pytest.importorskip("livemon.hub")
config_module = pytest.importorskip("livemon.config")

TOKENS = {"ingest": "ingest-t", "watch": "watch-t", "control": "control-t"}


@pytest.fixture
async def real_hub(tmp_path):
    """A real hub on an ephemeral loopback port with known tokens."""
    hub = hub_module.Hub(config_module.load(), tmp_path, tokens=TOKENS)
    await hub.start(port=0)
    yield hub
    await hub.stop()


async def wait_status(pilot, app, status: str) -> None:
    """Let the app run until its connection reaches `status`."""
    for _ in range(250):
        if app.client.state.status == status:
            return
        await pilot.pause(0.02)
    raise AssertionError(f"connection stayed {app.client.state}")


async def test_control_console_goes_live_on_real_hub(real_hub):
    """A control token on the hub's base URL completes the handshake on /control."""
    app = create_app(real_hub.url(), TOKENS["control"])
    async with app.run_test(size=(160, 50)) as pilot:
        await wait_status(pilot, app, "live")
        assert app.client.url.endswith("/control")


async def test_watch_token_on_control_is_refused_by_real_hub(real_hub):
    """The real hub's 1008 for a watch token on /control shows the token message."""
    app = create_app(real_hub.url(), TOKENS["watch"])
    async with app.run_test(size=(160, 50)) as pilot:
        await wait_status(pilot, app, "refused")
        assert "LIVEMON_CONTROL_TOKEN" in app.dashboard.status.render_text().plain


async def test_watch_console_goes_live_on_real_hub(real_hub):
    """A watch token opens a read-only console on /watch."""
    app = create_app(real_hub.url("/watch"), TOKENS["watch"], role="watch")
    async with app.run_test(size=(160, 50)) as pilot:
        await wait_status(pilot, app, "live")


async def test_console_takes_stock_thresholds_and_tags_from_the_hub(tmp_path):
    """The hub's welcome carries its stock_low thresholds and tag classes; the console uses
    them, so a threshold changed in the hub's config changes what the console colours."""
    cfg = config_module.load()
    cfg["detect"]["stock"]["low_floor"] = 50
    hub = hub_module.Hub(cfg, tmp_path, tokens=TOKENS)
    await hub.start(port=0)
    try:
        app = create_app(hub.url(), TOKENS["control"])
        async with app.run_test(size=(160, 50)) as pilot:
            await wait_status(pilot, app, "live")
            for _ in range(100):
                if app.facts.low_floor is not None:
                    break
                await pilot.pause(0.02)
            assert app.facts.low_floor == 50
            assert "price" in app.facts.question_tags and "lag" in app.facts.tech_tags
    finally:
        await hub.stop()


async def test_status_bar_shows_time_on_air_before_any_host_is_named(tmp_path):
    """With no host named (the demo's start), the status bar still says how long the room has
    been on air, from the hub's own shift, instead of a bare "on air —"."""
    import asyncio
    import re

    from plugins.sim import SimAdapter

    hub = hub_module.Hub(config_module.load(), tmp_path, tokens=TOKENS)
    await hub.start(port=0)
    try:
        sim = SimAdapter(room="room-1", seed=2, speed="max", duration=150, viewers=100)
        await asyncio.wait_for(hub.run_adapter(sim), 30)
        app = create_app(hub.url(), TOKENS["control"])
        async with app.run_test(size=(160, 50)) as pilot:
            status = app.dashboard.status
            for _ in range(250):
                if "on air — " in status.render_text().plain:
                    break
                await pilot.pause(0.02)
            text = status.render_text().plain
            assert re.search(r"on air — 2:[0-9]{2}\b", text), text  # 150 s of broadcast
    finally:
        await hub.stop()


async def test_read_only_console_offers_no_plan_key_in_the_target_box(real_hub):
    """A watch console's empty target box does not point at `p` (a key it does not have);
    a control console's does."""
    from livemon.ui.widgets.target_bars import TargetBars

    for role, token, hint in (("watch", TOKENS["watch"], False),
                              ("control", TOKENS["control"], True)):  # fmt: skip
        app = create_app(real_hub.url(), token, role=role)
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_status(pilot, app, "live")
            shown = app.dashboard.query_one("#targets-inline", TargetBars).plain
            assert "no targets set" in shown and ("(p: plan)" in shown) is hint, (role, shown)
