"""The hub's rules, driven through ``HubCore`` alone: no sockets, no event loop, no files."""

from __future__ import annotations

import pytest

from livemon import wire
from livemon.commands import Guardrails
from livemon.hub import access
from livemon.hub.core import PENDING, HubCore

TOKENS = {"ingest": "ingest-token-0001", "watch": "watch-token-00001",
          "control": "control-token-01"}  # fmt: skip


def core() -> HubCore:
    return HubCore(access.Tokens(TOKENS), Guardrails(max_coupon_count=50), session="s1")


def hello(role: str, **extra: object) -> dict:
    return {"op": "hello", "v": 1, "token": TOKENS[role], **extra}


@pytest.mark.parametrize(("path", "message", "code", "reason"), [
    ("/watch", {"op": "events", "seq": 1}, 1002, "the first message must be hello"),
    ("/watch", {**hello("watch"), "v": 2}, 1002, "protocol version 2 unsupported: use v=1"),
    ("/watch", {**hello("watch"), "token": "guess"}, 1008, "bad or missing token"),
    ("/watch", {"op": "hello", "v": 1}, 1008, "bad or missing token"),
    ("/watch", hello("ingest", name="a"), 1008,
     "an ingest token cannot open /watch: use the control or watch token"),
    ("/control", hello("watch"), 1008, "a watch token cannot open /control: use the control token"),
    ("/ingest", hello("control", name="a"), 1008,
     "a control token cannot open /ingest: use the ingest token"),
    ("/watch", {**hello("watch"), "v": True}, 1002, "protocol version True unsupported: use v=1"),
    ("/ingest", hello("ingest", name="a", rooms="r1"), 1002,
     "hello.rooms must be a list of room ids (strings)"),
    ("/ingest", hello("ingest", name="a", rooms=["r1", 3]), 1002,
     "hello.rooms must be a list of room ids (strings)"),
    ("/ingest", hello("ingest"), 1002, "hello.name must be a non-empty string"),
    ("/ingest", hello("ingest", name=""), 1002, "hello.name must be a non-empty string"),
    ("/ingest", hello("ingest", name="n" * 129), 1002,
     "hello.name must be at most 128 printable characters (no control characters)"),
    ("/ingest", hello("ingest", name="shop\x1b[2J"), 1002,
     "hello.name must be at most 128 printable characters (no control characters)"),
])  # fmt: skip
def test_a_refused_hello_gets_its_close_code_and_reason(path, message, code, reason) -> None:
    """Each refused hello raises the close code and reason docs/protocol.md gives it."""
    with pytest.raises(wire.ProtocolError) as refused:
        core().hello(path, message)
    assert (refused.value.code, refused.value.reason) == (code, reason)


def test_an_accepted_hello_says_the_role_found_not_the_one_claimed() -> None:
    """A control token opens /watch; the role is the token's, and an adapter's rooms are kept."""
    rules = core()
    claimed = {**hello("control"), "role": "ingest"}
    assert rules.hello("/watch", claimed).message["role"] == "control"
    adapter = rules.hello("/ingest", hello("ingest", name="a", rooms=["r1", "r2"],
                                           capabilities=["pin"]))  # fmt: skip
    assert (adapter.name, adapter.rooms, adapter.capabilities) == ("a", ("r1", "r2"),
                                                                   frozenset({"pin"}))  # fmt: skip


def test_acks_only_durable_seqs_once_per_new_high() -> None:
    """An ack names the highest durable seq, goes out once, and reaches each connection of
    the adapter; a seq taken but not yet durable is not acked."""
    rules = core()
    assert rules.ingest_welcome("c1", "a") == {"op": "welcome", "v": 1, "session": "s1",
                                                "acked_seq": 0}  # fmt: skip
    rules.take("a", 1000)
    assert rules.acks() == []
    writing = dict(rules.held)
    rules.take("a", 2000)  # taken while the first write runs
    rules.made_durable(writing)
    assert rules.acks() == [("c1", {"op": "ack", "seq": 1000})]
    assert rules.acks() == []
    rules.made_durable(rules.held)
    assert rules.acks() == [("c1", {"op": "ack", "seq": 2000})]


def test_a_reconnecting_adapter_resumes_from_its_durable_seq_and_resends_are_dropped() -> None:
    """After a reconnect the welcome carries the durable seq; a batch wholly held is a resend."""
    rules = core()
    rules.ingest_welcome("c1", "a")
    rules.take("a", 500)
    rules.made_durable(rules.held)
    rules.closed("c1")
    assert rules.acks() == []  # the closed connection gets nothing
    assert rules.ingest_welcome("c2", "a")["acked_seq"] == 500
    assert rules.resent("a", 401, 100) and not rules.resent("a", 401, 101)
    assert not rules.resent("b", 1, 1)


