"""How the console looks, compared with committed SVG baselines (pytest-textual-snapshot)."""

from __future__ import annotations

import time

import pytest

from livemon.ui.app import LivemonApp
from livemon.ui.client import ConnectionState
from livemon.ui.messages import CommentsReceived, ConnectionChanged, SnapshotReceived


@pytest.fixture
def utc(monkeypatch):
    """Render event-time clocks in UTC so baselines do not depend on the machine's zone."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_dashboard_look(snap_compare, wire, utc):
    """The dashboard with a fixed snapshot and comments matches its baseline."""
    app = LivemonApp("ws://127.0.0.1:8765", "token", connect=False)

    async def feed(pilot) -> None:
        app.post_message(ConnectionChanged(ConnectionState("live", app.url)))
        for second in range(30):
            online = 12000 + 40 * second - (second % 7) * 90
            gmv_1m = 300000 + (second % 10) * 25000
            snap = wire.snapshot(
                ts=wire.snapshot()["ts"] - 29 + second, online=online, gmv_1m_cents=gmv_1m
            )
            app.post_message(SnapshotReceived(snap))
            await pilot.pause()
        app.post_message(CommentsReceived(wire.comments))
        await pilot.pause()

    assert snap_compare(app, terminal_size=(160, 50), run_before=feed)


def test_stage_look(snap_compare, wire, utc):
    """The stage screen with a fixed snapshot matches its baseline."""
    app = LivemonApp("ws://127.0.0.1:8765", "token", connect=False)

    async def feed(pilot) -> None:
        app.post_message(SnapshotReceived(wire.snapshot()))
        await pilot.pause()
        await pilot.press("s")
        await pilot.pause()

    assert snap_compare(app, terminal_size=(160, 50), run_before=feed)
