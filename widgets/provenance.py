"""Footer line: where the focused value comes from, and the keys to get help."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from widgets.format import clean


class ProvenanceBar(Static):
    """``source: <command or file>`` for the focused value, plus the help keys."""

    def show(self, source: str, label: str = "") -> None:
        t = Text()
        t.append(" source ", style="reverse")
        t.append(" ")
        if label:
            t.append(f"{clean(label)}: ", style="dim")
        t.append(clean(source) or "—", style="bold")
        self.update(t)
