"""Who may talk to the hub, and how much: tokens, origins, and the limits of ``[access]``.

Rules apart from the server: ``resolve`` turns the environment and the
config into checked tokens, ``Tokens.role_of`` finds a hello's role, and
``Gate`` holds the counts and allowances the hub asks before it lets a
connection in (docs/limits.md says why each limit is what it is).
"""

from __future__ import annotations

import contextlib
import hmac
import ipaddress
import math
import os
import secrets
import socket
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from livemon.config import ROLES, AccessConfig, Config, ConfigError

MIN_TOKEN_LEN = 16  # 16 url-safe characters: ~96 bits, past guessing over a network
GENERATED = "generated"


def env_var(role: str) -> str:
    """The environment variable that holds ``role``'s token.

    >>> env_var("watch")
    'LIVEMON_WATCH_TOKEN'
    """
    return f"LIVEMON_{role.upper()}_TOKEN"


def new_token() -> str:
    """A fresh random token (128 bits) that never starts with ``-``.

    A leading ``-`` would make ``--token -x...`` read as an option on a command line.
    """
    while True:
        token = secrets.token_urlsafe(16)
        if not token.startswith("-"):
            return token


@dataclass(frozen=True, slots=True)
class Token:
    """One role's token and where it came from (``generated``, an env var or the config)."""

    role: str
    value: str
    source: str

    @property
    def generated(self) -> bool:
        return self.source == GENERATED


def resolve(
    config: Mapping[str, Any] | Config, environ: Mapping[str, str] | None = None
) -> dict[str, Token]:
    """The token of each role: environment, then ``[tokens]`` in the config, else generated.

    Raises ``ConfigError`` naming the role and the source when a token given
    by the environment or the config is too short, or two roles share one.
    """
    environ = os.environ if environ is None else environ
    given = config.get("tokens", {}) or {}
    out: dict[str, Token] = {}
    for role in ROLES:
        if environ.get(env_var(role)):
            out[role] = Token(role, environ[env_var(role)], f"env {env_var(role)}")
        elif given.get(role):
            value = given[role]
            if not isinstance(value, str):
                raise ConfigError(f"config [tokens] {role} must be a string")
            out[role] = Token(role, value, f"config [tokens] {role}")
        else:
            out[role] = Token(role, new_token(), GENERATED)
    check(out)
    return out


def check(tokens: Mapping[str, Token]) -> None:
    """Refuse tokens shorter than ``MIN_TOKEN_LEN`` and one token shared by two roles."""
    for t in tokens.values():
        if len(t.value) < MIN_TOKEN_LEN:
            raise ConfigError(
                f"the {t.role} token from {t.source} is {len(t.value)} characters long: use at "
                f"least {MIN_TOKEN_LEN} (e.g. python -c 'import secrets; "
                "print(secrets.token_urlsafe(16))'), or leave it unset to get a random one"
            )
    seen: dict[str, Token] = {}
    for t in tokens.values():
        other = seen.get(t.value)
        if other is not None:
            raise ConfigError(
                f"the {other.role} token ({other.source}) and the {t.role} token ({t.source}) "
                "are the same: each role needs its own token"
            )
        seen[t.value] = t


class Tokens:
    """The hub's tokens; ``role_of`` compares in constant time."""

    def __init__(self, values: Mapping[str, str]) -> None:
        self._values = {role: value.encode() for role, value in values.items()}

    def role_of(self, token: object) -> str | None:
        """The role whose token is ``token``, else None.

        Every role's token is compared (with ``hmac.compare_digest``), so the
        time taken says nothing about how much of a guess was right.
        """
        if not isinstance(token, str):
            return None
        given = token.encode("utf-8", "surrogatepass")
        found = None
        for role, value in self._values.items():
            if hmac.compare_digest(given, value):
                found = role
        return found


