"""The pluggable signer: the only part of the douyin adapter that touches signatures and cookies.

Douyin's public push endpoint wants a signed URL (and cookies) whose recipe
changes every few months, so livemon does not carry it. ``signer=`` names
either

- a command: run as ``COMMAND ROOM_ID`` (with ``LIVEMON_DOUYIN_SERVER`` in
  its environment), or
- an http(s) URL: fetched as ``GET URL?room_id=ROOM_ID&server=...``.

Either answers with the signed websocket URL alone, or with JSON
``{"url": "wss://...", "headers": {"Cookie": "...", "User-Agent": "..."}}``.
A command that exits non-zero, an HTTP error status, or an answer that says
``DEVICE_BLOCKED`` is a refusal: :class:`FeedRefused` naming the option.
"""

from __future__ import annotations

import asyncio
import json
import os
import shlex
import urllib.error
import urllib.parse
import urllib.request

from livemon.adapters.feed import FeedRefused, Target

TIMEOUT_S = 20.0


def _refused(signer: str, why: str) -> FeedRefused:
    return FeedRefused(
        f"douyin: the signer (option signer={signer!r}) refused: {why}. It must print the signed "
        "websocket URL for the room; fix or update the signer (its cookies may have expired)"
    )


def parse_answer(signer: str, text: str) -> Target:
    """The target a signer's answer names; ``FeedRefused`` if it is not one.

    >>> parse_answer("s", "wss://push.example/ws?room_id=1&signature=x\\n").url
    'wss://push.example/ws?room_id=1&signature=x'
    >>> parse_answer("s", '{"url": "wss://p/ws", "headers": {"Cookie": "ttwid=1"}}').headers
    {'Cookie': 'ttwid=1'}
    """
    text = text.strip()
    if "DEVICE_BLOCKED" in text:
        raise _refused(signer, "DEVICE_BLOCKED (the platform blocked this device or cookie)")
    if text.startswith("{"):
        try:
            answer = json.loads(text)
            url, headers = answer["url"], answer.get("headers") or {}
            if not isinstance(url, str) or not isinstance(headers, dict):
                raise TypeError("url must be a string and headers an object")
        except (ValueError, KeyError, TypeError) as exc:
            raise _refused(signer, f"its JSON answer has no usable url ({exc})") from None
        return Target(url.strip(), {str(k): str(v) for k, v in headers.items()})
    if not text.startswith(("ws://", "wss://")):
        raise _refused(signer, f"it answered {text[:120]!r}, not a ws:// or wss:// URL")
    return Target(text.splitlines()[0].strip())


async def sign(signer: str, room_id: int, server: str) -> Target:
    """Ask ``signer`` for the signed URL of ``room_id`` on ``server``."""
    if signer.startswith(("http://", "https://")):
        return await asyncio.to_thread(_sign_by_url, signer, room_id, server)
    return await _sign_by_command(signer, room_id, server)


async def _sign_by_command(signer: str, room_id: int, server: str) -> Target:
    argv = shlex.split(signer) + [str(room_id)]
    try:
        proc = await asyncio.create_subprocess_exec(
            *argv,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env={**os.environ, "LIVEMON_DOUYIN_SERVER": server},
        )
    except OSError as exc:
        raise _refused(signer, f"it cannot be run ({exc.strerror or exc})") from None
    try:
        async with asyncio.timeout(TIMEOUT_S):
            out, err = await proc.communicate()
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise TimeoutError(f"the signer did not answer within {TIMEOUT_S:g} s") from None
    if proc.returncode != 0:
        said = (err or out).decode(errors="replace").strip().splitlines()
        raise _refused(signer, f"it exited with status {proc.returncode}"
                       + (f": {said[-1]}" if said else ""))  # fmt: skip
    return parse_answer(signer, out.decode(errors="replace"))


def _sign_by_url(signer: str, room_id: int, server: str) -> Target:
    query = urllib.parse.urlencode({"room_id": room_id, "server": server})
    url = signer + ("&" if "?" in signer else "?") + query
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_S) as answer:
            return parse_answer(signer, answer.read().decode(errors="replace"))
    except urllib.error.HTTPError as exc:
        body = exc.read().decode(errors="replace").strip()
        raise _refused(signer, f"HTTP {exc.code}" + (f": {body[:200]}" if body else "")) from None
    except urllib.error.URLError as exc:
        # Unreachable (not running yet, a network blip): retried with backoff.
        raise OSError(f"the signer at {signer} is unreachable ({exc.reason})") from None
