"""`PlanForm`: the session plan of a room — targets, scheduled end and host schedule.

Filled from the room's current plan (the snapshot's `plan`); dismisses with
the `plan` command's args once every field is valid.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Label

from livemon.ui.widgets.forms import FORM_CSS, Invalid, _Form


def parse_whole(text: str, what: str) -> int:
    """A whole number >= 0; empty is 0 (no target).

    >>> parse_whole("", "orders"), parse_whole(" 300 ", "orders")
    (0, 300)
    """
    text = text.strip().replace(",", "")
    if not text:
        return 0
    if not text.isdigit():
        raise Invalid(f"{what} must be a whole number, or empty for none")
    return int(text)


def parse_yuan_target(text: str) -> int:
    """A GMV target in yuan as cents; empty is 0 (no target).

    >>> parse_yuan_target("100,000"), parse_yuan_target("")
    (10000000, 0)
    """
    text = text.strip().replace(",", "")
    if not text:
        return 0
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise Invalid("GMV target must be yuan, e.g. 100000, or empty for none") from None
    if not amount.is_finite() or amount < 0:
        raise Invalid("GMV target must be 0 or more yuan")
    return int(amount * 100)


def parse_units(text: str) -> dict[str, int]:
    """Per-product unit targets written `sku=units, sku=units`.

    >>> parse_units("A1=50, 85123A = 20"), parse_units("")
    ({'units:A1': 50, 'units:85123A': 20}, {})
    """
    out: dict[str, int] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        sku, eq, units = (x.strip() for x in part.partition("="))
        if not eq or not sku or not units.isdigit():
            raise Invalid(f"{part!r}: write sku=units, e.g. A1=50, B2=20")
        out[f"units:{sku}"] = int(units)
    return out


def parse_minutes(text: str) -> float:
    """The scheduled end in minutes from the first event.

    >>> parse_minutes("120")
    7200.0
    """
    try:
        minutes = float(text.strip())
    except ValueError:
        raise Invalid("scheduled end must be minutes from the start, e.g. 120") from None
    if not 0 < minutes <= 7 * 24 * 60:
        raise Invalid("scheduled end must be more than 0 minutes (at most a week)")
    return minutes * 60


SLOT = re.compile(r"^(?P<name>.+?)\s+(?P<start>\d+(?:\.\d+)?)\s*-\s*(?P<end>\d+(?:\.\d+)?)$")


def parse_hosts(text: str) -> list[dict[str, Any]]:
    """A host schedule written `name start-end; name start-end` (minutes from the start).

    >>> [(h["name"], h["start_min"], h["end_min"]) for h in parse_hosts("小美 0-60; Ann Lee 60-90")]
    [('小美', 0.0, 60.0), ('Ann Lee', 60.0, 90.0)]
    """
    slots = []
    for part in filter(None, (p.strip() for p in text.split(";"))):
        match = SLOT.match(part)
        if match is None:
            raise Invalid(f"{part!r}: write name start-end in minutes, e.g. 小美 0-60; 小王 60-120")
        start, end = float(match["start"]), float(match["end"])
        if end <= start:
            raise Invalid(f"{part!r}: the end must be after the start")
        slots.append({"name": match["name"], "start_min": start, "end_min": end})
    return slots


def plan_fields(plan: dict[str, Any]) -> dict[str, str]:
    """The form's initial texts from a snapshot's `plan`.

    >>> plan_fields({"targets": {"gmv_cents": 10_000_000, "orders": 0, "units:A1": 5},
    ...              "duration_s": 7200, "hosts": [{"name": "A", "start_min": 0, "end_min": 60}]})
    {'gmv': '100000', 'orders': '', 'units': 'A1=5', 'end': '120', 'hosts': 'A 0-60'}
    """
    targets = plan.get("targets") or {}
    gmv, orders = targets.get("gmv_cents") or 0, targets.get("orders") or 0
    units = ", ".join(f"{k[6:]}={v}" for k, v in targets.items() if k.startswith("units:") and v)
    hosts = "; ".join(f"{h['name']} {h['start_min']:g}-{h['end_min']:g}"
                      for h in plan.get("hosts") or ())  # fmt: skip
    return {
        "gmv": f"{gmv / 100:g}" if gmv else "",
        "orders": str(orders) if orders else "",
        "units": units,
        "end": f"{float(plan.get('duration_s') or 7200) / 60:g}",
        "hosts": hosts,
    }


class PlanForm(_Form):
    """Edits a room's plan; dismisses with the `plan` command's args."""

    DEFAULT_CSS = (
        FORM_CSS.replace("{cls}", "PlanForm")
        + """
    PlanForm > Vertical {
        width: 76;
        max-width: 100%;
        max-height: 100%;
    }
    """
    )

    def __init__(self, room: str, plan: dict[str, Any]) -> None:
        super().__init__()
        self.room = room
        self.initial = plan_fields(plan)

    def compose(self) -> ComposeResult:
        with Vertical():
            with VerticalScroll():
                yield Label(f"session plan of {self.room} (直播计划)", classes="form-title")
                i = self.initial
                yield from self.field("gmv", "GMV target, yuan (empty: none)", i["gmv"])
                yield from self.field("orders", "orders target (empty: none)", i["orders"])
                yield from self.field("units", "unit targets: sku=units, ...", i["units"],
                                      "e.g. A1=50, B2=20")  # fmt: skip
                yield from self.field("end", "scheduled end, minutes from the start", i["end"])
                yield from self.field("hosts", "host schedule: name start-end; ... (minutes)",
                                      i["hosts"], "e.g. 小美 0-60; 小王 60-120")  # fmt: skip
            yield from self.buttons("save plan")

    def on_mount(self) -> None:
        self.query_one(VerticalScroll).can_focus = False
        self.query_one("#gmv-input").focus()

    def submit(self) -> None:
        """Validate; dismiss with `{targets, duration_s, hosts}` if valid."""
        values = self.validate_fields({
            "gmv": parse_yuan_target, "orders": lambda t: parse_whole(t, "orders target"),
            "units": parse_units, "end": parse_minutes, "hosts": parse_hosts,
        })  # fmt: skip
        if values is None:
            return
        targets = {"gmv_cents": values["gmv"], "orders": values["orders"], **values["units"]}
        self.dismiss({"targets": targets, "duration_s": values["end"], "hosts": values["hosts"]})
