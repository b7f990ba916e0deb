"""Access rules of a live hub on loopback: token checks, origins, limits."""

from __future__ import annotations

import hmac


async def test_a_hello_token_is_compared_in_constant_time_with_every_role(raw, monkeypatch):
    """The hub checks a hello's token with hmac.compare_digest against all three roles' tokens."""
    calls: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def spy(a, b):
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    await raw.console("/watch")
    assert len(calls) == 3  # no early exit on the matching role
    assert {b for _, b in calls} == {t.encode() for t in raw.tokens.values()}
    calls.clear()
    refused = await raw.open("/watch", {"op": "hello", "v": 1, "token": "nope", "name": "x"})
    assert await refused.closed_code() == 1008
    assert len(calls) == 3


async def test_a_non_ascii_or_non_string_token_is_refused_with_1008(raw):
    """A token that is not ASCII (or not a string) gets 1008 like any wrong token, not 1011."""
    for token in ("令牌令牌令牌令牌令牌令牌令牌令牌", 12345, None, b"tw"):
        client = await raw.open("/watch", {"op": "hello", "v": 1, "token": token, "name": "x"})
        assert await client.closed_code() == 1008, token
    await raw.console("/watch")  # the hub still serves
