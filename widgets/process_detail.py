"""One process's ``/proc`` essentials (``enter`` on a process): status, uids, NSpid chain,
capabilities in words, cgroup lines, namespace inodes, cwd and root, each with its file."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen

from tui.backend.model import SourceResult
from tui.backend.model.procs import Proc, ProcDetail
from tui.messages import Provenance
from widgets.format import clean, set_border, text
from widgets.live_table import Column, LiveTable
from widgets.provenance import ProvenanceBar, focused_source


class ProcessDetailScreen(Screen[None]):
    """A field/value table for one process; ``esc`` or ``q`` goes back."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,q", "app.pop_screen", "Back")]
    DEFAULT_CSS = """
    ProcessDetailScreen LiveTable { border: round $primary; border-subtitle-color: $text-muted; }
    """

    def __init__(self, proc: Proc, res: SourceResult) -> None:
        super().__init__()
        self.proc = proc
        self.result = res
        self._sources: dict[str, tuple[str, str]] = {}

    def compose(self) -> ComposeResult:
        yield LiveTable((Column("field", "", 18), Column("value", "", 0)), show_header=False, id="proc-detail",
                        source=lambda key: self._sources.get(key))
        yield ProvenanceBar(id="provenance")

    def on_mount(self) -> None:
        table = self.query_one(LiveTable)
        p, detail = self.proc, self.result.value
        title = f"PID {p.pid} (container PID {p.cpid}) · {clean(p.command)[:60]}"
        if not isinstance(detail, ProcDetail) or detail.gone:
            why = self.result.error or f"PID {p.pid} has exited (or its PID now names another process)"
            table.set_rows([("gone", (Text("Process", style="bold"), text(why, style="yellow")))])
        else:
            rows = []
            for i, (label, value) in enumerate(detail.lines):
                key = f"l{i}"
                self._sources[key] = (value.source, label)
                style = "yellow" if value.value in ("needs root",) else ""
                rows.append((key, (Text(label, style="bold"), text(value.value, style=style))))
            table.set_rows(rows)
        set_border(table, title, "esc back · c: the source of a line")
        table.focus()
        self._provenance(Provenance())

    @on(Provenance)
    def _provenance(self, event: Provenance) -> None:
        event.stop()
        source, label = focused_source(self, None)
        self.query_one(ProvenanceBar).show(source or f"cat /proc/{self.proc.pid}/status", label)
