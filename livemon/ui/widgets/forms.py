"""Modal forms for commands: `CouponForm` and the one-field `PromptForm`.

Each validates on submit, shows what is wrong next to the field, and
dismisses with the command's `args` only when everything is valid, so an
invalid form never sends anything.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label


class Invalid(ValueError):
    """A field value was rejected; the message tells the user what to type."""


def parse_yuan(text: str) -> int:
    """Parse a yuan amount like "5" or "12.5" into positive cents.

    >>> parse_yuan("12.5"), parse_yuan(" 0.01 ")
    (1250, 1)
    >>> parse_yuan("abc")
    Traceback (most recent call last):
    ...
    livemon.ui.widgets.forms.Invalid: discount must be a number of yuan, e.g. 5 or 12.50
    """
    try:
        amount = Decimal(text.strip())
    except InvalidOperation:
        raise Invalid("discount must be a number of yuan, e.g. 5 or 12.50") from None
    if not amount.is_finite() or amount <= 0:
        raise Invalid("discount must be more than 0")
    cents = amount * 100
    if cents != cents.to_integral_value():
        raise Invalid("discount has at most 2 decimals (fen)")
    return int(cents)


def parse_positive_int(text: str, what: str) -> int:
    """Parse a whole number ≥ 1.

    >>> parse_positive_int("20", "count")
    20
    """
    try:
        value = int(text.strip())
    except ValueError:
        raise Invalid(f"{what} must be a whole number, e.g. 100") from None
    if value < 1:
        raise Invalid(f"{what} must be at least 1")
    return value


FORM_CSS = """
{cls} {
    align: center middle;
}
{cls} > Vertical {
    width: 64;
    height: auto;
    border: thick $accent;
    background: $surface;
    padding: 1 2;
}
{cls} .form-title {
    text-style: bold;
    margin-bottom: 1;
}
{cls} .field-label {
    margin-top: 1;
}
{cls} .field-error {
    color: $error;
    height: auto;
}
{cls} .field-error.-empty {
    display: none;
}
{cls} Horizontal {
    height: auto;
    margin-top: 1;
    align-horizontal: right;
}
{cls} Button {
    margin-left: 2;
}
"""


class _Form(ModalScreen[dict[str, Any] | None]):
    """Shared behaviour: escape cancels, enter in any field submits, errors shown inline."""

    BINDINGS = [Binding("escape", "cancel", "cancel")]

    def field(self, name: str, label: str, value: str = "", placeholder: str = "") -> ComposeResult:
        yield Label(label, classes="field-label")
        yield Input(value=value, placeholder=placeholder, id=f"{name}-input")
        yield Label("", id=f"{name}-error", classes="field-error -empty")

    def buttons(self, ok: str) -> ComposeResult:
        with Horizontal():
            yield Button("cancel", id="cancel")
            yield Button(ok, id="ok", variant="primary")

    def value(self, name: str) -> str:
        return self.query_one(f"#{name}-input", Input).value

    def show_error(self, name: str, message: str) -> None:
        label = self.query_one(f"#{name}-error", Label)
        label.update(f"✕ {message}" if message else "")
        label.set_class(not message, "-empty")

    def validate_fields(self, parsers: dict[str, Callable[[str], Any]]) -> dict[str, Any] | None:
        """Run each field's parser; show every error at once; None if any failed."""
        values: dict[str, Any] = {}
        first_bad: str | None = None
        for name, parse in parsers.items():
            try:
                values[name] = parse(self.value(name))
                self.show_error(name, "")
            except Invalid as exc:
                self.show_error(name, str(exc))
                first_bad = first_bad or name
        if first_bad is not None:
            self.query_one(f"#{first_bad}-input", Input).focus()
            return None
        return values

    def submit(self) -> None:
        raise NotImplementedError

    @on(Input.Submitted)
    @on(Button.Pressed, "#ok")
    def _submit(self) -> None:
        self.submit()

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        """Close without sending anything."""
        self.dismiss(None)


class CouponForm(_Form):
    """Asks for discount (yuan), count, sku and expiry; dismisses with `coupon` args."""

    DEFAULT_CSS = FORM_CSS.replace("{cls}", "CouponForm")

    def __init__(self, sku: str | None = None) -> None:
        super().__init__()
        self.sku = sku or ""

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("issue a coupon (发券)", classes="form-title")
            yield from self.field("discount", "discount, yuan", placeholder="e.g. 5 or 12.50")
            yield from self.field("count", "how many coupons", value="100")
            yield from self.field("sku", "for product (sku; empty = whole room)", value=self.sku)
            yield from self.field("expires", "expires after, minutes (empty = never)", value="10")
            yield from self.buttons("issue")

    def submit(self) -> None:
        """Validate; dismiss with `{discount_cents, count, sku?, expires_s?}` if valid."""

        def expiry(text: str) -> int | None:
            if not text.strip():
                return None
            try:
                minutes = Decimal(text.strip())
            except InvalidOperation:
                raise Invalid("expiry must be a number of minutes, or empty") from None
            if not minutes.is_finite() or minutes <= 0:
                raise Invalid("expiry must be more than 0 minutes, or empty")
            return int(minutes * 60)

        values = self.validate_fields(
            {
                "discount": parse_yuan,
                "count": lambda text: parse_positive_int(text, "count"),
                "sku": str.strip,
                "expires": expiry,
            }
        )
        if values is None:
            return
        args: dict[str, Any] = {"discount_cents": values["discount"], "count": values["count"]}
        if values["sku"]:
            args["sku"] = values["sku"]
        if values["expires"] is not None:
            args["expires_s"] = values["expires"]
        self.dismiss(args)


class PromptForm(_Form):
    """A one-field form; `parse` turns the text into the command's args or raises `Invalid`."""

    DEFAULT_CSS = FORM_CSS.replace("{cls}", "PromptForm")

    def __init__(
        self,
        title: str,
        label: str,
        parse: Callable[[str], dict[str, Any]],
        *,
        ok: str = "send",
        value: str = "",
        placeholder: str = "",
    ) -> None:
        super().__init__()
        self.title_text = title
        self.label_text = label
        self.parse = parse
        self.ok = ok
        self.initial = value
        self.placeholder = placeholder

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.title_text, classes="form-title")
            yield from self.field("answer", self.label_text, self.initial, self.placeholder)
            yield from self.buttons(self.ok)

    def submit(self) -> None:
        """Validate the field; dismiss with the parsed args if valid."""
        values = self.validate_fields({"answer": self.parse})
        if values is not None:
            self.dismiss(values["answer"])
