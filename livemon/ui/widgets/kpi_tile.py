"""`KpiTile`: one headline number with a caption, a sub-line and an optional curve."""

from __future__ import annotations

from collections.abc import Sequence

from textual.app import ComposeResult
from textual.widget import Widget
from textual.widgets import Label, Sparkline


class KpiTile(Widget):
    """A titled tile showing a value, a secondary line and, if `spark`, a Sparkline.

    `show()` updates the tile in place; it only touches the children whose
    text or data changed, so 10 snapshots a second cost next to nothing.
    """

    DEFAULT_CSS = """
    KpiTile {
        width: 1fr;
        height: 7;
        border: round $primary 50%;
        border-title-color: $text-muted;
        padding: 0 1;
    }
    KpiTile .kpi-value {
        text-style: bold;
        color: $text;
        width: 1fr;
    }
    KpiTile .kpi-sub {
        color: $text-muted;
        width: 1fr;
    }
    KpiTile Sparkline {
        height: 2;
        margin-top: 1;
    }
    KpiTile .kpi-short {
        display: none;
        color: $text-muted;
        width: auto;
        margin-right: 1;
    }
    """

    def __init__(
        self, title: str, *, short: str = "", spark: bool = False, id: str | None = None
    ) -> None:
        super().__init__(id=id)
        self.border_title = title
        self._short = short or title
        self._spark = spark
        self._value = ""
        self._sub = ""

    def compose(self) -> ComposeResult:
        yield Label(self._short, classes="kpi-short")
        yield Label("—", classes="kpi-value")
        yield Label("", classes="kpi-sub")
        if self._spark:
            yield Sparkline([], summary_function=max)

    @property
    def value_text(self) -> str:
        """The value as currently shown."""
        return self._value

    @property
    def sub_text(self) -> str:
        """The secondary line as currently shown."""
        return self._sub

    def show(self, value: str, sub: str = "", history: Sequence[float] | None = None) -> None:
        """Display `value`, the secondary line `sub` and, for a curve tile, `history`."""
        if value != self._value:
            self._value = value
            self.query_one(".kpi-value", Label).update(value)
        if sub != self._sub:
            self._sub = sub
            self.query_one(".kpi-sub", Label).update(sub)
        if self._spark and history is not None:
            self.query_one(Sparkline).data = list(history)
