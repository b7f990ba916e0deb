"""`ProductTable`: the room's products, updated cell by cell from each snapshot."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.widgets.data_table import RowDoesNotExist

from livemon.ui import format as fmt
from livemon.ui.state import HubFacts
from livemon.ui.widgets.row_cursor import RowTable, row_key_under_cursor

COLUMNS = (
    ("mark", "", 1),
    ("sku", "sku", 8),
    ("name", "name", 24),  # the width is what the other columns leave (at least NAME_MIN)
    ("price", "price", 10),
    ("stock", "stock", 7),
    ("sold", "sold", 6),
    ("rate", "/min", 5),
    ("eta", "ETA", 6),
)
NAME_MIN = 12
NAME_MAX = 60
FEATURED_STYLE = "bold #ffd75f"
RIGHT = {"price", "stock", "sold", "rate", "eta"}


def product_cells(
    product: dict[str, Any], featured: bool, facts: HubFacts | None = None
) -> dict[str, Text]:
    """Render one wire product as the table's cells (nil values as "—").

    Stock and ETA turn yellow under the hub's own `stock_low` thresholds
    (`facts`, from its welcome) and stock red at 0.
    """
    facts = facts or HubFacts()
    stock = product.get("stock")
    eta_s = product.get("eta_s")
    values = {
        "mark": "▶" if featured else "",
        "sku": str(product.get("sku", "")),
        "name": str(product.get("name") or fmt.DASH),
        "price": fmt.money(product.get("price_cents")),
        "stock": fmt.count(stock),
        "sold": fmt.count(product.get("sold")),
        "rate": fmt.decimal(product.get("rate_1m")),
        "eta": fmt.eta(eta_s),
    }
    floor, low_eta = facts.low_floor, facts.low_eta_s
    low = stock is not None and floor is not None and stock < floor
    warn = {
        "stock": "bold red" if stock == 0 else ("yellow" if low else ""),
        "eta": "yellow" if eta_s is not None and low_eta is not None and eta_s < low_eta else "",
    }
    base = FEATURED_STYLE if featured else ""
    return {
        key: Text(
            value,
            style=f"{base} {warn.get(key, '')}".strip(),
            justify="right" if key in RIGHT else "left",
        )
        for key, value in values.items()
    }


class ProductTable(RowTable):
    """A DataTable keyed by sku; `show()` changes only the cells whose text changed."""

    DEFAULT_CSS = """
    ProductTable {
        height: 1fr;
        overflow-x: hidden;
        border: round $primary 50%;
        border-title-color: $text-muted;
    }
    ProductTable:focus {
        border: round $accent;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self.border_title = "products"
        self.featured: str | None = None
        self.facts = HubFacts()
        self._name_width = 0
        # sku -> column -> rendered text, so an unchanged cell is never touched.
        self._shown: dict[str, dict[str, Text]] = {}

    def on_mount(self) -> None:
        self._build_columns()

    def on_resize(self) -> None:
        if self._name_width != self._fitting_name_width():
            self._build_columns()

    def _fitting_name_width(self) -> int:
        # Each cell has one space either side; one column is left for the scrollbar.
        fixed = sum(width + 2 for key, _, width in COLUMNS if key != "name") + 2
        return max(NAME_MIN, min(NAME_MAX, self.size.width - 2 - fixed))

    def _build_columns(self) -> None:
        """(Re)make the columns for the current width, keeping the rows shown."""
        shown, selected = self._shown, self.selected_sku
        self.clear(columns=True)
        self._shown = {}
        self._name_width = self._fitting_name_width()
        for key, label, width in COLUMNS:
            self.add_column(label, key=key, width=self._name_width if key == "name" else width)
        for sku, cells in shown.items():
            self.add_row(*(cells[key] for key, _, _ in COLUMNS), key=sku)
            self._shown[sku] = cells
        self._featured_first(keep=selected)

    def _featured_first(self, keep: str | None = None) -> None:
        """The featured product on the top row, the others in listing order; the cursor
        stays on the product `keep` (the one the assistant was on), else on the top row."""
        order = {sku: i for i, sku in enumerate(self._shown)}
        featured = self.featured
        self.sort("sku", key=lambda cell: (cell.plain != featured, order.get(cell.plain, 0)))
        if keep is not None and keep in self._shown:
            self.move_cursor(row=self.get_row_index(keep), animate=False)

    @property
    def selected_sku(self) -> str | None:
        """The sku of the row under the cursor, or None when the table is empty."""
        return row_key_under_cursor(self)

    def cell_text(self, sku: str, column: str) -> str:
        """The plain text shown in one cell (for tests and the stage screen)."""
        return self._shown[sku][column].plain

    def show(self, products: list[dict[str, Any]], featured: str | None) -> None:
        """Bring the table in line with a snapshot's products and featured sku (shown first)."""
        moved = featured != self.featured
        # Once the table is filled, the cursor stays on its product when rows move.
        keep = self.selected_sku if self._shown else None
        self.featured = featured
        seen: set[str] = set()
        for product in products:
            sku = str(product.get("sku", ""))
            seen.add(sku)
            cells = product_cells(product, sku == featured, self.facts)
            old = self._shown.get(sku)
            if old is None:
                self.add_row(*(cells[key] for key, _, _ in COLUMNS), key=sku)
                moved = True
            else:
                for key, text in cells.items():
                    if old[key] != text:
                        self.update_cell(sku, key, text)
            self._shown[sku] = cells
        for sku in set(self._shown) - seen:
            del self._shown[sku]
            try:
                self.remove_row(sku)
            except RowDoesNotExist:
                pass
        if moved:
            self._featured_first(keep=keep)

    @property
    def skus(self) -> list[str]:
        """The skus top to bottom, as shown."""
        return [str(row.key.value) for row in self.ordered_rows]

    @property
    def name_width(self) -> int:
        """The width of the name column now."""
        return self._name_width

    def clear_products(self) -> None:
        """Empty the table (when the console switches rooms)."""
        self.clear()
        self._shown.clear()
