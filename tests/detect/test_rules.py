"""Rules a user writes: good rules raise alerts, each kind of bad rule is refused, replay agrees."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import pytest

from livemon import config
from livemon.detect import Monitor
from livemon.detect.rules import Rule, RuleError, compile_rules
from livemon.hub import Hub
from livemon.ui import create_app
from livemon.ui.widgets.help_screen import HelpScreen
from plugins.sim import SimAdapter

SAGGING = {
    "name": "sagging",
    "when": "conv_1m < 0.7 * conv_10m and featured_stock > 0",
    "for_s": 60,
    "severity": "crit",
    "message": "conversion {conv_1m:.1f} vs {conv_10m:.1f} over 10 min",
    "suggest": {"action": "pin", "args": {"text": "{featured_stock} left"}},
}
TOKENS = {"ingest": "ingest-token-0123456789", "watch": "watch-token-0123456789",
          "control": "control-token-0123456789"}  # fmt: skip


def _detect(*rules: dict) -> dict:
    return {"rules": list(rules)}


def _rule_alerts(changes: list) -> list[dict]:
    seen: dict[str, dict] = {}
    for _, alert in changes:
        if alert["kind"].startswith("rule:"):
            seen.setdefault(alert["id"], alert)
    return list(seen.values())


def test_a_good_rule_raises_after_holding_for_its_duration(sim, fold):
    """A conversion-sag rule opens rule:sagging once it held 60 s, in its words and action."""
    events, truth = sim("conversion_drop", 31, 40.0)
    at = truth["incidents"][0]["ts"]
    alerts = [a for a in _rule_alerts(fold(events, detect=_detect(SAGGING))) if a["since"] >= at]
    assert alerts
    a = alerts[0]
    assert a["kind"] == "rule:sagging" and a["severity"] == "crit"
    assert a["since"] - a["onset"] >= 60
    assert a["detail"].startswith("conversion ") and " over 10 min" in a["detail"]
    assert a["evidence"]["conv_1m"] < 0.7 * a["evidence"]["conv_10m"]
    assert a["evidence"]["held_s"] >= 60 and a["evidence"]["featured_stock"] > 0
    assert a["suggest"]["action"] == "pin" and a["suggest"]["args"]["text"].endswith(" left")


def test_a_rule_that_never_holds_raises_nothing_and_missing_values_compare_false(sim, fold):
    """A condition on a value with no value yet (nothing featured) is false, not an error."""
    events, _ = sim("steady", 41, 10.0)
    never = {"name": "never", "when": "online < 0 or featured_eta_s < -1"}
    assert _rule_alerts(fold(events, detect=_detect(never))) == []
    rule = Rule.compile({"name": "unset", "when": "featured_stock < 5"})
    assert rule.check({"featured_stock": None}) is False
    assert Rule.compile({"name": "div", "when": "orders_1m / online > 1"}).check(
        {"orders_1m": 3, "online": 0}) is False  # fmt: skip


@pytest.mark.parametrize(("spec", "reason"), [
    ({"name": "syntax", "when": "conv_1m < < 3"}, "rule 'syntax': column 11: invalid syntax"),
    ({"name": "unknown", "when": "conv_2m < 3"},
     "rule 'unknown': column 1: unknown name 'conv_2m'"),
    ({"name": "call", "when": "online > len('x')"}, "rule 'call': column 10: a call is not"),
    ({"name": "attr", "when": "online.real > 3"}, "rule 'attr': column 1: an attribute is not"),
    ({"name": "index", "when": "online[0] > 3"}, "rule 'index': column 1: an index is not"),
    ({"name": "lambda", "when": "(lambda: 1)() > 0"}, "rule 'lambda': column 1: a call"),
    ({"name": "text", "when": "online > 'many'"}, "rule 'text': column 10: str 'many' is not"),
    ({"name": "power", "when": "online ** 2 > 3"}, "rule 'power': column 1: operator Pow"),
    ({"name": "empty", "when": ""}, "rule 'empty': 'when' must be a condition"),
    ({"name": "long", "when": "online > 1", "for_s": -5}, "rule 'long': 'for_s' must be"),
    ({"name": "loud", "when": "online > 1", "severity": "fatal"}, "'severity' must be warn"),
    ({"name": "msg", "when": "online > 1", "message": "{online.__class__}"},
     "rule 'msg': 'message': {online.__class__} is not a name it can show"),
    ({"name": "fmt", "when": "online > 1", "message": "{online:zz}"}, "format 'zz' of {online}"),
    ({"name": "act", "when": "online > 1", "suggest": {"action": "explode"}},
     "rule 'act': 'suggest' must be"),
    ({"name": "typo", "when": "online > 1", "for": 3}, "rule 'typo': unknown key 'for'"),
    ({"name": "has space", "when": "online > 1"}, "a rule needs a name without spaces"),
])  # fmt: skip
def test_each_kind_of_bad_rule_is_refused_with_name_position_and_reason(spec, reason):
    """A bad rule raises RuleError naming the rule, the column (for the condition) and why."""
    with pytest.raises(RuleError) as info:
        compile_rules([spec])
    assert reason in str(info.value)


def test_two_rules_with_one_name_are_refused():
    """Rule names identify their alerts, so two rules cannot share one."""
    with pytest.raises(RuleError, match="rule 'a': two rules have this name"):
        compile_rules([{"name": "a", "when": "online > 1"}, {"name": "a", "when": "online > 2"}])


def test_a_bad_rule_in_config_stops_livemon_at_start(tmp_path: Path):
    """``livemon run``/``serve`` refuse a bad rule before starting, with exit status 2."""
    bad = tmp_path / "bad.toml"
    bad.write_text('[[detect.rules]]\nname = "oops"\nwhen = "online >"\n', encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "livemon.cli", "serve", "--config", str(bad),
                           "--port", "0", "--record-dir", str(tmp_path / "rec")],
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode == 2
    assert "rule 'oops': column" in done.stderr and "invalid syntax" in done.stderr


def test_rules_give_the_same_alerts_however_the_events_are_batched(sim, fold):
    """Rules run on closed seconds of event time: one batch, or frames of 1 or 777, agree."""
    events, _ = sim("mixed", 81)
    detect = _detect(SAGGING, {"name": "busy", "when": "comments_1m > 120", "for_s": 10})
    whole = fold(events, detect=detect)
    assert _rule_alerts(whole)
    assert fold(events, batch=1, detect=detect) == whole
    assert fold(events, batch=777, detect=detect) == whole


def _record(record_dir: Path, detect_sets: list[str]) -> None:
    async def main() -> None:
        hub = Hub(config.load(None, detect_sets), record_dir, tokens=TOKENS)
        await hub.run_adapter(SimAdapter(room="r1", scenario="conversion_drop", seed=31,
                                         duration=1800, incident_at=700, speed="max"))  # fmt: skip
        await hub.stop()

    asyncio.run(main())


def test_rules_test_lists_what_rules_would_raise_beside_what_was_raised(tmp_path: Path):
    """``livemon rules test`` replays a recorded session: the same rule alerts as live, at the
    same event times, listed beside the alerts the session raised."""
    rules = tmp_path / "rules.toml"
    rules.write_text(
        '[[detect.rules]]\nname = "sagging"\nwhen = "conv_1m < 0.7 * conv_10m and featured_stock'
        ' > 0"\nfor_s = 60\nmessage = "conversion {conv_1m:.1f} vs {conv_10m:.1f}"\n',
        encoding="utf-8",
    )
    live_dir = tmp_path / "live"
    _record(live_dir, [])
    done = subprocess.run([sys.executable, "-m", "livemon.cli", "rules", "test", str(rules),
                           "--record-dir", str(live_dir)],
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "1 rule(s)" in out and "room r1: rules would have raised" in out
    rows = [line for line in out.splitlines() if line.startswith("  +")]
    would = [line for line in rows if " would " in line]
    raised = [line for line in rows if " raised " in line]
    assert would and raised and any("conversion_drop" in line for line in raised)

    # Each line's +H:MM:SS counts from the session's first event (every line's clock minus
    # its offset is that one moment), not from the first line listed (+0:00:00).
    def seconds(text: str) -> int:
        hours, minutes, secs = (int(x) for x in text.lstrip("+").split(":"))
        return 3600 * hours + 60 * minutes + secs

    starts = {(seconds(line.split()[1]) - seconds(line.split()[0])) % 86400 for line in rows}
    assert len(starts) == 1 and not rows[0].startswith("  +0:00:00"), rows
    # Live with the same rule: the same alerts at the same times (replay is exact).
    spec = ("detect.rules=[{name = 'sagging', when = 'conv_1m < 0.7 * conv_10m and "
            "featured_stock > 0', for_s = 60, message = 'conversion {conv_1m:.1f} vs "
            "{conv_10m:.1f}'}]")  # fmt: skip
    with_rule = tmp_path / "with"
    _record(with_rule, [spec])
    from livemon.detect.rules_cmd import raised as raised_in
    from livemon.detect.rules_cmd import session_rows

    row = session_rows(with_rule, [])[0]
    live = [a for a in raised_in(with_rule, row["session"], "r1") if a["kind"] == "rule:sagging"]
    assert len(live) == len(would)
    for alert, line in zip(live, would, strict=True):
        assert alert["detail"] in line


def test_metrics_list_shows_the_rules_in_force(tmp_path: Path):
    """``livemon metrics --list --config FILE`` lists the rule names and the rules in force."""
    conf = tmp_path / "c.toml"
    conf.write_text('[[detect.rules]]\nname = "sagging"\nwhen = "conv_1m < 0.7 * conv_10m"\n'
                    'for_s = 30\n', encoding="utf-8")  # fmt: skip
    done = subprocess.run([sys.executable, "-m", "livemon.cli", "metrics", "--list", "--config",
                           str(conf)], capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "conv_10m" in done.stdout and "featured_stock" in done.stdout
    assert "rule:sagging  warn when conv_1m < 0.7 * conv_10m for 30 s" in done.stdout


async def test_help_screen_shows_the_rules(tmp_path: Path):
    """The console's help screen lists the rules the hub runs."""
    cfg = config.load(None, ["detect.rules=[{name = 'busy', when = 'comments_1m > 100'}]"])
    hub = Hub(cfg, tmp_path, tokens=TOKENS)
    await hub.start("127.0.0.1", 0)
    try:
        app = create_app(hub.url(), TOKENS["control"])
        async with app.run_test(size=(120, 50)) as pilot:
            for _ in range(200):
                if app.facts.rules:
                    break
                await pilot.pause(0.05)
            await pilot.press("question_mark")
            for _ in range(100):
                if isinstance(app.screen, HelpScreen):
                    break
                await pilot.pause(0.05)
            assert isinstance(app.screen, HelpScreen)
            assert "rule:busy: warn when comments_1m > 100 for 0 s" in app.screen.note
    finally:
        await hub.stop()


def test_monitor_refuses_bad_rules_before_any_event():
    """``Monitor`` compiles the rules when it is made: a bad one never reaches a room."""
    with pytest.raises(RuleError, match="rule 'x': column 4: invalid syntax"):
        Monitor({"rules": [{"name": "x", "when": "1 +"}]})
