"""Incremental, event-time metrics: pure code, no I/O."""

from livemon.engine.engine import Engine
from livemon.engine.room import ProductState, RoomState

__all__ = ["Engine", "ProductState", "RoomState"]
