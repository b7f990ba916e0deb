"""The key of the row under a DataTable's cursor, shared by the tables that act on it."""

from __future__ import annotations

from textual.widgets import DataTable
from textual.widgets.data_table import CellDoesNotExist


def row_key_under_cursor(table: DataTable) -> str | None:
    """The key of the row under ``table``'s cursor, or None when there is no such row."""
    if not table.row_count:
        return None
    try:
        row_key, _ = table.coordinate_to_cell_key(table.cursor_coordinate)
    except CellDoesNotExist:
        return None
    return None if row_key.value is None else str(row_key.value)
