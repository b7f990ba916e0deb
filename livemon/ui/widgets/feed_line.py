"""`FeedLine`: one line with the state of each feed of the room (video platform, shop webhook).

It follows the app's reactive `view` and draws the snapshot's `feeds` list;
it takes no room while the hub names no feeds (an older hub, or a replay).
"""

from __future__ import annotations

import time
from typing import Any

from rich.text import Text
from textual.widgets import Static

FEED_STYLE = {"up": "bold green", "connecting": "bold yellow", "down": "bold red", "ended": "dim"}
FEED_ICON = {"up": "●", "connecting": "◌", "down": "✕", "ended": "■"}


def feeds_text(feeds: list[dict[str, Any]], details: bool = True) -> Text:
    """Each feed as `icon name state`, with its detail (and since when) for one not up.

    >>> feeds_text([{"name": "douyin", "state": "up"},
    ...             {"name": "webhook", "state": "down", "detail": "port in use",
    ...              "since": 0}]).plain
    'feeds  ● douyin up  ✕ webhook down (port in use, since 00:00:00)'
    """
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append("feeds", "dim")
    for feed in feeds:
        state = str(feed.get("state", "?"))
        style = FEED_STYLE.get(state, "bold")
        text.append(f"  {FEED_ICON.get(state, '?')} ", style)
        text.append(f"{feed.get('name', '?')} ", "bold")
        text.append(state, style)
        if details and state != "up":
            parts = [str(feed["detail"])] if feed.get("detail") else []
            if isinstance(feed.get("since"), int | float):
                parts.append("since " + time.strftime("%H:%M:%S", time.gmtime(feed["since"])))
            if parts:
                text.append(f" ({', '.join(parts)})", style)
    return text


class FeedLine(Static):
    """The current room's feeds and their states, on one line; hidden when none are known."""

    DEFAULT_CSS = """
    FeedLine {
        height: 1;
        width: 1fr;
        padding: 0 1;
        display: none;
    }
    FeedLine.-shown {
        display: block;
    }
    FeedLine.-down {
        background: $error 25%;
    }
    """

    def on_mount(self) -> None:
        if hasattr(self.app, "view"):
            self.watch(self.app, "view", self._view)

    def _view(self, view: Any) -> None:
        self.show(view.snapshot.get("feeds") if view is not None else None)

    def show(self, feeds: list[dict[str, Any]] | None) -> None:
        """Draw ``feeds`` (a snapshot's list); None or empty hides the line."""
        feeds = [f for f in feeds or [] if isinstance(f, dict)]
        self.set_class(bool(feeds), "-shown")
        self.set_class(any(f.get("state") == "down" for f in feeds), "-down")
        self.update(feeds_text(feeds))
