"""Generated reference files: the config sample, ``docs/config.md`` and ``docs/metrics.md``.

They are made from the code (the config structs of ``livemon.config`` and the
metric texts that ``livemon metrics --list`` prints), so they cannot drift:
``python -m livemon.docsgen --check`` fails when one is stale (a test runs
it) and ``--write`` rewrites them.
"""

from __future__ import annotations

import argparse
import json
import sys
import typing
from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgspec

from livemon import config as config_mod

ROOT = Path(__file__).resolve().parent.parent
HEADER = "generated from livemon/{src} by `python -m livemon.docsgen --write`; do not edit by hand"


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_toml_value(v)}" for k, v in value.items()) + " }"
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"no TOML form for {value!r}")


def _toml_key(key: str) -> str:
    return key if key.replace("_", "").replace("-", "").isalnum() else json.dumps(key)


def _description(field: msgspec.structs.FieldInfo) -> str:
    for meta in getattr(field.type, "__metadata__", ()):
        if isinstance(meta, msgspec.Meta) and meta.description:
            return meta.description
    return ""


def _type_name(tp: Any) -> str:
    if typing.get_origin(tp) is typing.Annotated:
        base, *metas = typing.get_args(tp)
        limits = []
        for meta in metas:
            for name, sign in (("ge", ">="), ("gt", ">"), ("le", "<="), ("lt", "<")):
                bound = getattr(meta, name, None)
                if bound is not None:
                    limits.append(f"{sign} {bound}")
        return _type_name(base) + (f" ({', '.join(limits)})" if limits else "")
    if typing.get_origin(tp) is dict:
        key, value = typing.get_args(tp)
        return f"table of {_type_name(value)}"
    return getattr(tp, "__name__", str(tp))


def _default(field: msgspec.structs.FieldInfo) -> Any:
    if field.default is not msgspec.NODEFAULT:
        return field.default
    return msgspec.to_builtins(field.default_factory())


def _sections(
    cls: type[config_mod.Section], prefix: str = ""
) -> list[tuple[str, type[config_mod.Section]]]:
    """(dotted name, struct) of every table of settings, depth first (``hub``, ``detect.stock``)."""
    out: list[tuple[str, type[config_mod.Section]]] = []
    for field in msgspec.structs.fields(cls):
        sub = config_mod._struct_of(field.type)
        if sub is not None:
            name = f"{prefix}{field.name}"
            if any(config_mod._struct_of(f.type) is None for f in msgspec.structs.fields(sub)):
                out.append((name, sub))
            out += _sections(sub, f"{name}.")
    return out


def _doc(cls: type) -> str:
    """The first paragraph of the section's docstring, without its ``[name]``: prefix."""
    text = " ".join((cls.__doc__ or "").split("\n\n")[0].split())
    if text.startswith("``["):
        text = text.partition(": ")[2]
    return text[:1].upper() + text[1:]


def config_toml() -> str:
    """``config/livemon.toml``: every key with its default and a comment, as valid TOML."""
    lines = [
        "# livemon configuration: every setting with its default value.",
        "# " + HEADER.format(src="config.py") + ".",
        "# Copy what you change into your own file and pass it with --config FILE, or",
        "# override one value with --set SECTION.key=value (an adapter's option:",
        "# --set sim.scenario=stockout). Unknown keys and wrong types stop the start.",
    ]
    for name, cls in _sections(config_mod.Config):
        lines += ["", f"# {_doc(cls)}", f"[{name}]"]
        for field in msgspec.structs.fields(cls):
            if config_mod._struct_of(field.type) is not None:
                continue
            lines.append(f"{field.name} = {_toml_value(_default(field))}"
                         f"  # {_description(field)}")  # fmt: skip
    lines += ["", "# Adapter options ([adapters.NAME]; livemon adapters lists every option)."]
    lines += [
        "# The embedded demo (livemon run, serve --adapter sim): an hour-long room with",
        "# every incident at five times real time, so the first shows after a minute.",
    ]
    for adapter, options in config_mod.ADAPTER_DEFAULTS.items():
        lines.append(f"[adapters.{adapter}]")
        lines += [f"{_toml_key(k)} = {_toml_value(v)}" for k, v in options.items()]
    return "\n".join(lines) + "\n"


