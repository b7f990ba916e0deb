"""`KeyBar`: the keys of the current screen, wrapping onto more lines when the terminal is
narrow (Textual's Footer cuts them off at one line)."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static


class KeyBar(Static):
    """Every shown binding of the screen as `key description`, wrapped to the width."""

    DEFAULT_CSS = """
    KeyBar {
        height: auto;
        max-height: 3;
        width: 1fr;
        background: $footer-background;
        color: $footer-foreground;
        padding: 0 1;
    }
    """

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, lambda _screen: self._redraw())
        self._redraw()

    def render_keys(self) -> Text:
        """The keys and what they do, as shown (disabled keys dimmed, hidden ones left out)."""
        text = Text()
        seen: set[str] = set()
        for active in self.screen.active_bindings.values():
            binding = active.binding
            if not binding.show or not binding.description or binding.action in seen:
                continue
            seen.add(binding.action)
            if text:
                text.append("  ")
            key = binding.key_display or self.app.get_key_display(binding)
            style = "" if active.enabled else "dim"
            text.append(key, f"bold {style}".strip() if active.enabled else "dim")
            text.append(" ")
            text.append(binding.description, style)
        return text

    def _redraw(self) -> None:
        self.update(self.render_keys())
