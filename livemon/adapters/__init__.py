"""Adapter plugins: the contract, discovery, and the two ways to run one."""

from livemon.adapters.base import Adapter, CommandRefused, Option
from livemon.adapters.discover import discover

__all__ = ["Adapter", "CommandRefused", "Option", "discover"]
