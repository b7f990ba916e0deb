"""TLS contexts: the hub serves wss:// with a certificate; clients check it against a CA.

Errors are ``ConfigError`` naming the file and what to do, never a bare ``ssl`` traceback.
"""

from __future__ import annotations

import ssl
from pathlib import Path

from livemon.config import ConfigError


def server_context(cert: str | Path | None, key: str | Path | None) -> ssl.SSLContext | None:
    """The hub's TLS context from a PEM certificate (chain) and key, or None without either.

    Giving only one of the two is an error: a hub must not silently serve
    plain ws:// when TLS was asked for.
    """
    if not cert and not key:
        return None
    if not cert or not key:
        raise ConfigError("TLS needs both --tls-cert and --tls-key ([hub] tls_cert, tls_key)")
    for what, path in (("certificate", cert), ("key", key)):
        if not Path(path).is_file():
            raise ConfigError(f"TLS {what} file {path} does not exist")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    try:
        context.load_cert_chain(str(cert), str(key))
    except (ssl.SSLError, ValueError) as exc:
        raise ConfigError(
            f"cannot use TLS certificate {cert} with key {key} ({exc}): both must be PEM and match"
        ) from None
    return context


def client_context(url: str, ca: str | Path | None = None) -> ssl.SSLContext | None:
    """The client TLS context for ``url``: None for ws://; for wss://, the system CAs or ``ca``.

    ``ca`` (a PEM file) is how a console or adapter trusts a hub whose
    certificate is self-signed or from a private CA.
    """
    if not url.startswith("wss://"):
        if ca:
            raise ConfigError(f"--ca is for wss:// hubs; {url} is not wss://")
        return None
    if ca and not Path(ca).is_file():
        raise ConfigError(f"CA file {ca} does not exist")
    try:
        return ssl.create_default_context(cafile=str(ca) if ca else None)
    except ssl.SSLError as exc:
        raise ConfigError(f"cannot read CA file {ca} ({exc}): it must be PEM") from None
