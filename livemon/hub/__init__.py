"""The hub: websocket server, fan-out and command routing around the engine."""

from livemon.hub.hub import Hub

__all__ = ["Hub"]
