"""Adapter plugins: the contract, discovery, and the two ways to run one."""

from livemon.adapters.base import FEED_STATES, Adapter, CommandRefused, Option
from livemon.adapters.discover import discover

__all__ = ["FEED_STATES", "Adapter", "CommandRefused", "Option", "discover"]
