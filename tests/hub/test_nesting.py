"""Deep nesting: a frame nested past the decoder's depth closes with 1002 and a one-line
reason (before, 1011 and a traceback), and nothing else is lost."""

from __future__ import annotations

import logging

from websockets.exceptions import ConnectionClosed

from tests.hub.test_bad_input import bad_frame_closes_only_its_connection, like

DEPTH = 100_000


def nested(prefix: bytes) -> bytes:
    """A MessagePack map whose last value is an array nested ``DEPTH`` levels deep."""
    return prefix + b"\x91" * DEPTH + b"\x01"


async def close_of(client) -> tuple[int, str]:
    """The close code and reason the hub sent this client."""
    try:
        while True:
            await client.recv()
    except ConnectionClosed as exc:
        assert exc.rcvd is not None
        return exc.rcvd.code, exc.rcvd.reason


async def test_deep_events_frame_closes_1002_without_a_traceback(raw, caplog):
    """An events frame nested 100,000 deep closes its connection with 1002; a bystander adapter
    and the sender's earlier events are counted; the hub logs no traceback."""
    caplog.set_level(logging.WARNING)

    async def send(c):
        await c.ws.send(nested(b"\x83\xa2op\xa6events\xa3seq\x04\xa6events\x91"))

    await bad_frame_closes_only_its_connection(raw, send, 1002)
    assert not [r for r in caplog.records if r.exc_info], "no traceback"


async def test_deep_hello_and_command_get_a_one_line_reason(raw):
    """A deeply nested hello, or command on /control, gets 1002 with a one-line reason naming
    the nesting; a console connecting afterwards is served."""
    hello = await raw.connect("/watch")
    await hello.ws.send(nested(b"\x82\xa2op\xa5hello\xa1x"))
    code, reason = await close_of(hello)
    assert code == 1002 and "nests" in reason and "\n" not in reason
    controller = await raw.console("/control")
    await controller.ws.send(nested(b"\x82\xa2op\xa7command\xa4args"))
    code, reason = await close_of(controller)
    assert code == 1002 and "too deeply" in reason
    feed = await raw.adapter("feed", ("r1",))
    await feed.events(1, [like(0, 5)])
    await feed.wait_ack(1)
    assert (await raw.snapshot("r1"))["metrics"]["likes"] == 5
