"""wss://: the hub serves TLS with a self-signed certificate made here; clients trust it by --ca."""

from __future__ import annotations

import asyncio
import os
import select
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidMessage

from livemon import config, tls, wire
from livemon.adapters import discover
from livemon.adapters.remote import RemoteRunner
from livemon.config import ConfigError
from livemon.hub import Hub
from livemon.ui import create_app

TOKENS = {
    "ingest": "ingest-token-tls-1",
    "watch": "watch-token-tls-01",
    "control": "control-token-tls-1",
}
WAIT_S = 10.0


@pytest.fixture(scope="module")
def cert(tmp_path_factory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and localhost, and its key (PEM, via openssl)."""
    where = tmp_path_factory.mktemp("tls")
    cert, key = where / "cert.pem", where / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "2", "-subj", "/CN=livemon",
         "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
        check=True, capture_output=True, timeout=30,
    )  # fmt: skip
    return cert, key


@pytest.fixture
async def tls_hub(tmp_path, cert):
    """A hub serving wss:// on an ephemeral loopback port."""
    hub = Hub(config.load(), tmp_path, tokens=TOKENS)
    await hub.start("127.0.0.1", 0, ssl=tls.server_context(*cert))
    yield hub
    await hub.stop()


async def test_the_hub_serves_wss_and_a_client_trusting_the_ca_gets_welcome(tls_hub, cert):
    """A raw client with the certificate as CA completes hello/welcome over wss://."""
    assert tls_hub.url().startswith("wss://")
    ssl = tls.client_context(tls_hub.url("/watch"), cert[0])
    async with connect(tls_hub.url("/watch"), ssl=ssl) as ws:
        await ws.send(wire.encode({"op": "hello", "v": 1, "token": TOKENS["watch"], "name": "t"}))
        welcome = wire.decode(await asyncio.wait_for(ws.recv(), WAIT_S))
    assert welcome["op"] == "welcome"


async def test_wss_without_the_ca_and_plain_ws_are_refused(tls_hub):
    """A client that does not trust the certificate, or speaks plain ws://, never gets in."""
    with pytest.raises(OSError, match="CERTIFICATE_VERIFY_FAILED"):
        await asyncio.wait_for(connect(tls_hub.url("/watch")), WAIT_S)
    with pytest.raises((InvalidMessage, OSError, EOFError)):
        await asyncio.wait_for(connect(tls_hub.url("/watch").replace("wss://", "ws://")), WAIT_S)


async def test_the_console_goes_live_over_wss_with_a_ca(tls_hub, cert):
    """The Textual console, given the CA, reaches live on a wss:// hub and shows its room."""
    app = create_app(tls_hub.url(), TOKENS["control"],
                     ssl=tls.client_context(tls_hub.url(), cert[0]))  # fmt: skip
    async with app.run_test(size=(160, 50)) as pilot:
        for _ in range(int(WAIT_S / 0.02)):
            if app.client.state.status == "live":
                break
            await pilot.pause(0.02)
        assert app.client.state.status == "live", app.client.state
        assert app.client.url.startswith("wss://")


async def test_a_remote_adapter_feeds_a_wss_hub_with_a_ca(tls_hub, cert):
    """The remote adapter runner feeds the sim over wss:// and every event is acked."""
    sim = discover()["sim"](room="tls-room", speed="max", duration=30, seed=3)
    runner = RemoteRunner(sim, tls_hub.url(), TOKENS["ingest"],
                          ssl=tls.client_context(tls_hub.url(), cert[0]))  # fmt: skip
    await asyncio.wait_for(runner.run(retry_s=0.1), 60)
    assert runner.acked == runner.next_seq - 1 > 0
    assert tls_hub.engine.rooms["tls-room"].metrics()["comments"] > 0


def test_tls_settings_that_cannot_work_are_clear_errors(tmp_path, cert) -> None:
    """Half a TLS setup, a missing file, or --ca on ws:// each get a message naming the fix."""
    with pytest.raises(ConfigError, match="both --tls-cert and --tls-key"):
        tls.server_context(cert[0], None)
    with pytest.raises(ConfigError, match="does not exist"):
        tls.server_context(tmp_path / "nope.pem", cert[1])
    with pytest.raises(ConfigError, match="PEM and match"):
        tls.server_context(cert[1], cert[1])
    with pytest.raises(ConfigError, match="--ca is for wss://"):
        tls.client_context("ws://127.0.0.1:1", cert[0])
    assert tls.client_context("ws://127.0.0.1:1") is None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_tls_options_and_adapter_ca_option_work_end_to_end(tmp_path, cert) -> None:
    """``serve --tls-cert/--tls-key`` says wss://, and ``adapter --hub wss://... --ca`` feeds it."""
    port = _free_port()
    env = {**os.environ, **{f"LIVEMON_{r.upper()}_TOKEN": t for r, t in TOKENS.items()}}
    hub = subprocess.Popen(
        [sys.executable, "-m", "livemon.cli", "serve", "--port", str(port), "--record-dir",
         str(tmp_path / "rec"), "--tls-cert", str(cert[0]), "--tls-key", str(cert[1])],
        env=env, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert hub.stderr is not None
        ready, _, _ = select.select([hub.stderr], [], [], 30)  # a deadline for the banner
        banner = hub.stderr.readline() if ready else ""
        assert f"wss://127.0.0.1:{port}" in banner, banner
        feed = subprocess.run(
            [sys.executable, "-m", "livemon.cli", "adapter", "sim", "--hub",
             f"wss://127.0.0.1:{port}", "--ca", str(cert[0]), "--room", "tls-cli",
             "--set", "speed=max", "--set", "duration=20"],
            env=env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert feed.returncode == 0, feed.stderr
        assert "fed" in feed.stderr
    finally:
        hub.terminate()
        hub.wait(10)


async def test_a_console_without_the_ca_says_to_pass_one(tls_hub):
    """A console that does not trust the hub's certificate says so and how to fix it (--ca)."""
    app = create_app(tls_hub.url(), TOKENS["control"], ssl=tls.client_context(tls_hub.url()))
    async with app.run_test(size=(160, 50)) as pilot:
        for _ in range(int(WAIT_S / 0.02)):
            if app.client.state.status == "lost":
                break
            await pilot.pause(0.02)
        assert app.client.state.status == "lost"
        assert "certificate is not trusted" in app.client.state.detail
        assert "--ca" in app.client.state.detail


async def test_the_stage_screen_goes_live_over_wss_with_a_ca(tls_hub, cert):
    """``livemon stage``'s app, given the CA, reaches live on a wss:// hub with a watch token;
    served to browsers, each page's stage process gets the same --ca."""
    from livemon.ui.stage_app import StageApp
    from livemon.ui.stage_web import stage_command

    app = StageApp(tls_hub.url(), TOKENS["watch"], ssl=tls.client_context(tls_hub.url(), cert[0]))
    async with app.run_test(size=(120, 40)) as pilot:
        for _ in range(int(WAIT_S / 0.02)):
            if app.client.state.status == "live":
                break
            await pilot.pause(0.02)
        assert app.client.state.status == "live", app.client.state
    assert stage_command(tls_hub.url(), None, str(cert[0])).endswith(f"--ca {cert[0]}")
