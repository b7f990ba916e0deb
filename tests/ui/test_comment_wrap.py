"""The comment stream in a narrow column wraps each comment; it does not cut it off."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.containers import Horizontal

from livemon.ui.widgets.comment_stream import CommentStream

LONG = "bought one last week, very happy with it, is the big size back in stock?"


class NarrowColumn(App[None]):
    """A comment stream 40 columns wide, as in the side column of a 120x40 dashboard."""

    CSS = "#comments { width: 40; }"

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield CommentStream(id="comments")


async def test_a_long_comment_wraps_in_a_narrow_column() -> None:
    """A comment longer than its column is folded onto more lines, all of it shown (at 120x40
    and 200x60 the comment column is 38-46 wide; lines were cut at the border)."""
    app = NarrowColumn()
    async with app.run_test(size=(120, 20)) as pilot:
        stream = app.query_one(CommentStream)
        await pilot.pause()
        stream.add([{"ts": 1_767_225_600.0, "user": "u655", "text": LONG, "tags": ["size"]}])
        await pilot.pause(0.1)
        lines = [line.rstrip() for line in stream.plain_lines]
        inner = stream.scrollable_content_region.width
        assert len(lines) >= 2 and all(len(line) <= inner for line in lines), lines
        assert LONG.replace(" ", "") in "".join(lines).replace(" ", "")
        assert stream.virtual_size.width <= inner  # nothing to scroll sideways to
