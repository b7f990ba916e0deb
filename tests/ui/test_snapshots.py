"""How the console looks, compared with committed SVG baselines (pytest-textual-snapshot)."""

from __future__ import annotations

from livemon.ui.app import LivemonApp
from livemon.ui.messages import SnapshotReceived


def test_stage_look(snap_compare, wire, utc):
    """The stage screen with a fixed snapshot matches its baseline."""
    app = LivemonApp("ws://127.0.0.1:8765", "token", connect=False)

    async def feed(pilot) -> None:
        app.post_message(SnapshotReceived(wire.snapshot()))
        await pilot.pause()
        await pilot.press("s")
        await pilot.pause()

    assert snap_compare(app, terminal_size=(160, 50), run_before=feed)
