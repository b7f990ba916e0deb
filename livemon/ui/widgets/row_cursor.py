"""The tables of rows the console acts on: their keys, and the row under the cursor."""

from __future__ import annotations

from textual.binding import Binding
from textual.widgets import DataTable
from textual.widgets.data_table import CellDoesNotExist


class RowTable(DataTable):
    """A table with a row cursor: home and end go to the first and the last row (a plain
    ``DataTable`` takes them to the first and last column, which a row cursor never
    leaves), as in a list of 500 rooms one expects."""

    BINDINGS = [
        Binding("home", "scroll_top", "first row", show=False),
        Binding("end", "scroll_bottom", "last row", show=False),
    ]


def row_key_under_cursor(table: DataTable) -> str | None:
    """The key of the row under ``table``'s cursor, or None when there is no such row."""
    if not table.row_count:
        return None
    try:
        row_key, _ = table.coordinate_to_cell_key(table.cursor_coordinate)
    except CellDoesNotExist:
        return None
    return None if row_key.value is None else str(row_key.value)