def is_loopback(host: str) -> bool:
    """True when every address ``host`` names is a loopback address.

    >>> is_loopback("127.0.0.1"), is_loopback("::1"), is_loopback("0.0.0.0"), is_loopback("")
    (True, True, False, False)
    """
    if not host:
        return False  # "" binds every interface
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None)
    except OSError:
        return False
    return bool(infos) and all(
        ipaddress.ip_address(str(info[4][0]).split("%")[0]).is_loopback for info in infos
    )


# Failed hellos from a loopback address lock nothing out: its clients are this machine's
# own processes, where a 16-character token cannot be guessed anyway, and one local
# script with a stale token must not keep the hub's own adapters and consoles out (with
# 429, even with a good token). Tests of the throttle turn it off.
THROTTLE_LOOPBACK = False


def peer_is_loopback(address: str) -> bool:
    """True for a peer address on this machine's loopback (127.0.0.0/8, ::1); no DNS look-up.

    >>> [peer_is_loopback(a) for a in ("127.0.0.2", "::ffff:127.0.0.1", "::1", "10.0.0.1")]
    [True, True, True, False]
    """
    try:
        ip = ipaddress.ip_address(address.split("%")[0])
    except ValueError:
        return False
    mapped = getattr(ip, "ipv4_mapped", None)
    return ip.is_loopback or (mapped is not None and mapped.is_loopback)


def check_exposure(host: str, tokens: Mapping[str, Token]) -> None:
    """Refuse to bind a non-loopback ``host`` with a generated token.

    A token printed to a terminal is fine on one machine; across a network
    it must be set on purpose, where the consoles and adapters can be given it.
    """
    if is_loopback(host):
        return
    made = [t.role for t in tokens.values() if t.generated]
    if made:
        names = ", ".join(env_var(r) for r in made)
        raise ConfigError(
            f"--host {host or '(all interfaces)'} is not loopback: set the tokens yourself "
            f"({names}, or [tokens] in a --config file), at least {MIN_TOKEN_LEN} characters "
            "each, before exposing the hub"
        )


# -- limits -----------------------------------------------------------------------


def origin_allowed(origin: str | None, allowed: list[str] | tuple[str, ...]) -> bool:
    """True without an Origin (non-browser clients) or for one in ``allowed`` (any case,
    trailing ``/`` ignored).

    >>> origin_allowed("https://OPS.example/", ["https://ops.example"])
    True
    >>> origin_allowed("https://evil.example", []), origin_allowed(None, [])
    (False, True)
    """
    if origin is None:
        return True
    return origin.rstrip("/").lower() in {a.rstrip("/").lower() for a in allowed}


class Bucket:
    """A token bucket: ``burst`` at most, refilled at ``rate`` per second."""

    __slots__ = ("rate", "burst", "level", "at")

    def __init__(self, rate: float, burst: float, now: float) -> None:
        self.rate, self.burst, self.level, self.at = rate, burst, float(burst), now

    def _refill(self, now: float) -> None:
        self.level = min(self.burst, self.level + (now - self.at) * self.rate)
        self.at = now

    def wait(self, now: float) -> float:
        """Seconds until one unit can be taken (0 when it can now).

        >>> b = Bucket(rate=1.0, burst=2, now=0.0)
        >>> b.take(0.0), b.take(0.0), b.take(0.0), b.wait(0.0), b.wait(0.5), b.take(1.0)
        (True, True, False, 1.0, 0.5, True)
        """
        self._refill(now)
        return 0.0 if self.level >= 1 else (1 - self.level) / self.rate

    def take(self, now: float) -> bool:
        """Take one unit if there is one."""
        if self.wait(now) > 0:
            return False
        self.level -= 1
        return True

    def full(self, now: float) -> bool:
        self._refill(now)
        return self.level >= self.burst


