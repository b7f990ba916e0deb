"""`ConfirmCommand`: a modal that shows exactly which command will be sent, and asks.

Answered with y / enter (send) or n / escape (do not send); the buttons do
the same for the mouse but never take focus, so enter always means "send"
and escape always means "cancel".
"""

from __future__ import annotations

import json
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static


def wire_text(room: str, action: str, args: dict[str, Any]) -> str:
    """The command as it goes on the wire (less `op` and `id`), one key per line.

    >>> print(wire_text("room-1", "feature", {"sku": "A1"}))
    room:   room-1
    action: feature
    args:   {"sku": "A1"}
    """
    return (
        f"room:   {room}\naction: {action}\n"
        f"args:   {json.dumps(args, ensure_ascii=False, sort_keys=False)}"
    )


class ConfirmCommand(ModalScreen[bool]):
    """Asks whether to send `action` with `args` to `room`; dismisses with True to send."""

    DEFAULT_CSS = """
    ConfirmCommand {
        align: center middle;
    }
    ConfirmCommand > Vertical {
        width: 76;
        height: auto;
        border: thick $warning;
        background: $surface;
        padding: 1 2;
    }
    ConfirmCommand .confirm-title {
        text-style: bold;
    }
    ConfirmCommand .confirm-why {
        color: $text-muted;
        margin-top: 1;
    }
    ConfirmCommand #confirm-wire {
        margin-top: 1;
        padding: 0 1;
        background: $panel;
    }
    ConfirmCommand Horizontal {
        height: auto;
        margin-top: 1;
        align-horizontal: right;
    }
    ConfirmCommand Button {
        margin-left: 2;
    }
    """

    BINDINGS = [
        Binding("y,enter", "answer(True)", "send"),
        Binding("n,escape", "answer(False)", "cancel"),
    ]

    def __init__(
        self, title: str, room: str, action: str, args: dict[str, Any], why: str = ""
    ) -> None:
        super().__init__()
        self.title_text = title
        self.why = why
        self.wire = wire_text(room, action, args)

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.title_text, classes="confirm-title")
            if self.why:
                yield Label(self.why, classes="confirm-why")
            yield Static(self.wire, id="confirm-wire", markup=False)
            with Horizontal():
                no = Button("no (n / esc)", id="no")
                yes = Button("send (y / enter)", id="yes", variant="warning")
                no.can_focus = yes.can_focus = False
                yield no
                yield yes

    @on(Button.Pressed, "#yes")
    def _yes(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#no")
    def _no(self) -> None:
        self.dismiss(False)

    def action_answer(self, send: bool) -> None:
        """Close, answering whether to send."""
        self.dismiss(send)