def test_a_command_is_decided_once_per_id() -> None:
    """The second copy of an id waits while the first is carried out, then gets its result."""
    rules = core()
    command = {"id": "c1", "room": "r", "action": "pin", "args": {"text": "hi"}}
    assert rules.route(command).forward and rules.results["c1"] is PENDING
    assert rules.route(command).wait
    assert rules.finish(command, {"ok": True, "detail": "pinned"}) == {
        "op": "result",
        "id": "c1",
        "ok": True,
        "detail": "pinned",
    }
    again = rules.route({**command, "args": {"text": "other"}})
    assert again.result == {"op": "result", "id": "c1", "ok": True, "detail": "pinned"}
    assert not again.forward and not again.new


def test_an_outcome_stored_elsewhere_answers_the_id_after_a_restart() -> None:
    """An id the catalog already answered is answered alike and not carried out again."""
    route = core().route({"id": 7, "room": "r", "action": "feature", "args": {"sku": "a"}},
                         known={"ok": False, "detail": "sold out"})  # fmt: skip
    assert route.result == {"op": "result", "id": 7, "ok": False, "detail": "sold out"}


@pytest.mark.parametrize(("command", "detail"), [
    ({"id": True, "room": "r", "action": "pin"}, "command.id must be a string or an int"),
    ({"id": 1, "room": "", "action": "pin"}, "command.room must be a room id: it is missing"),
    ({"id": 2, "room": "r", "action": "dance"}, "unknown action 'dance'"),
    ({"id": 3, "room": "r", "action": "coupon", "args": {"discount_cents": 100, "count": 51}},
     "guardrail: count 51 is over the maximum of 50"),
])  # fmt: skip
def test_a_command_that_does_not_fit_is_refused_with_why(command, detail) -> None:
    """Bad ids, rooms, actions and guardrail breaches are answered ok=false with the reason."""
    route = core().route(command)
    assert route.result is not None and route.result["ok"] is False and not route.forward
    assert route.result["detail"].startswith(detail)


def test_only_carried_out_coupons_count_toward_the_session_guardrail() -> None:
    """A coupon counts against max_coupons_per_session only once its adapter says ok."""
    rules = HubCore(access.Tokens(TOKENS), Guardrails(max_coupons_per_session=1))
    coupon = {"room": "r", "action": "coupon", "args": {"discount_cents": 100, "count": 5}}
    rules.route({"id": 1, **coupon})
    rules.finish({"id": 1, **coupon}, {"ok": False, "detail": "platform down"})
    assert rules.route({"id": 2, **coupon}).forward
    rules.finish({"id": 2, **coupon}, {"ok": True, "detail": "issued"})
    refused = rules.route({"id": 3, **coupon}).result
    assert refused is not None and "guardrail" in refused["detail"]


def test_hub_actions_are_carried_out_by_the_hub() -> None:
    """host, mark and ack never leave the hub; an ack of no open alert says so."""
    rules = core()
    host = {"id": 1, "room": "r", "action": "host", "args": {"name": "Lin"}}
    assert not rules.route(host).forward
    assert rules.hub_action(host) == {"ok": True, "detail": "host on air: Lin"}
    assert rules.hosts == {"r": "Lin"}
    ack = {"id": 2, "room": "r", "action": "ack", "args": {"alert_id": "a1"}}
    assert rules.hub_action(ack, lambda alert_id: False)["detail"] == "no open alert 'a1' in room r"
    assert rules.hub_action(ack, lambda alert_id: alert_id == "a1")["ok"] is True


def test_alert_changes_of_a_tick_become_messages_and_rows() -> None:
    """Each change is sent and kept; while resuming, changes the catalog has are neither."""
    rules = core()
    change = {"id": "x", "room": "r", "kind": "stock_out", "state": "open", "severity": "crit"}
    messages, rooms = rules.collect_alerts([(10.0, change)])
    assert messages == [{"op": "alert", **change}] and rooms == {"r"}
    assert rules.alert_rows == [{"session": "s1", **change, "ts": 10.0}]
    messages, _ = rules.collect_alerts([(10.0, change)], known={("x", "open", "crit")})
    assert messages == [] and len(rules.alert_rows) == 1
    messages, _ = rules.collect_alerts([(11.0, {**change, "state": "resolved"})], send=False)
    assert messages == [] and len(rules.alert_rows) == 2
