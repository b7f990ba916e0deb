"""`livemon stage --web PORT --host 0.0.0.0`: the page a tablet loads links to an address it
can open, not to 0.0.0.0. A real hub, the stage server as a subprocess, plain HTTP."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from livemon import config
from livemon.hub import Hub
from tests.ui.test_stage_web import TOKENS, free_port, stop, until


async def test_stage_web_on_every_address_links_its_page_to_a_reachable_one(tmp_path: Path):
    """Bound to 0.0.0.0, the served page's scripts, styles and websocket point at this
    machine's address (they pointed at http://0.0.0.0:PORT, which a tablet cannot open)."""
    hub = Hub(config.load(), tmp_path / "rec", tokens=TOKENS)
    await hub.start("127.0.0.1", 0)
    port = free_port()
    stage = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "livemon.cli", "stage", "--web", str(port), "--host", "0.0.0.0",
        "--url", hub.url(), env={**os.environ, "LIVEMON_WATCH_TOKEN": TOKENS["watch"]},
        start_new_session=True, stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:

        async def page() -> str:
            try:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
            except OSError:
                return ""
            writer.write(f"GET / HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode())
            body = await asyncio.wait_for(reader.read(), 10)
            writer.close()
            return body.decode(errors="replace")

        html = await until(page, "the stage page", 60)
        assert "0.0.0.0" not in html
        assert f":{port}/static/" in html and "ws://" in html
        assert stage.stderr is not None
        said = (await asyncio.wait_for(stage.stderr.readline(), 10)).decode()
        assert said.startswith("livemon stage on http://") and "0.0.0.0:" in said, said
        assert f"http://0.0.0.0:{port}" not in said  # the address to open is a real one
    finally:
        await stop(stage)
        await hub.stop()
