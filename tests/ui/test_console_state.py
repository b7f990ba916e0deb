"""The console's room state: the crit alerts it gathers over every room follow each change."""

from __future__ import annotations

from livemon.ui.state import ConsoleState


def _alert(room: str, alert_id: str, severity: str, state: str = "open", since: float = 1.0):
    return {"id": alert_id, "room": room, "kind": "stock_out", "sku": "A1",
            "severity": severity, "state": state, "since": since}  # fmt: skip


def _snapshot(room: str, *alerts: dict) -> dict:
    return {"op": "snapshot", "room": room, "ts": 10.0, "metrics": {}, "alerts": list(alerts)}


def test_critical_follows_snapshots_and_alert_messages_across_rooms() -> None:
    """A crit alert listed in a snapshot, or sent as an alert message, is among the crit
    alerts at once, newest first; acked or resolved, it leaves them."""
    state = ConsoleState()
    state.on_snapshot(_snapshot("r1", _alert("r1", "a", "warn")))
    assert state.critical() == []
    state.on_snapshot(_snapshot("r2", _alert("r2", "b", "crit", since=5.0)))
    assert [a["id"] for _, a in state.critical()] == ["b"]
    state.on_alert(_alert("r1", "a", "crit", since=7.0))  # escalated
    assert [(room, a["id"]) for room, a in state.critical()] == [("r1", "a"), ("r2", "b")]
    state.on_alert(_alert("r2", "b", "crit", state="acked", since=5.0))
    assert [a["id"] for _, a in state.critical()] == ["a"]
    state.on_alert(_alert("r1", "a", "crit", state="resolved", since=7.0))
    assert state.critical() == []


def test_a_snapshot_that_lists_only_known_alerts_changes_nothing() -> None:
    """Snapshots repeat the alerts already known (ten a second per room): they leave the
    alerts' version as it was, so the crit alerts are not gathered again over every room."""
    state = ConsoleState()
    crit = _alert("r1", "a", "crit")
    state.on_snapshot(_snapshot("r1", crit))
    version, found = state.alerts_version, state.critical()
    for _ in range(3):
        state.on_snapshot(_snapshot("r1", crit))
        state.on_snapshot(_snapshot("r2"))
    assert state.alerts_version == version
    assert state.critical() is found  # the same list: not gathered again
    state.on_snapshot(_snapshot("r2", _alert("r2", "c", "crit", since=9.0)))
    assert state.alerts_version > version
    assert [a["id"] for _, a in state.critical()] == ["c", "a"]


def test_the_first_snapshot_after_a_reconnect_resolves_alerts_it_no_longer_lists() -> None:
    """After a reconnect, a crit alert the hub's snapshot no longer lists was resolved while
    the console was away: it leaves the crit alerts."""
    state = ConsoleState()
    state.on_snapshot(_snapshot("r1", _alert("r1", "a", "crit")))
    assert len(state.critical()) == 1
    state.connection_opened()
    state.on_snapshot(_snapshot("r1"))
    assert state.critical() == []
    assert state.rooms["r1"].alerts["a"]["state"] == "resolved"
