"""`HelpScreen`: a modal listing every key of the console and what it does."""

from __future__ import annotations

from collections.abc import Iterable

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Label

# The box is 76 wide: 2 of border, 4 of padding, 4 of cell padding, 1 of scroll bar.
TEXT_WIDTH = 76 - 2 - 4 - 4 - 1


class HelpScreen(ModalScreen[None]):
    """Shows `(keys, what it does)` rows; any of escape, q, ? or F1 closes it."""

    DEFAULT_CSS = """
    HelpScreen {
        align: center middle;
    }
    HelpScreen > Vertical {
        width: 76;
        max-width: 100%;
        height: auto;
        max-height: 100%;
        border: thick $accent;
        background: $surface;
        padding: 1 2;
    }
    HelpScreen DataTable {
        height: auto;
        max-height: 30;
        scrollbar-size-vertical: 1;
    }
    HelpScreen .help-title {
        text-style: bold;
        margin-bottom: 1;
    }
    HelpScreen .help-note {
        width: 100%;
        color: $text-muted;
        margin-top: 1;
    }
    """

    BINDINGS = [
        Binding("escape,q,question_mark,f1", "dismiss", "close help"),
    ]

    def __init__(self, keys: Iterable[tuple[str, str]], note: str = "") -> None:
        super().__init__()
        self.keys = list(keys)
        self.note = note

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("livemon console — keys (↑/↓ scroll, esc close)", classes="help-title")
            table: DataTable[Text] = DataTable(show_cursor=False, id="help-keys")
            # Fixed widths that fit the 76-column box, and rows as tall as their text: a long
            # description wraps instead of running past the box's right edge (80x24).
            key_width = max((len(key) for key, _ in self.keys), default=3)
            table.add_column("key", width=key_width)
            table.add_column("what it does", width=TEXT_WIDTH - key_width)
            for key, text in self.keys:
                table.add_row(Text(key), Text(text), height=None)
            yield table
            if self.note:
                yield Label(self.note, classes="help-note")

    def on_resize(self) -> None:
        # The key list scrolls (↑/↓, page keys) when the terminal is too short for it.
        table = self.query_one("#help-keys", DataTable)
        table.styles.max_height = max(3, self.size.height - 6 - self._note_height())

    def _note_height(self) -> int:
        """Lines the note takes in the box (wrapped at its width), with its margin."""
        if not self.note:
            return 0
        width = TEXT_WIDTH + 5  # the box's inner width
        return 1 + sum(max(1, -(-len(line) // width)) for line in self.note.splitlines())

    @property
    def listed_keys(self) -> list[str]:
        """The key column as shown."""
        return [key for key, _ in self.keys]

    def action_dismiss(self, result: None = None) -> None:  # type: ignore[override]
        """Close the help screen."""
        self.dismiss(result)
