"""What every pane declares about itself, so the app can build tabs, keys, help and palette.

A pane is a widget that also subclasses :class:`Pane` and fills in its class attributes; it
is listed once in ``widgets/registry.py``. The app then gives it a tab (or, with ``SCREEN``,
a view of its own that its key opens and closes), its number key, a section in ``?`` help,
palette entries, and asks the backend for its ``SOURCES`` only while it is visible.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from typing import Any, ClassVar

from rich.text import Text

from tui.backend.model import Snapshot
from widgets.format import text


@dataclass(frozen=True)
class PaneCommand:
    """A palette entry that runs one of the pane's actions (``action_<name>``), and the key that
    runs it whenever the pane is visible (not only while it has the focus)."""

    title: str
    help: str
    action: str
    key: str = ""


class Pane:
    """Mixin for a registered pane: its identity, needs and documentation, and :meth:`show`."""

    PANE_ID: ClassVar[str]
    """Stable id: the tab id, ``--tab`` value and the key of its tests."""
    TITLE: ClassVar[str]
    SHORT: ClassVar[str] = ""
    """A shorter title for a tab bar too narrow for the whole ones (``Procs``)."""
    KEY: ClassVar[str]
    """The key that opens it (tabs: the fixed digit of DESIGN.md §1)."""
    SUMMARY: ClassVar[str]
    """One line on what it shows (palette, help)."""
    ORIGIN: ClassVar[str] = ""
    """The shell command the pane as a whole replaces (the footer until a value has focus)."""
    SOURCES: ClassVar[tuple[str, ...]] = ()
    """Backend sources it shows; they run only while it is visible."""
    HELP: ClassVar[tuple[tuple[str, str], ...]] = ()
    """Its own keys, as (key, what it does)."""
    COMMANDS: ClassVar[tuple[PaneCommand, ...]] = ()
    """Palette entries (tab panes: the command shows the tab, then runs the action)."""
    SCREEN: ClassVar[bool] = False
    """A view of its own (host-wide views) instead of a tab for the selected container."""

    def show(self, snap: Snapshot, cid: str | None) -> None:
        """Diff ``snap`` in, for the selected container ``cid``."""
        raise NotImplementedError


class TableFirst:
    """For a pane with lines docked above its main table (``FACTS_ID``): entering the pane, by
    ``tab`` or from the list, lands on the table; ``shift+tab`` from the table reaches the lines.
    (The focus chain follows the screen, so the docked lines would come first.)"""

    FACTS_ID: ClassVar[str]
    _blurred: object = None

    @property
    def table(self) -> Any:
        raise NotImplementedError

    def focus(self, scroll_visible: bool = True) -> Any:
        self.table.focus(scroll_visible)
        return self

    def focus_facts(self) -> None:
        """Focus the docked lines on purpose (the walkthrough points at one), as if from the table."""
        self._blurred = self.table
        facts: Any = getattr(self, "query_one")(f"#{self.FACTS_ID}")
        facts.focus()

    def on_descendant_blur(self, event: Any) -> None:
        self._blurred = event.widget

    def on_descendant_focus(self, event: Any) -> None:
        came_from, self._blurred = self._blurred, None
        if event.widget.id == self.FACTS_ID and came_from is not self.table:
            self.table.focus()


def show_reason(facts: Any, title: str, why: str, source: str, width: int) -> dict[str, tuple[str, str]]:
    """Put why a pane has nothing to show in its docked facts table, wrapped to ``width`` (a
    reason can be long: rootless on cgroup v1), and return the rows' footer sources."""
    parts = textwrap.wrap(why, max(40, width - 22)) or [why]
    keys = [f"why{i}" if i else "why" for i in range(len(parts))]
    facts.set_rows((key, (Text(title if not i else "", style="bold"), text(part, style="yellow")))
                   for i, (key, part) in enumerate(zip(keys, parts)))
    facts.styles.height = len(parts) + 1
    return {key: (source, title) for key in keys}
