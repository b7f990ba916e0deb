"""``livemon report PATH | --session ID [--format html|md|json] [-o FILE]``."""

from __future__ import annotations

import argparse
import sys

from livemon import config as config_mod

FORMATS = ("html", "md", "json")


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The report's own options (the recording's are ``replay_cmd.add_arguments``)."""
    p.add_argument(
        "--format",
        choices=FORMATS,
        default=None,
        help="html, md or json (default: from -o's suffix, else md)",
    )
    p.add_argument("-o", "--output", metavar="FILE", help="write here (default: stdout)")


def run(args: argparse.Namespace) -> int:
    """Build the report of the recording the options name and write it."""
    from pathlib import Path

    from livemon.replay_cmd import find, progress_bar
    from livemon.report import build_report, render

    fmt = args.format
    if fmt is None:
        suffix = Path(args.output).suffix.lstrip(".").lower() if args.output else ""
        fmt = {"htm": "html", "markdown": "md"}.get(suffix, suffix)
        fmt = fmt if fmt in FORMATS else "md"
    try:
        import plotext  # noqa: F401
        import pygal  # noqa: F401
    except ImportError as exc:
        raise ValueError(f"the report needs {exc.name}: pip install 'livemon[report]'") from None
    path, room, title = find(args)
    with progress_bar(f"reviewing {path.name}") as update:
        report = build_report(path, room, config_mod.load(), title, update)
    if fmt == "html":
        text = render.html(report)
    elif fmt == "json":
        text = render.json_text(report)
    else:
        import shutil

        width = min(120, shutil.get_terminal_size((100, 40)).columns)
        text = render.markdown(report, width)
    if args.output:
        Path(args.output).write_text(text + "\n", encoding="utf-8")
        print(f"report written to {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text + "\n")
    return 0
