"""The walkthrough's panel: the step's command, what it reveals, and the live answer.

Docked above the footer of the main screen and of a view while the walkthrough runs. It
draws what the controller (``tui/walking.py``) hands it; every string from the engine or
the host is drawn inert.
"""

from __future__ import annotations

import textwrap

from rich.text import Text
from textual.widgets import Static

from widgets.format import clean
from widgets.provenance import elide_middle


class WalkPanel(Static):
    """Where the walk is and its keys, the command, the sentences, the answer, its source here:
    one line each (the sentences two at most), so the pane above keeps the screen on 80x24."""

    DEFAULT_CSS = """
    WalkPanel { height: auto; max-height: 8; padding: 0 1;
                border-top: heavy $accent; background: $boost; display: none; }
    WalkPanel.-on { display: block; }
    """

    _last: Text | None = None

    def show_step(self, where: str, title: str, command: str, says: str, answer: str, answer_style: str,
                  keys: str, here: str = "") -> None:
        """``here``: the command or file the answer came from on this host, when it is not the
        seed's (a cgroup v1 file for the seed's v2 one, the real path for ``$dockerlongid``)."""
        width = max(20, (self.size.width or 120) - 2)
        head = Text(no_wrap=True, overflow="ellipsis")
        head.append(f" {where} ", style="bold reverse")
        head.append(f" {clean(title)}", style="bold")
        head.append(f"   {keys}", style="dim")
        head.truncate(width, overflow="ellipsis")
        t = Text()
        t.append_text(head)
        t.append("\n$ ", style="dim")
        t.append(elide_middle(clean(command), width - 2), style="bold cyan")
        lines = textwrap.wrap(clean(says), width) or [""]
        t.append("\n" + lines[0] + ("\n" + lines[1] if len(lines) > 1 else ""))
        if len(lines) > 2:
            t.append(" …", style="dim")
        t.append("\n▶ ", style="bold")
        t.append(elide_middle(clean(answer), width - 2), style=answer_style)
        if here and here != command:
            t.append("\n  here: ", style="dim")
            t.append(elide_middle(clean(here), width - 8), style="dim")
        if t != self._last:
            self._last = t
            self.update(t)
