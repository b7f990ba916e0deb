"""The adapter runner sends what an adapter yields in frames the hub takes, however big the batch.

The hub closes 1009 on a frame of more than 10,000 events or 4 MiB; a runner
that sent such a batch as one frame sent it again after every reconnect and
never delivered anything after it.
"""

from __future__ import annotations

import asyncio

import pytest

from livemon import config
from livemon.adapters.base import Adapter
from livemon.adapters.remote import RemoteRunner
from livemon.hub import Hub

TOKENS = {"ingest": "ti", "watch": "tw", "control": "tc"}
T0 = 1_767_225_600.0


@pytest.fixture
async def hub(tmp_path):
    server = Hub(config.load(), tmp_path, tokens=TOKENS)
    await server.start("127.0.0.1", 0)
    yield server
    await server.stop()


class Bulky(Adapter):
    """Yields a batch of 10,001 likes, one of ~4.5 MB of comments, and one event over 4 MiB."""

    name = "bulky"

    async def batches(self):
        yield [{"type": "like", "room": self.room, "ts": T0, "n": 1}] * 10_001
        yield [{"type": "comment", "room": self.room, "ts": T0 + 1, "user": "u",
                "text": "字" * 1000}] * 1_500  # fmt: skip
        yield [{"type": "like", "room": self.room, "ts": T0 + 2, "n": 7, "pad": "x" * 2**22},
               {"type": "live", "room": self.room, "ts": T0 + 3, "on": False}]  # fmt: skip


async def test_oversized_batches_are_split_and_delivered_whole(hub):
    """A batch over 10,000 events or 4 MiB reaches the hub split into frames it takes, every
    event counted once; an event over 4 MiB on its own is reported and skipped, the rest
    delivered."""
    runner = RemoteRunner(Bulky(room="r1"), hub.url(), TOKENS["ingest"])
    await asyncio.wait_for(runner.run(retry_s=0.05, max_retry_s=0.1), 20)
    state = hub.engine.rooms["r1"]
    assert state.metrics()["likes"] == 10_001
    assert state.metrics()["comments"] == 1_500
    assert runner.rejected == [(11_502, "event is over the hub's 4 MiB frame limit on its own: "
                                        "not sent")]  # fmt: skip
    assert not runner.buffer and runner.delivered == 10_001 + 1_500 + 2
