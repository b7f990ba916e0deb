"""`CommentStream`: the room's comments, newest at the bottom, with tag badges."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rich.text import Text
from textual.widgets import RichLog

from livemon.ui import format as fmt

# Tags the hub attaches (livemon.engine.tags: price, link, size, how_to_buy; lag, no_sound,
# black_screen), plus the words themselves; unknown tags still show, in grey.
QUESTION_TAGS = frozenset(
    {"price", "link", "size", "how_to_buy", "价格", "链接", "尺码", "怎么买", "question"}
)
TECH_TAGS = frozenset(
    {"lag", "no_sound", "black_screen", "frozen", "卡", "没声音", "黑屏", "no sound", "tech"}
)
QUESTION_STYLE = "bold black on #ffd75f"
TECH_STYLE = "bold white on #d70000"
OTHER_STYLE = "black on #8a8a8a"


def tag_style(tag: str) -> str:
    """The badge style of a tag: questions amber, tech trouble red, anything else grey."""
    bare = tag.split(":", 1)[-1]
    if tag in QUESTION_TAGS or bare in QUESTION_TAGS:
        return QUESTION_STYLE
    if tag in TECH_TAGS or bare in TECH_TAGS or tag.startswith("tech"):
        return TECH_STYLE
    return OTHER_STYLE


def comment_line(item: dict[str, Any]) -> Text:
    """Render one wire comment: time, user, text, then a badge per tag."""
    line = Text(no_wrap=False, overflow="fold")
    line.append(fmt.clock(item.get("ts")), "dim")
    line.append(" ")
    line.append(str(item.get("user") or "?"), "bold cyan")
    line.append(": ")
    line.append(str(item.get("text") or ""))
    for tag in item.get("tags") or ():
        line.append(" ")
        line.append(f" {tag} ", tag_style(str(tag)))
    return line


class CommentStream(RichLog):
    """A scrolling log of comments that keeps the newest `max_lines` lines."""

    DEFAULT_CSS = """
    CommentStream {
        height: 1fr;
        border: round $primary 50%;
        border-title-color: $text-muted;
        scrollbar-size-vertical: 1;
    }
    """

    def __init__(self, *, max_lines: int = 500, id: str | None = None) -> None:
        super().__init__(id=id, max_lines=max_lines, wrap=True, markup=False, auto_scroll=True)
        self.border_title = "comments"
        self.can_focus = False

    def add(self, items: Iterable[dict[str, Any]]) -> None:
        """Append comments in the order given (the hub sends them oldest first)."""
        for item in items:
            self.write(comment_line(item))

    @property
    def plain_lines(self) -> list[str]:
        """The rendered lines as plain text (for tests)."""
        return ["".join(segment.text for segment in strip) for strip in self.lines]
