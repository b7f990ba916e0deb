"""`TargetBars`: each session target as a bar (done, and projected at the scheduled end) with
ahead or behind in plain words; the pure text functions are shared with the stage screen and
the overview."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.widgets import Static

from livemon.engine.targets import amount, pace_words, target_name
from livemon.ui import format as fmt

DONE_STYLE = "bold green"
PACE_AHEAD = "green"
PACE_BEHIND = "#ffaf00"


def bar(target: dict[str, Any], width: int) -> Text:
    """A bar `width` cells wide: done (solid), projected beyond done (shaded), the rest (light).

    >>> bar({"target": 100, "done": 50, "projected": 75}, 8).plain
    '████▓▓░░'
    """
    goal = max(1, int(target.get("target") or 0))
    done = max(0, int(target.get("done") or 0))
    projected = max(done, int(target.get("projected") or 0))
    solid = min(width, round(width * done / goal))
    shaded = min(width - solid, round(width * projected / goal) - solid)
    ahead = projected >= goal
    text = Text()
    text.append("█" * solid, DONE_STYLE)
    text.append("▓" * shaded, PACE_AHEAD if ahead else PACE_BEHIND)
    text.append("░" * (width - solid - shaded), "dim")
    return text


def target_text(target: dict[str, Any], width: int) -> Text:
    """Two lines for one target: name, done of target and share; then the bar and the words."""
    key = str(target.get("key"))
    goal, done = int(target.get("target") or 0), int(target.get("done") or 0)
    share = f"{100 * done / goal:.0f}%" if goal else fmt.DASH
    text = Text()
    text.append(f"{target_name(key)} ", "bold")
    text.append(f"{amount(key, done)} / {amount(key, goal)} · {share}\n")
    words = pace_words(target)
    bar_width = max(6, width - len(words) - 1) if width >= 40 else max(6, width)
    text.append_text(bar(target, bar_width))
    text.append("\n" if width < 40 else " ")
    behind = words.startswith("behind")
    text.append(words, f"bold {PACE_BEHIND}" if behind else PACE_AHEAD)
    return text


def progress_cell(targets: list[dict[str, Any]]) -> Text:
    """One cell for the overview: each target's share done and pace sign.

    >>> progress_cell([{"key": "gmv_cents", "target": 100, "done": 50, "projected": 90}]).plain
    'GMV ██▓▓ 50% ▼'
    >>> progress_cell([]).plain
    '—'
    """
    if not targets:
        return Text(fmt.DASH, style="dim")
    text = Text()
    for target in targets:
        if text:
            text.append(" · ")
        goal = max(1, int(target.get("target") or 0))
        done = int(target.get("done") or 0)
        projected = target.get("projected")
        on_pace = done >= goal or (projected is not None and projected >= goal)
        text.append(f"{target_name(str(target.get('key')))} ")
        text.append_text(bar(target, 4))
        text.append(f" {100 * done / goal:.0f}% ")
        text.append("▲" if on_pace else "▼", PACE_AHEAD if on_pace else f"bold {PACE_BEHIND}")
    return text


class TargetBars(Static):
    """The targets of a snapshot, one bar each; `show()` redraws from the wire list."""

    DEFAULT_CSS = """
    TargetBars {
        height: auto;
        border: round $primary 50%;
        border-title-color: $text-muted;
        padding: 0 1;
    }
    """

    def __init__(
        self, *, hint: str = "", id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.border_title = "targets 目标"
        self.hint = hint
        self._targets: list[dict[str, Any]] = []

    def show(self, targets: list[dict[str, Any]]) -> None:
        """Draw `targets` (the snapshot's list) if they changed."""
        if targets != self._targets:
            self._targets = list(targets)
            self._redraw()

    def on_resize(self) -> None:
        self._redraw()

    def _redraw(self) -> None:
        if not self._targets:
            self.update(Text(f"no targets set{self.hint}", style="dim"))
            return
        width = max(10, self.content_size.width or 40)
        text = Text()
        for i, target in enumerate(self._targets):
            if i:
                text.append("\n")
            text.append_text(target_text(target, width))
        self.update(text)

    @property
    def plain(self) -> str:
        """The bars as plain text (for tests)."""
        return str(self.render())
