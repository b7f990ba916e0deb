"""`HelpScreen`: a modal listing every key of the console and what it does."""

from __future__ import annotations

from collections.abc import Iterable

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Label


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
            table: DataTable[str] = DataTable(show_cursor=False, id="help-keys")
            table.add_columns("key", "what it does")
            table.add_rows(self.keys)
            yield table
            if self.note:
                yield Label(self.note, classes="help-note")

    def on_resize(self) -> None:
        # The key list scrolls (↑/↓, page keys) when the terminal is too short for it.
        table = self.query_one("#help-keys", DataTable)
        table.styles.max_height = max(3, self.size.height - 6 - (2 if self.note else 0))

    @property
    def listed_keys(self) -> list[str]:
        """The key column as shown."""
        return [key for key, _ in self.keys]

    def action_dismiss(self, result: None = None) -> None:  # type: ignore[override]
        """Close the help screen."""
        self.dismiss(result)
