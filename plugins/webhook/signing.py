"""Webhook signatures: base64 (or hex) HMAC-SHA256 of the raw body, checked in constant time."""

from __future__ import annotations

import base64
import hashlib
import hmac


def sign(secret: str, body: bytes) -> str:
    """The ``X-Shopify-Hmac-Sha256`` value of ``body``: base64 of its HMAC-SHA256.

    >>> sign("s", b"{}")
    'FDyo1Re6GxgQJdcysc8nXZAQT8pXuwKlZVQpeKoYxLY='
    """
    return base64.b64encode(_digest(secret, body)).decode("ascii")


def verify(secret: str, body: bytes, given: str | None, hex_ok: bool = False) -> bool:
    """True when ``given`` is the signature of ``body`` (base64; hex too if ``hex_ok``).

    The comparison takes the same time whatever the mismatch (``hmac.compare_digest``).

    >>> good, other = sign("s", b"{}"), sign("t", b"{}")
    >>> verify("s", b"{}", good), verify("s", b"{}", other), verify("s", b"", None)
    (True, False, False)
    """
    if not given or not secret:
        return False
    digest = _digest(secret, body)
    given_bytes = given.strip().encode("ascii", "replace")
    ok = hmac.compare_digest(base64.b64encode(digest), given_bytes)
    if hex_ok:
        ok |= hmac.compare_digest(digest.hex().encode("ascii"), given_bytes.lower())
    return ok


def _digest(secret: str, body: bytes) -> bytes:
    return hmac.new(secret.encode("utf-8"), body, hashlib.sha256).digest()
