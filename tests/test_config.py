"""Typed config: each mistake in a file or a ``--set`` stops the start with a message."""

from __future__ import annotations

import tomllib
from pathlib import Path

import msgspec
import pytest

from livemon import config, docsgen
from livemon import events as ev
from livemon.detect import Monitor
from livemon.engine import Engine
from tests.test_cli import livemon


def _refused(sets: list[str] = (), text: str | None = None, tmp: Path | None = None) -> str:
    path = None
    if text is not None:
        assert tmp is not None
        path = tmp / "my.toml"
        path.write_text(text, encoding="utf-8")
    with pytest.raises(config.ConfigError) as caught:
        config.load(path, sets)
    return str(caught.value)


def test_defaults_are_typed_sections() -> None:
    """With no file the config is the structs' defaults, read as attributes."""
    cfg = config.load()
    assert cfg.hub.port == 8765 and cfg.detect.stock.low_eta_s == 120.0
    assert cfg.adapters["sim"]["scenario"] == "mixed"


def test_unknown_key_in_file_names_file_key_and_nearest(tmp_path: Path) -> None:
    """A misspelt key in a file is refused with the file, the key and the key it resembles."""
    message = _refused(text="[hub]\nprot = 9000\n", tmp=tmp_path)
    assert str(tmp_path / "my.toml") in message
    assert "unknown key hub.prot; did you mean hub.port?" in message


def test_unknown_section_in_file(tmp_path: Path) -> None:
    """A section that does not exist is refused, listing the sections there are."""
    message = _refused(text="[guardrail]\nmax_coupon_count = 5\n", tmp=tmp_path)
    assert "unknown section guardrail; did you mean guardrails?" in message
    assert "hub" in message and "detect" in message


def test_wrong_type_in_file(tmp_path: Path) -> None:
    """A value of the wrong type names the key, the expected type and the value."""
    message = _refused(text='[guardrails]\nmax_coupon_count = "lots"\n', tmp=tmp_path)
    assert message == (f"config file {tmp_path / 'my.toml'}: guardrails.max_coupon_count: "
                       "expected int, got str ('lots')")  # fmt: skip


def test_out_of_range_value_in_file(tmp_path: Path) -> None:
    """A value outside its range says the bound."""
    message = _refused(text="[detect.conversion_drop]\ncrit_drop = 1.5\n", tmp=tmp_path)
    assert "detect.conversion_drop.crit_drop: expected float < 1.0 (1.5)" in message


def test_section_given_as_value(tmp_path: Path) -> None:
    """A section written as a plain value says it must be a table."""
    message = _refused(text="hub = 3\n", tmp=tmp_path)
    assert "hub must be a table of settings ([hub]), got 3" in message


def test_set_with_wrong_type_is_refused() -> None:
    """``--set guardrails.max_coupon_count=abc`` is refused (it used to start and crash later)."""
    message = _refused(["guardrails.max_coupon_count=abc"])
    assert message == ("--set guardrails.max_coupon_count=abc: guardrails.max_coupon_count: "
                       "expected int, got str ('abc')")  # fmt: skip


def test_set_of_unknown_section_is_refused() -> None:
    """``--set nosuch.key=1`` is refused instead of passing silently."""
    assert _refused(["nosuch.key=1"]).startswith("--set nosuch.key=1: unknown section nosuch")


def test_set_of_port_that_is_not_a_number_is_refused() -> None:
    """``--set hub.port=abc`` is refused."""
    assert "hub.port: expected int, got str ('abc')" in _refused(["hub.port=abc"])


def test_set_of_unknown_adapter_option_is_refused() -> None:
    """An adapter option that the adapter does not declare is refused, naming its options."""
    message = _refused(["sim.sed=3"])
    assert "unknown key adapters.sim.sed; did you mean sim.seed?" in message
    assert "scenario" in message


def test_set_of_adapter_option_with_wrong_type_is_refused() -> None:
    """An adapter option of the wrong type is refused with the option's own message."""
    assert "adapters.sim.seed: option seed must be int, got 'x'" in _refused(["sim.seed=x"])


def test_unknown_adapter_section_is_refused(tmp_path: Path) -> None:
    """``[adapters.NAME]`` for an adapter that is not installed is refused."""
    message = _refused(text="[adapters.simm]\nseed = 2\n", tmp=tmp_path)
    assert "unknown adapter 'simm'" in message and "sim" in message


def test_nested_set_reaches_detector_settings() -> None:
    """``--set detect.stock.low_floor=5`` sets that one value and keeps the others."""
    cfg = config.load(None, ["detect.stock.low_floor=5", "session.targets.orders=30"])
    assert cfg.detect.stock.low_floor == 5 and cfg.detect.stock.low_eta_s == 120.0
    assert cfg.session.targets == {"gmv_cents": 0, "orders": 30}


def test_dict_style_read_of_undeclared_key_raises() -> None:
    """Reading a key a section does not declare raises instead of returning a default."""
    with pytest.raises(KeyError, match="declare it in livemon/config.py"):
        config.load().hub.get("max_frame", 100)


def _stock_low_alerts(detect: dict) -> list[dict]:
    monitor = Monitor(detect)
    engine = Engine(on_new_room=monitor)
    ts = 1_700_000_000.0
    events: list[ev.Event] = [ev.Product(ts=ts, room="r", sku="a", name="A", price_cents=100,
                                         stock=400)]  # fmt: skip
    events += [ev.Order(ts=ts + i, room="r", order_id=f"o{i}", buyer="u", sku="a", qty=1,
                        price_cents=100) for i in range(1, 20)]  # fmt: skip
    engine.apply(events)
    return [a for _, a in monitor.drain() if a["kind"] == "stock_low"]


def test_stock_low_limits_take_effect() -> None:
    """``[detect.stock] low_eta_s`` and ``low_floor`` change when stock_low fires."""
    assert _stock_low_alerts({}) == []
    alerts = _stock_low_alerts({"stock": {"low_eta_s": 500, "low_floor": 9999}})
    assert alerts and alerts[0]["sku"] == "a"


def test_sample_file_is_the_defaults() -> None:
    """config/livemon.toml parses to exactly the defaults the structs hold."""
    sample = tomllib.loads(docsgen.config_toml())
    assert sample == msgspec.to_builtins(config.Config())


def test_cli_refuses_bad_set_before_starting(tmp_path: Path) -> None:
    """``livemon serve --set hub.port=abc`` exits 2 with the message, before listening."""
    done = livemon("serve", "--record-dir", str(tmp_path), "--set", "hub.port=abc")
    assert done.returncode == 2
    assert "livemon: --set hub.port=abc: hub.port: expected int, got str ('abc')" in done.stderr


def test_adapters_shows_the_defaults_run_uses() -> None:
    """``livemon adapters`` shows the sim defaults the demo runs with (mixed, 5x)."""
    out = livemon("adapters").stdout
    assert "scenario = 'mixed'" in out and "speed = '5'" in out


def test_example_configs_load() -> None:
    """Every example file in config/ passes the same checks a user's file gets."""
    for path in sorted((docsgen.ROOT / "config").glob("*.toml")):
        assert isinstance(config.load(path), config.Config), path
