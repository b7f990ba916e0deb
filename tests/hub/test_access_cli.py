"""Tokens and binding as ``livemon serve`` applies them, run as real subprocesses."""

from __future__ import annotations

import os
import queue
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import msgpack
from websockets.sync.client import connect

from livemon import config

LIVEMON = [sys.executable, "-m", "livemon.cli"]
ENV_TOKENS = {
    "LIVEMON_INGEST_TOKEN": "ingest-token-0001",
    "LIVEMON_WATCH_TOKEN": "watch-token-00001",
    "LIVEMON_CONTROL_TOKEN": "control-token-001",
}


def _clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIVEMON_")}
    return {**env, **extra}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _refused(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([*LIVEMON, "serve", *args], capture_output=True, text=True,
                          timeout=60, env=env)  # fmt: skip


class Served:
    """A running ``serve``: its banner (stderr up to the /control line), port, and the rest."""

    def __init__(self, tmp_path: Path, args: tuple[str, ...], env: dict[str, str]) -> None:
        self.port = _free_port()
        self.proc = subprocess.Popen(
            [*LIVEMON, "serve", "--port", str(self.port), "--record-dir", str(tmp_path), *args],
            env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
        )  # fmt: skip
        self.lines: queue.Queue[str] = queue.Queue()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        self.banner, deadline = "", time.monotonic() + 30
        while "(path /control)" not in self.banner:
            try:
                self.banner += self.lines.get(timeout=max(deadline - time.monotonic(), 0.01))
            except queue.Empty:
                self.proc.kill()
                raise AssertionError(f"serve printed no banner in 30 s: {self.banner!r}") from None

    def _read(self) -> None:
        for line in self.proc.stderr or ():
            self.lines.put(line)

    def stop(self) -> str:
        """Stop the hub; return everything it printed to stderr."""
        self.proc.terminate()
        self.proc.wait(10)
        self.reader.join(10)
        out = self.banner
        while not self.lines.empty():
            out += self.lines.get_nowait()
        return out


def test_generated_tokens_never_start_with_a_dash(monkeypatch) -> None:
    """Generated tokens never begin with ``-``, so ``--token TOKEN`` is never read as an option."""
    for role in ("INGEST", "WATCH", "CONTROL"):
        monkeypatch.delenv(f"LIVEMON_{role}_TOKEN", raising=False)
    cfg = config.load()
    made = [t for _ in range(700) for t in config.tokens(cfg).values()]
    assert len(set(made)) == len(made) == 2100
    assert not [t for t in made if t.startswith("-")]  # ~1 in 64 did before


def test_a_short_token_from_the_environment_is_refused_naming_role_and_variable(tmp_path) -> None:
    """A token under 16 characters in the environment stops serve with exit 2, naming it."""
    env = _clean_env(**{**ENV_TOKENS, "LIVEMON_WATCH_TOKEN": "short-watch"})
    done = _refused("--record-dir", str(tmp_path), env=env)
    assert done.returncode == 2, done.stderr
    assert "watch token" in done.stderr and "LIVEMON_WATCH_TOKEN" in done.stderr
    assert "16" in done.stderr and "Traceback" not in done.stderr
    assert "short-watch" not in done.stderr


def test_a_short_token_from_the_config_is_refused_naming_role_and_config(tmp_path) -> None:
    """A token under 16 characters in the config file stops serve, naming the config key."""
    cfg = tmp_path / "hub.toml"
    cfg.write_text('[tokens]\ncontrol = "tiny"\n')
    done = _refused("--config", str(cfg), "--record-dir", str(tmp_path), env=_clean_env())
    assert done.returncode == 2, done.stderr
    assert "control token" in done.stderr and "config [tokens] control" in done.stderr


def test_two_roles_sharing_a_token_are_refused(tmp_path) -> None:
    """One token given to two roles (env and config) stops serve, naming both roles and sources."""
    cfg = tmp_path / "hub.toml"
    cfg.write_text('[tokens]\ncontrol = "the-same-token-for-two"\n')
    env = _clean_env(LIVEMON_WATCH_TOKEN="the-same-token-for-two")
    done = _refused("--config", str(cfg), "--record-dir", str(tmp_path), env=env)
    assert done.returncode == 2, done.stderr
    assert "watch token (env LIVEMON_WATCH_TOKEN)" in done.stderr
    assert "control token (config [tokens] control)" in done.stderr
    assert "the-same-token-for-two" not in done.stderr


def test_generated_tokens_are_printed_once_and_given_ones_never(tmp_path) -> None:
    """serve prints a generated token exactly once and never a token from the env or config."""
    cfg = tmp_path / "hub.toml"
    cfg.write_text('[tokens]\ncontrol = "control-from-config-1"\n')
    env = _clean_env(LIVEMON_WATCH_TOKEN=ENV_TOKENS["LIVEMON_WATCH_TOKEN"])
    served = Served(tmp_path, ("--config", str(cfg)), env)
    banner = served.banner
    try:
        ingest_line = next(line for line in banner.splitlines() if "ingest" in line)
        generated = ingest_line.split("token", 1)[1].split()[0]
        with connect(f"ws://127.0.0.1:{served.port}/ingest") as ws:  # the printed token works
            ws.send(msgpack.packb({"op": "hello", "v": 1, "token": generated, "name": "a"}))
            assert msgpack.unpackb(ws.recv(5))["op"] == "welcome"
    finally:
        everything = served.stop()
    assert everything.count(generated) == 1 and len(generated) >= 16
    assert ENV_TOKENS["LIVEMON_WATCH_TOKEN"] not in everything
    assert "control-from-config-1" not in everything
    assert "from env LIVEMON_WATCH_TOKEN" in banner and "from config [tokens] control" in banner


def test_a_non_loopback_host_needs_tokens_set_on_purpose(tmp_path) -> None:
    """serve --host 0.0.0.0 with generated tokens exits 2 naming the variables to set."""
    env = _clean_env(LIVEMON_INGEST_TOKEN=ENV_TOKENS["LIVEMON_INGEST_TOKEN"])
    done = _refused("--host", "0.0.0.0", "--port", str(_free_port()), "--record-dir",
                    str(tmp_path), env=env)  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert "LIVEMON_WATCH_TOKEN" in done.stderr and "LIVEMON_CONTROL_TOKEN" in done.stderr
    assert "not loopback" in done.stderr and "Traceback" not in done.stderr


def test_a_non_loopback_host_prints_the_address_it_really_binds(tmp_path) -> None:
    """serve --host 0.0.0.0 with tokens from the env says it listens on 0.0.0.0, not 127.0.0.1."""
    served = Served(tmp_path, ("--host", "0.0.0.0"), _clean_env(**ENV_TOKENS))
    try:
        assert f"ws://0.0.0.0:{served.port}" in served.banner
        assert "127.0.0.1" not in served.banner
        with connect(f"ws://127.0.0.1:{served.port}/watch") as ws:
            token = ENV_TOKENS["LIVEMON_WATCH_TOKEN"]
            ws.send(msgpack.packb({"op": "hello", "v": 1, "token": token, "name": "w"}))
            assert msgpack.unpackb(ws.recv(5))["op"] == "welcome"
    finally:
        served.stop()
