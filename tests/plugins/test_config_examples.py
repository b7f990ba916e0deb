"""The commented adapter examples in config/ load and build their adapters."""

from __future__ import annotations

from pathlib import Path

import pytest

from livemon import cli, config

EXAMPLES = sorted(p for p in (Path(__file__).parents[2] / "config").glob("*.toml")
                  if p.name != "livemon.toml")  # fmt: skip


def test_there_are_examples() -> None:
    """The webhook, tiktok and several-feeds examples are there (the test below is not vacuous)."""
    assert {"webhook.toml", "shop-room.toml", "tiktok.toml"} <= {p.name for p in EXAMPLES}


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_an_example_builds_each_adapter_it_configures(path: Path, monkeypatch) -> None:
    """Every adapter section of the example makes an adapter, with the options as written."""
    monkeypatch.setenv("SHOPIFY_WEBHOOK_SECRET", "example-secret")
    cfg = config.load(path)
    sections = cfg["adapters"]
    names = [n for n in sections if n in _written(path)]
    assert names, f"{path.name} configures no adapter"
    for name in names:
        options = cli._adapter_options(cfg, name)
        adapter = cli._make_adapter(name, "room-1", options)
        assert adapter.name == name
        for key, value in sections[name].items():
            if key in ("start", "room") or str(value).startswith("env:"):  # resolved at start
                continue
            assert adapter.settings[key] == adapter.options[key].convert(key, value), key


def _written(path: Path) -> set[str]:
    import tomllib

    return set(tomllib.loads(path.read_text(encoding="utf-8")).get("adapters", {}))
