"""``livemon report PATH | --session ID [--format html|md|json] [-o FILE]``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

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


def check_writable(output: Path) -> None:
    """Raise ValueError, before any work, when the report could not be written to ``output``."""
    import os

    folder = output.parent if str(output.parent) else Path(".")
    if output.is_dir():
        raise ValueError(f"-o {output} is a directory: give a file name, e.g. {output}/review.html")
    if not folder.is_dir():
        raise ValueError(f"-o {output}: there is no directory {folder} (create it first)")
    if not os.access(folder, os.W_OK) or (output.exists() and not os.access(output, os.W_OK)):
        raise ValueError(f"-o {output}: not writable here (permission denied)")


def run(args: argparse.Namespace) -> int:
    """Build the report of the recording the options name and write it."""
    from livemon.replay_cmd import find, progress_bar, recorded_config
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
    if args.output:
        check_writable(Path(args.output))
    path, room, title = find(args)
    with progress_bar(f"reviewing {path.name}") as update:
        report = build_report(path, room, recorded_config(path), title, update)
    if fmt == "html":
        text = render.html(report)
    elif fmt == "json":
        text = render.json_text(report)
    else:
        import shutil

        width = min(120, shutil.get_terminal_size((100, 40)).columns)
        text = render.markdown(report, width)
    if args.output:
        try:
            Path(args.output).write_text(text + "\n", encoding="utf-8")
        except OSError as exc:
            raise ValueError(f"cannot write the report to {args.output}: {exc.strerror}") from None
        print(f"report written to {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text + "\n")
    return 0
