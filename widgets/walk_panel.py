"""The walkthrough's panel: the step's command, what it reveals, and the live answer.

Docked above the footer of the main screen and of a view while the walkthrough runs. It
draws what the controller (``tui/walking.py``) hands it; every string from the engine or
the host is drawn inert.
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from widgets.format import clean
from widgets.provenance import elide_middle


class WalkPanel(Static):
    """Four to six lines: where the walk is, the command, the sentences, the answer, the keys."""

    DEFAULT_CSS = """
    WalkPanel { height: auto; max-height: 12; padding: 0 1;
                border-top: heavy $accent; background: $boost; display: none; }
    WalkPanel.-on { display: block; }
    """

    _last: Text | None = None

    def show_step(self, where: str, title: str, command: str, says: str, answer: str, answer_style: str,
                  keys: str, here: str = "") -> None:
        """``here``: the command or file the answer came from on this host, when it is not the
        seed's (a cgroup v1 file for the seed's v2 one, the real path for ``$dockerlongid``)."""
        t = Text()
        t.append(f" {where} ", style="bold reverse")
        t.append(f" {clean(title)}", style="bold")
        t.append(f"   {keys}\n", style="dim")
        t.append("$ ", style="dim")
        t.append(clean(command), style="bold cyan")
        t.append("\n")
        t.append(clean(says))
        t.append("\n")
        t.append("▶ ", style="bold")
        t.append(clean(answer), style=answer_style)
        if here and here != command:
            t.append("\n  here: ", style="dim")
            t.append(elide_middle(clean(here), max(20, (self.size.width or 120) - 10)), style="dim")
        if t != self._last:
            self._last = t
            self.update(t)
