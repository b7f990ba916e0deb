"""Who may talk to the hub: tokens, where they came from, and the checks on them.

Pure rules, no sockets: the hub asks ``Tokens.role_of`` for a hello's role,
and ``resolve`` turns the environment and the config into checked tokens.
"""

from __future__ import annotations

import hmac
import ipaddress
import os
import secrets
import socket
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from livemon.config import ROLES, ConfigError

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
    config: Mapping[str, Any], environ: Mapping[str, str] | None = None
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
        ipaddress.ip_address(info[4][0].split("%")[0]).is_loopback for info in infos
    )


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
