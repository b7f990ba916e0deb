"""``livemon report``: the session review (复盘) of a recording, as HTML, Markdown or JSON.

``build_report`` folds the recording once (``collect``) and works out the
numbers (``analyse``); ``render`` draws them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from livemon.config import Config
from livemon.report.analyse import analyse
from livemon.report.collect import collect


def build_report(
    path: Path,
    room: str,
    config: Config | Mapping[str, Any],
    title: str = "",
    progress: Callable[[float], None] | None = None,
) -> dict[str, Any]:
    """The review of ``room``'s recording at ``path`` as plain data (the JSON form)."""
    return analyse(collect(path, room, config, progress), title)


__all__ = ["build_report"]
