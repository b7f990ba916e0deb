"""Configuration: config/livemon.toml, a user file, ``--set`` overrides, token env vars."""

from __future__ import annotations

import copy
import tomllib
from pathlib import Path
from typing import Any

DEFAULT_FILE = Path(__file__).resolve().parent.parent / "config" / "livemon.toml"
ROLES = ("ingest", "watch", "control")


class ConfigError(ValueError):
    """A config file or override that cannot be used; the message says which and why."""


def _merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def _parse_value(text: str) -> Any:
    """A ``--set`` value as TOML if it parses (numbers, booleans, quoted strings), else a string."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def load(
    path: str | Path | None = None, sets: list[str] | tuple[str, ...] = (), adapters: tuple = ()
) -> dict[str, Any]:
    """The defaults, merged with ``path`` and the ``--set NAME.key=value`` overrides.

    ``NAME`` is a config section (``guardrails.max_discount_cents=3000``) or,
    when it names an adapter, that adapter's section (``sim.seed=3``).
    """
    if not DEFAULT_FILE.exists():
        raise ConfigError(f"the default config {DEFAULT_FILE} is missing: run livemon from its "
                          "source tree (pip install -e .), as the README says")  # fmt: skip
    config = tomllib.loads(DEFAULT_FILE.read_text(encoding="utf-8"))
    if path is not None:
        try:
            config = _merge(config, tomllib.loads(Path(path).read_text(encoding="utf-8")))
        except FileNotFoundError:
            raise ConfigError(f"config file {path} does not exist") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"config file {path} is not valid TOML: {exc}") from None
    for item in sets:
        name, eq, value = item.partition("=")
        section, dot, key = name.partition(".")
        if not eq or not dot or not section or not key:
            raise ConfigError(f"--set {item!r}: expected NAME.key=value, e.g. sim.seed=3")
        if section in adapters or section in config.get("adapters", {}):
            target = config.setdefault("adapters", {}).setdefault(section, {})
        else:
            target = config.setdefault(section, {})
            if not isinstance(target, dict):
                raise ConfigError(f"--set {item!r}: {section} is not a section")
        target[key] = _parse_value(value)
    return config


def tokens(config: dict[str, Any]) -> dict[str, str]:
    """The token of each role: environment, then config, else a fresh random one.

    Checked by ``livemon.hub.access.resolve`` (length, one token per role).
    """
    from livemon.hub.access import resolve

    return {role: t.value for role, t in resolve(config).items()}
