"""Find adapter plugins: folders under ``plugins/`` and the entry-point group."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from importlib.metadata import entry_points

from livemon.adapters.base import Adapter

GROUP = "livemon.adapters"


class Discovery:
    """Callable: every adapter class found, by name: ``plugins.*`` packages, then entry points.

    A plugin that fails to import is skipped with its error kept in
    ``errors`` (name -> message) so that ``livemon adapters`` can show it.
    """

    def __init__(self) -> None:
        self.errors: dict[str, str] = {}

    def __call__(self) -> dict[str, type[Adapter]]:
        found: dict[str, type[Adapter]] = {}
        self.errors = {}
        try:
            import plugins
        except ImportError:
            plugins = None  # type: ignore[assignment]  # an install without the plugins folder
        if plugins is not None:
            for info in pkgutil.iter_modules(plugins.__path__):
                try:
                    module = importlib.import_module(f"plugins.{info.name}")
                except Exception as exc:  # a broken plugin must not hide the others
                    self.errors[info.name] = str(exc)
                    continue
                for value in vars(module).values():
                    # Abstract bases a plugin imports (WebsocketFeed) are not adapters.
                    if (
                        isinstance(value, type)
                        and issubclass(value, Adapter)
                        and not inspect.isabstract(value)
                    ):
                        found.setdefault(value.name, value)
        for ep in entry_points(group=GROUP):
            if ep.name in found:
                continue
            try:
                cls = ep.load()
            except Exception as exc:
                self.errors[ep.name] = str(exc)
                continue
            found[ep.name] = cls
        return found


discover = Discovery()
