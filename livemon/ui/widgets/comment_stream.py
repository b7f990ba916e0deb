"""`CommentStream`: the room's comments, newest at the bottom, with tag badges."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rich.text import Text
from textual.widgets import RichLog

from livemon.ui import format as fmt
from livemon.ui.state import HubFacts

QUESTION_STYLE = "bold black on #ffd75f"
TECH_STYLE = "bold white on #d70000"
OTHER_STYLE = "black on #8a8a8a"


def tag_style(tag: str, facts: HubFacts) -> str:
    """The badge style of a tag: questions amber, tech trouble red, anything else grey;
    which tags are which the hub says (`facts`, from its welcome).

    >>> facts = HubFacts(question_tags=frozenset({"price"}), tech_tags=frozenset({"lag"}))
    >>> [tag_style(t, facts) == s for t, s in [("price", QUESTION_STYLE), ("lag", TECH_STYLE),
    ...                                        ("vip", OTHER_STYLE)]]
    [True, True, True]
    """
    if tag in facts.question_tags:
        return QUESTION_STYLE
    if tag in facts.tech_tags:
        return TECH_STYLE
    return OTHER_STYLE


def comment_line(item: dict[str, Any], facts: HubFacts | None = None) -> Text:
    """Render one wire comment: time, user, text, then a badge per tag."""
    line = Text(no_wrap=False, overflow="fold")
    line.append(fmt.clock(item.get("ts")), "dim")
    line.append(" ")
    line.append(str(item.get("user") or "?"), "bold cyan")
    line.append(": ")
    line.append(str(item.get("text") or ""))
    for tag in item.get("tags") or ():
        line.append(" ")
        line.append(f" {tag} ", tag_style(str(tag), facts or HubFacts()))
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
        # min_width: RichLog renders at least 78 columns by default, which cut comments
        # off at the border of a narrower column instead of wrapping them.
        super().__init__(id=id, max_lines=max_lines, min_width=20, wrap=True, markup=False,
                         auto_scroll=True)  # fmt: skip
        self.border_title = "comments"
        self.can_focus = False
        self.facts = HubFacts()

    def add(self, items: Iterable[dict[str, Any]]) -> None:
        """Append comments in the order given (the hub sends them oldest first)."""
        for item in items:
            self.write(comment_line(item, self.facts))

    @property
    def plain_lines(self) -> list[str]:
        """The rendered lines as plain text (for tests)."""
        return ["".join(segment.text for segment in strip) for strip in self.lines]