def config_md() -> str:
    """``docs/config.md``: each section's keys with type, default and meaning."""
    lines = [
        "# Configuration reference",
        "",
        f"<!-- {HEADER.format(src='config.py')} -->",
        "",
        "livemon starts from these defaults. Lay your own TOML file over them with",
        "`--config FILE`, or change one value with `--set SECTION.key=value`",
        "(`--set detect.stock.low_floor=5`; an adapter's option: `--set sim.seed=3`).",
        "Every key of the file and of `--set` is checked before anything starts: an",
        "unknown or misspelt key, a value of the wrong type or out of range stops the",
        "start with the file (or the `--set`), the key and what was expected, e.g.",
        "",
        "```",
        "livemon: --set hub.port=abc: hub.port: expected int, got str ('abc')",
        "livemon: config file my.toml: unknown key hub.prot; did you mean hub.port? (...)",
        "```",
        "",
        "[`config/livemon.toml`](../config/livemon.toml) is the same list as a TOML file.",
        "The tokens can also come from the environment: `LIVEMON_INGEST_TOKEN`,",
        "`LIVEMON_WATCH_TOKEN`, `LIVEMON_CONTROL_TOKEN` (they win over the file).",
    ]
    for name, cls in _sections(config_mod.Config):
        lines += ["", f"## `[{name}]`", "", _doc(cls), "",
                  "| key | type | default | meaning |", "|---|---|---|---|"]  # fmt: skip
        for field in msgspec.structs.fields(cls):
            if config_mod._struct_of(field.type) is not None:
                continue
            default = _toml_value(_default(field)).replace("|", "\\|")
            text = _description(field).replace("|", "\\|")
            lines.append(f"| `{field.name}` | {_type_name(field.type)} | `{default}` | {text} |")
    lines += ["", "## `[adapters.NAME]`", "",
              "The options of each adapter plugin; `livemon adapters` lists them with the",
              "defaults `run` and `serve` use. livemon's own defaults for them:", ""]  # fmt: skip
    for adapter, options in config_mod.ADAPTER_DEFAULTS.items():
        settings = ", ".join(f"`{k} = {_toml_value(v)}`" for k, v in options.items())
        lines.append(f"- `[adapters.{adapter}]`: {settings}")
    return "\n".join(lines) + "\n"


def metrics_md() -> str:
    """``docs/metrics.md``: the output of ``livemon metrics --list`` as tables."""
    from livemon.detect.kinds import ALERT_KINDS
    from livemon.engine.metrics import METRICS, PRODUCT_METRICS

    lines = [
        "# Metrics and alerts",
        "",
        f"<!-- {HEADER.format(src='engine/metrics.py')} -->",
        "",
        'Every snapshot (see [protocol.md](protocol.md), "Hub -> console") carries these',
        "keys in `metrics`, computed on event time (the `ts` of the events, not the",
        "wall clock), so the same events give the same numbers live or replayed.",
        "`livemon metrics --list` prints the same definitions, and the alert kinds.",
        "",
        "## Room metrics (`metrics`)",
        "",
        "| key | definition |",
        "|---|---|",
    ]
    lines += [f"| `{k}` | {v.replace('|', '/')} |" for k, v in METRICS.items()]
    lines += ["", "## Per product (`products[]`)", "", "| key | definition |", "|---|---|"]
    lines += [f"| `{k}` | {v.replace('|', '/')} |" for k, v in PRODUCT_METRICS.items()]
    from livemon.engine.shifts import SHIFT_METRICS
    from livemon.engine.targets import TARGET_FIELDS

    lines += ["", "## Per host shift (`shift`, `shifts[]`)", "", "| key | definition |",
              "|---|---|"]  # fmt: skip
    lines += [f"| `{k}` | {v.replace('|', '/')} |" for k, v in SHIFT_METRICS.items()]
    lines += ["", "## Per target (`targets[]`)", "", "| key | definition |", "|---|---|"]
    lines += [f"| `{k}` | {v.replace('|', '/')} |" for k, v in TARGET_FIELDS.items()]
    lines += ["", "## Alerts", "",
              "Each alert opens once, escalates from warn to crit, can be acknowledged and",
              "resolves with hysteresis; it carries its evidence and, where one helps, a",
              "suggested command. Thresholds are settings: [config.md](config.md).", "",
              "| kind | when |", "|---|---|"]  # fmt: skip
    lines += [f"| `{k}` | {v.replace('|', '/')} |" for k, v in ALERT_KINDS.items()]
    return "\n".join(lines) + "\n"


FILES: dict[str, Callable[[], str]] = {
    "config/livemon.toml": config_toml,
    "docs/config.md": config_md,
    "docs/metrics.md": metrics_md,
}


def stale(root: Path = ROOT) -> list[str]:
    """The generated files whose content differs from what the code makes now."""
    out = []
    for rel, make in FILES.items():
        path = root / rel
        if not path.exists() or path.read_text(encoding="utf-8") != make():
            out.append(rel)
    return out


def main(argv: list[str] | None = None) -> int:
    """``--check``: exit 1 naming stale files; ``--write``: rewrite them."""
    parser = argparse.ArgumentParser(prog="python -m livemon.docsgen", description=__doc__)
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--check", action="store_true")
    group.add_argument("--write", action="store_true")
    args = parser.parse_args(argv)
    if args.write:
        for rel, make in FILES.items():
            (ROOT / rel).parent.mkdir(parents=True, exist_ok=True)
            (ROOT / rel).write_text(make(), encoding="utf-8")
            print(f"wrote {rel}")
        return 0
    bad = stale()
    for rel in bad:
        print(f"{rel} is stale: run python -m livemon.docsgen --write", file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
