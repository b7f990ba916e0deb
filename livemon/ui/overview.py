"""`OverviewScreen`: every room of the hub at a glance, one row each; enter opens a room.

Rows show the open alerts by severity, online, GMV, conversion, the host on
air and target progress. With tens of rooms each sending up to 10 snapshots
a second, the table is brought up to date from the app's room state twice a
second (and at once when a room appears), not once per snapshot. `/` finds
rooms by name: the rows are narrowed to the rooms whose name holds the text.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Input, Label

from livemon.ui import format as fmt
from livemon.ui.messages import OpenRoom
from livemon.ui.state import RoomView
from livemon.ui.widgets.key_bar import KeyBar
from livemon.ui.widgets.row_cursor import RowTable, row_key_under_cursor
from livemon.ui.widgets.status_bar import StatusBar, on_air
from livemon.ui.widgets.target_bars import progress_cell

REFRESH_S = 0.5
TITLE = "all rooms 全部直播间 — enter opens a room, / finds one"
# The open alerts come second: on a narrow terminal the columns past the width are
# scrolled off, and which rooms need the assistant now matters most.
COLUMNS = (
    ("room", "room", 14),
    ("alerts", "alerts", 16),
    ("online", "online", 9),
    ("gmv", "GMV", 14),
    ("conv", "conv/1k", 8),
    ("host", "on air", 14),
    ("targets", "targets ▲ on pace ▼ behind", 30),
)


def alerts_cell(counts: dict[str, int]) -> Text:
    """Open alerts by severity, crit first and red.

    >>> alerts_cell({"crit": 1, "warn": 2}).plain, alerts_cell({"crit": 0, "warn": 0}).plain
    ('‼ 1 crit  2 warn', '—')
    """
    text = Text()
    if counts.get("crit"):
        text.append(f"‼ {counts['crit']} crit", "bold white on #d70000")
    if counts.get("warn"):
        if text:
            text.append("  ")
        text.append(f"{counts['warn']} warn", "bold #ffaf00")
    return text if text else Text(fmt.DASH, style="dim")


def room_cells(view: RoomView) -> dict[str, Text]:
    """One room's row of the overview."""
    snapshot = view.snapshot
    m = snapshot.get("metrics") or {}
    return {
        "room": Text(view.room, style="bold"),
        "online": Text(fmt.count(m.get("online")), justify="right"),
        "gmv": Text(fmt.money(m.get("gmv_cents")), justify="right"),
        "conv": Text(fmt.decimal(m.get("conv_1m"), 2), justify="right"),
        "host": Text(on_air(snapshot), no_wrap=True),
        "targets": progress_cell(snapshot.get("targets") or []),
        "alerts": alerts_cell(view.alert_counts()),
    }


class RoomFilter(Input):
    """The text rooms are found by; escape clears it (and leaves the overview as it was)."""

    BINDINGS = [Binding("escape", "screen.clear_filter", "clear", show=False)]


class OverviewScreen(Screen[None]):
    """A table of every room; `o` / escape go back, enter opens the room under the cursor,
    `/` narrows the rows to the rooms whose name holds a text."""

    DEFAULT_CSS = """
    OverviewScreen #overview-title {
        padding: 0 1;
        text-style: bold;
        color: $text-muted;
    }
    OverviewScreen DataTable {
        height: 1fr;
    }
    OverviewScreen RoomFilter, OverviewScreen RoomFilter:focus {
        border: none;
        height: 1;
        padding: 0 1;
        background: $boost;
    }
    """

    BINDINGS = [
        Binding("o,escape", "app.overview", "dashboard"),
        Binding("enter", "open_room", "open room", show=True),
        Binding("slash", "find", "find room", key_display="/"),
    ]

    def __init__(self) -> None:
        super().__init__(id="overview")
        self._shown: dict[str, dict[str, Text]] = {}
        self._found_by = ""  # lower case: the rows shown are the rooms whose name holds it

    def compose(self) -> ComposeResult:
        yield Label(TITLE, id="overview-title")
        yield RoomFilter(placeholder="room name holds … (enter: to the list, esc: all rooms)",
                         id="room-filter")  # fmt: skip
        table: DataTable[Text] = RowTable(cursor_type="row", zebra_stripes=True, id="rooms")
        for key, label, width in COLUMNS:
            table.add_column(label, key=key, width=width)
        yield table
        yield StatusBar(id="overview-status")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one(RoomFilter).display = False  # until `/`
        self.table.focus()
        self.watch(self.app, "rooms", lambda _rooms: self.refresh_rows())
        self.set_interval(REFRESH_S, self.refresh_rows)

    @property
    def table(self) -> DataTable:
        return self.query_one("#rooms", DataTable)

    def refresh_rows(self) -> None:
        """Bring every row in line with the app's room state, changing only changed cells."""
        rooms: dict[str, RoomView] = self.app.state.rooms  # type: ignore[attr-defined]
        table, wanted = self.table, self._found_by
        for name, view in list(rooms.items()):
            if wanted and wanted not in name.lower():
                continue
            cells = room_cells(view)
            old = self._shown.get(name)
            if old is None:
                table.add_row(*(cells[key] for key, _, _ in COLUMNS), key=name)
            else:
                for key, text in cells.items():
                    if old[key] != text:
                        table.update_cell(name, key, text)
            self._shown[name] = cells

    def cell_text(self, room: str, column: str) -> str:
        """The plain text of one cell (for tests)."""
        return self._shown[room][column].plain

    def action_find(self) -> None:
        """Show the room filter and type into it."""
        box = self.query_one(RoomFilter)
        box.display = True
        box.focus()

    def action_clear_filter(self) -> None:
        """Every room again, the cursor back on the table."""
        box = self.query_one(RoomFilter)
        box.value = ""
        box.display = False
        self._narrow("")
        self.table.focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._narrow(event.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.table.focus()  # the cursor on the first room found: enter opens it

    def _narrow(self, text: str) -> None:
        """Show only the rooms whose name holds ``text`` (any case; all for "")."""
        text = text.strip().lower()
        if text == self._found_by:
            return
        self._found_by = text
        self.table.clear()
        self._shown.clear()
        self.refresh_rows()
        found = f"rooms whose name holds {text!r}: {self.table.row_count} of "
        total = len(self.app.state.rooms)  # type: ignore[attr-defined]
        self.query_one("#overview-title", Label).update(f"{found}{total}" if text else TITLE)

    def action_open_room(self) -> None:
        """Open the room under the cursor on the dashboard."""
        room = row_key_under_cursor(self.table)
        if room is not None:
            self.post_message(OpenRoom(room))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.post_message(OpenRoom(str(event.row_key.value)))
