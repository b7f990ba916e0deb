"""``wsjson``: any websocket that sends JSON or MessagePack, mapped to events in config.

For a platform livemon does not speak (快手, 视频号, 淘宝直播), a user's own
scraper can serve its messages on a websocket; a small declarative mapping
(``mapping.py``) says which message becomes which event. The connection is
kept by :class:`livemon.adapters.feed.WebsocketFeed`: with no ``heartbeat``
text it sends websocket pings, whose pongs keep a quiet feed alive.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Hashable, Mapping
from typing import Any, ClassVar

import msgpack

from livemon.adapters.base import Option
from livemon.adapters.feed import TIMING_OPTIONS, Decoded, Target, WebsocketFeed
from plugins.wsjson.mapping import MISSING, MapOption, MappingError, build, dig, sample

__all__ = ["WsJsonAdapter"]

log = logging.getLogger("livemon.wsjson")
FORMATS = ("auto", "json", "msgpack")
LOGGED_ERRORS = 20  # mapping errors logged one by one; past that, every 1000th


class WsJsonAdapter(WebsocketFeed):
    """Events from a JSON / MessagePack websocket through a mapping in config."""

    name = "wsjson"
    description = "any websocket sending JSON or MessagePack, mapped to events in config"
    options: ClassVar[Mapping[str, Option]] = {
        "server": Option(str, "", "websocket URL of the feed (required)"),
        "format": Option(str, "auto", "json, msgpack, or auto (text frames JSON, binary msgpack)"),
        "kind": Option(str, "type", "dotted path of the field that names a message's kind"),
        "id": Option(str, "", "dotted path of a message id, to drop resent messages (optional)"),
        "ts": Option(str, "", "dotted path of the event time, epoch s or ms (default: arrival)"),
        "items": Option(str, "", "dotted path of a list of messages in one frame (optional)"),
        "hello": Option(str, "", "text sent once on connect (a subscribe message; optional)"),
        "heartbeat": Option(str, "", "text sent every heartbeat_s (default: websocket pings)"),
        "end_on_live_off": Option(bool, True, "a mapped live event with on = false ends the feed"),
        "map": MapOption(dict, None, "message kind -> event: type and a dotted path per field"),
        **TIMING_OPTIONS,
        "assume_live": Option(
            bool, False, "say live on when the feed first comes up (default: map a live message)"
        ),
    }

    def __init__(self, room: str = "room-1", **options: Any) -> None:
        super().__init__(room, **options)
        s = self.settings
        if not s["server"]:
            raise ValueError("wsjson needs server=ws://... (the websocket to read)")
        if s["format"] not in FORMATS:
            raise ValueError(f"option format must be one of {', '.join(FORMATS)}, "
                             f"got {s['format']!r}")  # fmt: skip
        if s["map"] is None:
            raise ValueError(
                "wsjson needs a mapping: [adapters.wsjson.map.KIND] tables in config, each with "
                "type = an event type and a dotted path per field (see config/wsjson.toml)"
            )
        self.mapping = s["map"]
        self.ignored: dict[str, int] = {}
        self.errors = 0
        self.last_error = ""

    async def target(self) -> Target:
        """The configured websocket."""
        return Target(self.settings["server"])

    async def opened(self, ws) -> None:
        """Send ``hello`` if configured."""
        if self.settings["hello"]:
            await ws.send(self.settings["hello"])

    def heartbeat(self) -> str | None:
        """The ``heartbeat`` text, or None for websocket pings."""
        return self.settings["heartbeat"] or None

    def decode(self, data: bytes | str, now: float) -> Decoded:
        """The events of one frame's messages; a message that does not fit is skipped, named."""
        out = Decoded()
        try:
            payload = self._parse(data)
        except ValueError as exc:
            self._error(f"wsjson: a frame that is not {self.settings['format']} ({exc}): "
                        f"{data[:120]!r}")  # fmt: skip
            return out
        messages = payload
        if self.settings["items"]:
            messages = dig(payload, self.settings["items"])
            if messages is MISSING:
                messages = [payload]  # a frame without the list is one message
        if not isinstance(messages, list):
            messages = [messages]
        for message in messages:
            try:
                self._message(message, now, out)
            except MappingError as exc:
                self._error(str(exc))
        return out

    def _parse(self, data: bytes | str) -> Any:
        fmt = self.settings["format"]
        if isinstance(data, str) or fmt == "json" or (
            fmt == "auto" and data[:1] in (b"{", b"[")
        ):  # fmt: skip
            return json.loads(data)
        try:
            return msgpack.unpackb(data, raw=False, strict_map_key=False)
        except (msgpack.UnpackException, ValueError) as exc:
            raise ValueError(f"msgpack: {exc}") from None

    def _message(self, message: Any, now: float, out: Decoded) -> None:
        s = self.settings
        kind = dig(message, s["kind"])
        if kind is MISSING:
            raise MappingError(f"wsjson: kind: no field {s['kind']!r} in message {sample(message)}")
        entry = self.mapping.get(str(kind))
        if entry is None:
            self.ignored[str(kind)] = self.ignored.get(str(kind), 0) + 1
            return
        ts = now
        if s["ts"]:
            ts = _epoch(dig(message, s["ts"]), s["ts"], message)
        event = build(entry, message, self.room, ts)
        key: Hashable | None = None
        if s["id"]:
            found = dig(message, s["id"])
            if found is not MISSING and found is not None:
                key = ("wsjson", str(found))
        out.events.append((key, event))
        if event["type"] == "live" and event["on"] is False and s["end_on_live_off"]:
            out.ended = True

    def _error(self, text: str) -> None:
        self.errors += 1
        self.last_error = text
        if self.errors <= LOGGED_ERRORS or self.errors % 1000 == 0:
            log.warning("%s (%d skipped so far)", text, self.errors)
        if self.errors == 1:  # shown on the console's feed line until the next state change
            self.set_feed_state(self.feed_state, f"skipping messages: {text[:200]}")


def _epoch(value: Any, path: str, message: Any) -> float:
    """Seconds since the epoch from seconds or milliseconds; MappingError naming ``ts``."""
    if value is MISSING:
        raise MappingError(f"wsjson: ts: no field {path!r} in message {sample(message)}")
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            pass
    if not isinstance(value, int | float) or isinstance(value, bool) or value <= 0:
        raise MappingError(f"wsjson: ts: field {path!r} is {value!r}, not epoch seconds or "
                           f"milliseconds, in message {sample(message)}")  # fmt: skip
    return value / 1000 if value > 1e11 else float(value)
