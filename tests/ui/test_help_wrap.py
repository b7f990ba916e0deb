"""The help screen at 80x24: long descriptions and the rules note wrap inside the box."""

from __future__ import annotations

from textual.widgets import DataTable, Label

from livemon.ui.app import LivemonApp
from livemon.ui.widgets.help_screen import HelpScreen

RULE = "rule:sagging: warn when conv_1m < 0.7 * conv_10m and featured_stock > 0 for 60 s"


async def test_help_at_80x24_wraps_instead_of_cutting_at_the_box_edge() -> None:
    """Every key's description and the rules note are shown whole at 80x24: the table has
    nothing to scroll sideways to (the enter row was cut at "y / enter sen") and the note's
    rule line wraps (it was cut at "featured_stock >")."""
    app = LivemonApp("ws://127.0.0.1:8765", "token", connect=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await app.push_screen(HelpScreen(app.help_keys(), f"your rules:\n{RULE}"))
        await pilot.pause(0.2)
        help_screen = app.screen
        table = help_screen.query_one("#help-keys", DataTable)
        assert table.virtual_size.width <= table.scrollable_content_region.width
        longest = max(app.help_keys(), key=lambda kv: len(kv[1]))
        assert len(longest[1]) > 60  # one that cannot fit on one line of the box
        note = help_screen.query(Label).last()
        shown = "".join(
            "".join(segment.text for segment in note.render_line(y)).strip() + " "
            for y in range(note.size.height)
        )
        assert " ".join(RULE.split()) in " ".join(shown.split()), shown
