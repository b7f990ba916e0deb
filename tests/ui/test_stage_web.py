"""`livemon stage --web` in a real browser: a hub, the stage server as a subprocess, and headless
Chromium driven over the DevTools protocol (websockets), which screenshots the page."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import json
import os
import shutil
import signal
import socket
import sys
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.client import connect

from livemon import config, wire
from livemon.hub import Hub

TOKENS = {"ingest": "ingest-token-0123456", "watch": "watch-token-01234567",
          "control": "control-token-012345"}  # fmt: skip
T0 = 1_767_225_600.0
GMV_TEXT = "¥123,456.78"  # 2 units at ¥61,728.39
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
DEADLINE_S = 60.0
# Keeps every byte the page's terminal receives, as text: what xterm.js is given to draw.
HOOK = """
window.__term = '';
(() => {
  const Native = window.WebSocket, decoder = new TextDecoder();
  window.WebSocket = function (url, protocols) {
    const ws = new Native(url, protocols);
    ws.addEventListener('message', (e) => {
      if (typeof e.data !== 'string') {
        window.__term += decoder.decode(new Uint8Array(e.data), {stream: true});
      }
    });
    return ws;
  };
  window.WebSocket.prototype = Native.prototype;
})();
"""

pytestmark = pytest.mark.skipif(
    not os.path.exists(CHROMIUM) and not os.environ.get("CI"),
    reason="needs Debian's chromium (CI installs it: .ci/run)",
)


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def events() -> list[dict[str, Any]]:
    """A room with one featured product, 1,234 viewers and GMV ¥123,456.78."""
    base = {"room": "room-1"}
    return [
        {**base, "type": "product", "ts": T0, "sku": "A1", "name": "羊毛围巾 wool scarf",
         "price_cents": 6_172_839, "stock": 5},
        {**base, "type": "featured", "ts": T0, "sku": "A1"},
        {**base, "type": "viewers", "ts": T0 + 1, "online": 1234},
        {**base, "type": "order", "ts": T0 + 2, "order_id": "o1", "sku": "A1", "qty": 2,
         "price_cents": 6_172_839, "buyer": "b1"},
    ]  # fmt: skip


class DevTools:
    """A minimal Chrome DevTools Protocol client: commands by id, one flat session."""

    def __init__(self, ws) -> None:
        self.ws = ws
        self.ids = itertools.count(1)
        self.waiting: dict[int, asyncio.Future] = {}
        self.reader = asyncio.create_task(self._read())
        self.session: str | None = None

    async def _read(self) -> None:
        async for raw in self.ws:
            message = json.loads(raw)
            future = self.waiting.pop(message.get("id"), None)
            if future is not None and not future.done():
                future.set_result(message)

    async def call(self, method: str, **params: Any) -> dict[str, Any]:
        """Send one command (to the attached page, once attached) and return its result."""
        command_id = next(self.ids)
        message: dict[str, Any] = {"id": command_id, "method": method, "params": params}
        if self.session is not None:
            message["sessionId"] = self.session
        future = asyncio.get_running_loop().create_future()
        self.waiting[command_id] = future
        await self.ws.send(json.dumps(message))
        reply = await asyncio.wait_for(future, DEADLINE_S)
        if "error" in reply:
            raise AssertionError(f"{method}: {reply['error']}")
        return reply["result"]

    async def evaluate(self, expression: str) -> Any:
        result = await self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        return result["result"].get("value")


async def until(check, what: str, deadline_s: float = DEADLINE_S) -> Any:
    """Await `check()` every 0.25 s until it returns something truthy; fail after the deadline."""
    loop = asyncio.get_running_loop()
    end = loop.time() + deadline_s
    while True:
        value = await check()
        if value:
            return value
        if loop.time() > end:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.25)


async def stop(process: asyncio.subprocess.Process) -> None:
    """End a process this test started, and the processes it started (its own group)."""
    if process.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            await asyncio.wait_for(process.wait(), 10)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            await process.wait()


async def test_stage_web_shows_gmv_in_headless_chromium(tmp_path: Path):
    """`livemon stage --web PORT` serves the stage screen: a headless Chromium page gets the
    room's GMV figure in its terminal, and its screenshot is a real picture of the page."""
    hub = Hub(config.load(), tmp_path / "rec", tokens=TOKENS)
    await hub.start("127.0.0.1", 0)
    processes: list[asyncio.subprocess.Process] = []
    try:
        hub.ingest_frame("test", "room-1", wire.encode_batch(1, events()))
        port = free_port()
        env = {**os.environ, "LIVEMON_WATCH_TOKEN": TOKENS["watch"]}
        stage = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "livemon.cli", "stage", "--web", str(port),
            "--url", hub.url(), "--room", "room-1",
            env=env, start_new_session=True,
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        processes.append(stage)

        async def listening() -> bool:
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", port)
            except OSError:
                return False
            writer.close()
            return True

        await until(listening, "the stage server to listen")
        profile = tmp_path / "chromium"
        browser = await asyncio.create_subprocess_exec(
            CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
            "--no-first-run", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", f"--user-data-dir={profile}", "--remote-debugging-port=0",
            "--window-size=1280,800", "about:blank",
            start_new_session=True,
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
        )  # fmt: skip
        processes.append(browser)
        active = profile / "DevToolsActivePort"

        async def devtools_port() -> list[str]:
            return active.read_text().split() if active.exists() else []

        debug_port, path = (await until(devtools_port, "Chromium's DevTools port"))[:2]
        async with connect(f"ws://127.0.0.1:{debug_port}{path}", max_size=None) as ws:
            tools = DevTools(ws)
            target = await tools.call("Target.createTarget", url="about:blank")
            attached = await tools.call(
                "Target.attachToTarget", targetId=target["targetId"], flatten=True
            )
            tools.session = attached["sessionId"]
            await tools.call("Page.enable")
            await tools.call("Page.addScriptToEvaluateOnNewDocument", source=HOOK)
            await tools.call("Page.navigate", url=f"http://127.0.0.1:{port}/")

            async def gmv_shown() -> bool:
                return GMV_TEXT in (await tools.evaluate("window.__term || ''") or "")

            await until(gmv_shown, f"the page's terminal to show {GMV_TEXT}")
            term = await tools.evaluate("window.__term")
            assert "NOW SELLING" in term and "wool scarf" in term

            async def drawn() -> bytes | None:
                """A screenshot once xterm.js has drawn what it was given (a blank page
                compresses to a few KB); a loaded machine can take seconds to draw."""
                shot = await tools.call("Page.captureScreenshot", format="png")
                png = base64.b64decode(shot["data"])
                return png if len(png) > 20_000 else None

            png = await until(drawn, "a screenshot of the drawn page")
            tools.reader.cancel()
        assert png.startswith(b"\x89PNG") and len(png) > 20_000
        out = Path(os.environ.get("LIVEMON_SCREENSHOTS", tmp_path)) / "stage-web.png"
        out.write_bytes(png)
    finally:
        for process in reversed(processes):
            await stop(process)
        await hub.stop()