class HelloGuard:
    """Failed hellos (bad or missing token) per address: past the limit, the address waits.

    Each address may fail ``limits.failed_hellos`` times, and earns one more
    try every ``failed_hello_window_s / failed_hellos`` seconds.
    """

    MAX_ADDRESSES = 4096  # past this, addresses back at a full allowance are forgotten

    def __init__(self, limits: AccessConfig) -> None:
        self.burst = limits.failed_hellos
        self.rate = limits.failed_hellos / limits.failed_hello_window_s
        self.buckets: dict[str, Bucket] = {}

    def wait(self, address: str, now: float) -> float:
        """Seconds ``address`` must wait before its next hello (0: go ahead)."""
        bucket = self.buckets.get(address)
        return bucket.wait(now) if bucket is not None else 0.0

    def failed(self, address: str, now: float) -> None:
        """Count one failed hello from ``address``."""
        bucket = self.buckets.get(address)
        if bucket is None:
            if len(self.buckets) >= self.MAX_ADDRESSES:
                self.buckets = {a: b for a, b in self.buckets.items() if not b.full(now)}
            bucket = self.buckets[address] = Bucket(self.rate, self.burst, now)
        bucket.take(now)


@dataclass(frozen=True, slots=True)
class Refusal:
    """An HTTP answer instead of the websocket upgrade."""

    status: int
    text: str
    headers: tuple[tuple[str, str], ...] = ()


class Gate:
    """The hub's door: origins and failed hellos before the upgrade, console counts after."""

    def __init__(self, limits: AccessConfig, clock=time.monotonic) -> None:
        self.limits = limits
        self.hellos = HelloGuard(limits)
        self.consoles: dict[str, int] = {}  # role of the token -> open consoles
        self.clock = clock

    def check_request(self, path: str, origins: list[str], address: str) -> Refusal | None:
        """Refuse a browser page from an origin not allowed (on /watch and /control: 403),
        and an address past its failed hellos (429 with Retry-After; not on loopback, see
        ``THROTTLE_LOOPBACK``)."""
        if path in ("/watch", "/control") and origins:
            if len(origins) > 1 or not origin_allowed(origins[0], self.limits.allowed_origins):
                shown = ", ".join(origins)[:100]
                return Refusal(403, f"origin {shown} may not open {path}: add it to "
                               "access.allowed_origins in the hub's config\n")  # fmt: skip
        throttled = THROTTLE_LOOPBACK or not peer_is_loopback(address)
        wait = self.hellos.wait(address, self.clock()) if throttled else 0.0
        if wait > 0:
            seconds = max(1, math.ceil(wait))
            return Refusal(429, f"too many failed hellos from {address}: retry in {seconds} s\n",
                           (("Retry-After", str(seconds)),))  # fmt: skip
        return None

    def hello_failed(self, address: str) -> None:
        """A hello from ``address`` had a bad or missing token."""
        self.hellos.failed(address, self.clock())

    def open_console(self, role: str) -> str | None:
        """Count a new console of ``role``'s token; a reason instead when a cap is reached."""
        total = sum(self.consoles.values())
        if total >= self.limits.max_consoles:
            return (f"too many consoles on this hub ({total}): close one, or raise "
                    "access.max_consoles")  # fmt: skip
        mine = self.consoles.get(role, 0)
        if mine >= self.limits.max_consoles_per_token:
            return (f"too many consoles on the {role} token ({mine}): close one, or raise "
                    "access.max_consoles_per_token")  # fmt: skip
        self.consoles[role] = mine + 1
        return None

    def close_console(self, role: str) -> None:
        """A console counted by ``open_console`` has gone."""
        self.consoles[role] = max(self.consoles.get(role, 0) - 1, 0)

    def command_bucket(self) -> Bucket:
        """The command allowance of one new console."""
        return Bucket(self.limits.commands_per_s, self.limits.command_burst, self.clock())

    def command_wait(self, bucket: Bucket) -> float:
        """0 when a console may send its command now; else the seconds to wait."""
        if bucket.take(self.clock()):
            return 0.0
        return bucket.wait(self.clock())


def cap_send_buffer(ws: Any, size: int) -> None:
    """Cap the kernel send buffer of a console's socket at ``size`` bytes.

    Left alone, Linux grows it to several MB for a console that stops
    reading; capped, a stalled console fills it quickly and is dropped.
    """
    sock = ws.transport.get_extra_info("socket") if ws.transport is not None else None
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, size)
