"""The livemon console: a Textual client of the hub (dashboard, stage screen)."""

from livemon.ui.app import LivemonApp, create_app

__all__ = ["LivemonApp", "create_app"]
