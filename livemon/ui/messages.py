"""Textual messages carrying what the hub client receives into the app.

Each wraps one decoded wire map (see docs/protocol.md) so handlers read the same
keys the hub sends; only connection state is livemon's own shape.
"""

from __future__ import annotations

from typing import Any

from textual.message import Message

from livemon.ui.client import ConnectionState

READ_ONLY = "read-only screen: commands need the /control path and a control token (--token)"


class SnapshotReceived(Message):
    """A `snapshot` of one room arrived."""

    def __init__(self, data: dict[str, Any]) -> None:
        super().__init__()
        self.data = data

    def can_replace(self, message: Message) -> bool:
        # Only the newest snapshot of a room matters: a queued older one is dropped.
        return isinstance(message, SnapshotReceived) and message.data.get("room") == self.data.get(
            "room"
        )


class CommentsReceived(Message):
    """A batch of tagged `comments` of one room arrived."""

    def __init__(self, data: dict[str, Any]) -> None:
        super().__init__()
        self.data = data


class AlertReceived(Message):
    """An `alert` changed state (opened, escalated, acked, resolved)."""

    def __init__(self, data: dict[str, Any]) -> None:
        super().__init__()
        self.data = data


class ResultReceived(Message):
    """The hub answered a command with a `result`."""

    def __init__(self, data: dict[str, Any]) -> None:
        super().__init__()
        self.data = data


class ConnectionChanged(Message):
    """The hub connection moved to a new state."""

    def __init__(self, state: ConnectionState) -> None:
        super().__init__()
        self.state = state


class WelcomeReceived(Message):
    """The hub's `welcome`: the session and the facts the console takes from the hub."""

    def __init__(self, data: dict[str, Any]) -> None:
        super().__init__()
        self.data = data


# -- from the screens up to the app -----------------------------------------------


class SendCommand(Message):
    """A screen asks the app to send a command (to `room`, default: the current room)."""

    def __init__(
        self, action: str, args: dict[str, Any], label: str, room: str | None = None
    ) -> None:
        super().__init__()
        self.action = action
        self.args = args
        self.label = label
        self.room = room


class StepRoom(Message):
    """A screen asks for the previous (-1) or next (+1) room."""

    def __init__(self, step: int) -> None:
        super().__init__()
        self.step = step


class OpenRoom(Message):
    """A screen asks to show room `room` on the dashboard."""

    def __init__(self, room: str) -> None:
        super().__init__()
        self.room = room
