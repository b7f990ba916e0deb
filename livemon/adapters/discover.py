"""Find adapter plugins: folders under ``plugins/`` and the entry-point group."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from importlib.metadata import entry_points

from livemon.adapters.base import Adapter

GROUP = "livemon.adapters"


def discover() -> dict[str, type[Adapter]]:
    """Every adapter class found, by name: ``plugins.*`` packages, then entry points.

    A plugin that fails to import is skipped with its error kept in
    ``discover.errors`` so that ``livemon adapters`` can show it.
    """
    found: dict[str, type[Adapter]] = {}
    discover.errors = {}
    try:
        import plugins
    except ImportError:
        plugins = None
    if plugins is not None:
        for info in pkgutil.iter_modules(plugins.__path__):
            try:
                module = importlib.import_module(f"plugins.{info.name}")
            except Exception as exc:  # a broken plugin must not hide the others
                discover.errors[info.name] = str(exc)
                continue
            for value in vars(module).values():
                # Abstract bases a plugin imports (WebsocketFeed) are not adapters.
                if (
                    isinstance(value, type)
                    and issubclass(value, Adapter)
                    and not (inspect.isabstract(value))
                ):
                    found.setdefault(value.name, value)
    for ep in entry_points(group=GROUP):
        if ep.name in found:
            continue
        try:
            cls = ep.load()
        except Exception as exc:
            discover.errors[ep.name] = str(exc)
            continue
        found[ep.name] = cls
    return found


discover.errors = {}
