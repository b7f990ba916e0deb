"""Recording: the append-only logs and the SQLite catalog."""

from livemon.record.catalog import Catalog
from livemon.record.recorder import Recorder

__all__ = ["Catalog", "Recorder"]
