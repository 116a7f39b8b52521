"""``?`` help: every key the app answers to, grouped, with what it does."""

from __future__ import annotations

from typing import Any, ClassVar

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from widgets.file_viewer import KEYS as VIEWER_KEYS
from widgets.registry import PANES, tabs

Section = tuple[str, tuple[tuple[str, str], ...]]

APP_KEYS: tuple[Section, ...] = (
    ("Everywhere", (
        ("?", "this help (esc, q or ? closes it)"),
        ("c", "the footer's whole source in a popup, copied to the clipboard"),
        ("ctrl+p", "command palette: every action, and jump to a container by name"),
        ("tab", "move focus between the list and the tab (shift+tab: back)"),
        ("z", "zoom the focused pane to full screen (z or esc: back)"),
        ("L", "give the containers list the larger share of the screen (again: back)"),
        ("ctrl+r", "refresh now"),
        ("w", "the walkthrough: the seed's shell session, step by step, on the selected container "
              "(n / → next, p / ← previous, a: the step's action, c: copy its command, esc or w leaves)"),
        ("q", "close the view, file or popup on top; on the main screen: quit"),
        ("ctrl+q", "quit"),
    )),
    ("Containers list", (
        ("j k ↑ ↓", "move; pgup / pgdn, g / G: page, top, bottom"),
        ("← / →", "choose the column whose source the footer shows"),
        ("/", "filter by name or image (esc clears)"),
        ("a", "show / hide stopped containers"),
        ("s / S", "next sort column / reverse the sort (▲/▼ marks the column)"),
        ("Z", "freeze the order of the rows (again: live order)"),
        ("enter", "into the active tab (esc comes back)"),
        ("x", "actions on the selected container: start, stop, restart, pause, kill, exec, rename, remove "
              "(each confirmed; off with --read-only)"),
    )),
)


APP_COMMANDS: tuple[tuple[str, str, str], ...] = (
    ("Help", "All keys (?)", "help"),
    ("Filter containers", "Filter the list by name or image (/)", "filter"),
    ("Toggle stopped containers", "Show or hide stopped containers (a)", "toggle_stopped"),
    ("Sort containers", "Next sort column (s)", "sort"),
    ("Reverse sort", "Reverse the container sort (S)", "reverse_sort"),
    ("Freeze row order", "Stop or resume live reordering (Z)", "freeze"),
    ("Larger list / larger tabs", "Swap which side is larger (L)", "swap_layout"),
    ("Show and copy the source", "The footer's whole command (c)", "show_source"),
    ("Refresh now", "Poll the engine now (ctrl+r)", "refresh"),
    ("Zoom pane", "Show the focused pane full screen (z)", "zoom"),
    ("Container actions", "Start, stop, restart, pause, kill, exec, rename, remove (x)", "actions_menu"),
    ("Walkthrough", "The shell walkthrough of Docker's internals, step by step, live on the selected container (w)",
     "walkthrough"),
)
"""The app's own palette entries: (title, help, action); panes add theirs from the registry."""


def app_help() -> tuple[Section, ...]:
    """The app's keys, then the tabs and views of the pane registry, then each pane's own keys."""
    tab_panes = tabs()
    nav = ((" / ".join(p.KEY for p in tab_panes), " / ".join(p.TITLE for p in tab_panes)),
           ("[ / ]", "previous / next tab"),
           *((p.KEY, f"{p.TITLE} view: {p.SUMMARY} (esc or {p.KEY}: back)") for p in PANES if p.SCREEN),
           ("esc", "back to the list; back from a file or a view"))
    own = tuple((f"{p.KEY} {p.TITLE}", p.HELP) for p in PANES if p.HELP)
    return (*APP_KEYS, ("Tabs and views", nav), *own, ("A file (enter on it), like less", VIEWER_KEYS))


def help_table(sections: tuple[Section, ...]) -> Group:
    """Each section's title, then its keys; the key column is as wide as the longest key in any
    section, so the descriptions line up and keep the room (80 columns are enough)."""
    width = max(len(key) for _, keys in sections for key, _ in keys)
    parts: list[Any] = []
    for group, keys in sections:
        t = Table(show_header=False, box=None, padding=(0, 2, 0, 0))
        t.add_column(style="bold", no_wrap=True, width=width)
        t.add_column()
        for key, what in keys:
            t.add_row(key, what)
        parts += [Text(group, style="bold underline"), t, Text("")]
    return Group(*parts)


class HelpScreen(ModalScreen[None]):
    """Modal list of keys; any of esc, q or ? closes it."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,q,question_mark", "app.pop_screen", "Close")]

    def __init__(self, sections: tuple[Section, ...]) -> None:
        super().__init__()
        self.sections = sections

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-box"):
            yield Static(help_table(self.sections))
            yield Static(Text("Values in the footer are the command or file each number comes from.",
                              style="dim"))
