"""``livemon cluster``: the hubs of a cluster, the rooms each folds, their lag, the stream."""

from __future__ import annotations

import json
from typing import Any

from livemon.cluster import subjects as s
from livemon.cluster.bus import Bus


async def status(url: str) -> dict[str, Any]:
    """The cluster on the NATS server at ``url`` as plain data (what ``--json`` prints)."""
    bus = await Bus(url, name="livemon cluster").connect(timeout_s=5)
    try:
        hubs = await bus.hubs_now()
        owners = await bus.owners_now()
        rooms = await bus.rooms()
        assert bus.js is not None
        info = await bus.js.stream_info(s.STREAM)
    finally:
        await bus.close()
    return {
        "hubs": [
            {"hub": h["ws"], "pid": h["pid"], "rooms": h["rooms"]}
            for _, h in sorted(hubs.items(), key=lambda kv: kv[1]["ws"])
        ],
        "unowned": sorted(r for r in rooms if r not in owners),
        "stream": {
            "name": s.STREAM,
            "messages": info.state.messages,
            "bytes": info.state.bytes,
            "rooms": len(rooms),
        },  # fmt: skip
    }


def render(data: dict[str, Any]) -> str:
    """The status as text: a line per hub, then its rooms with their lag."""
    stream = data["stream"]
    lines = [f"stream {stream['name']}: {stream['messages']:,} messages, "
             f"{stream['bytes'] / 1e6:,.1f} MB, {stream['rooms']} rooms"]  # fmt: skip
    for hub in data["hubs"]:
        rooms = hub["rooms"]
        lines.append(f"hub {hub['hub']} pid {hub['pid']}: {len(rooms)} rooms")
        for room, r in sorted(rooms.items()):
            state = "" if r["ready"] else "  (rebuilding)"
            lines.append(f"  {room:<24} lag {r['lag']:>6}{state}")
    if not data["hubs"]:
        lines.append("no hub is running on this bus")
    if data["unowned"]:
        lines.append(f"rooms no hub folds yet: {', '.join(data['unowned'])}")
    return "\n".join(lines)


def as_json(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2)
