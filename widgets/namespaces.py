"""Namespaces pane (tab 3): each namespace of the selected container beside the host's, with a
verdict (private, host, shared with a container), the Docker setting that made it so and what
that means; above it, which process stood for the host and the net namespace's bind mount."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical

from tui.backend.model import Snapshot
from tui.backend.model.ns import NamespaceSet, NsRow, inode
from widgets.format import set_border, text
from widgets.live_table import Cells, Column, LiveTable
from widgets.pane import Pane, TableFirst

VERDICT_STYLE = {"private": "green", "host": "yellow", "shared": "magenta"}
COLUMNS = (
    Column("kind", "TYPE", 16), Column("ns", "ITS NS", 10, right=True), Column("host", "HOST NS", 10, right=True, drop=2),
    Column("verdict", "VERDICT", 14), Column("setting", "SETTING", 0), Column("meaning", "MEANING", 44, drop=1),
)
"""The NS columns are inodes (``readlink /proc/PID/ns/TYPE`` without the type); equal numbers are
the same namespace. A narrow pane drops HOST NS, then MEANING (the line above the table says
what the row under the cursor means)."""


def verdict_cell(row: NsRow) -> Text:
    label = "shared: " + ", ".join(row.peers) if row.verdict == "shared" else row.verdict
    return text(label, style=VERDICT_STYLE.get(row.verdict, ""))


class NamespacesPane(TableFirst, Vertical, Pane):
    """The facts line on top, then one row per namespace type."""

    PANE_ID = "namespaces"
    FACTS_ID = "ns-facts"
    TITLE = "Namespaces"
    SHORT = "NS"
    KEY = "3"
    SUMMARY = "Which namespaces the container has of its own, which it shares, and with whom"
    ORIGIN = "ls -l /proc/<init>/ns ; ls -l /proc/1/ns"
    SOURCES = ("namespaces",)
    HELP = (("enter", "on pid: the Processes tab as the container sees it; on net: the Network tab"),
            ("shift+tab", "from the table to the lines above it"))

    DEFAULT_CSS = """
    NamespacesPane #ns-facts { dock: top; height: 3; max-height: 40%; border-bottom: solid $panel-lighten-2; }
    NamespacesPane #ns-table { height: 1fr; }
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._value: NamespaceSet | None = None
        self._facts: dict[str, tuple[str, str]] = {}
        self._name = ""

    def compose(self) -> ComposeResult:
        yield LiveTable(COLUMNS, id="ns-table", source=self._source)
        yield LiveTable((Column("label", "", 14), Column("value", "", 0)), show_header=False, id="ns-facts",
                        source=lambda key: self._facts.get(key))

    @property
    def table(self) -> LiveTable:
        return self.query_one("#ns-table", LiveTable)

    def show(self, snap: Snapshot, cid: str | None) -> None:
        c = snap.container(cid) if cid else None
        self._name = c.name.value if c else ""
        res = snap.result("namespaces")
        value = res.value if res is not None and res.key == cid and isinstance(res.value, NamespaceSet) else None
        self._value = value
        facts = self.query_one("#ns-facts", LiveTable)
        if value is None:
            why = "select a container" if c is None else res.error if res is not None and res.error else "reading…"
            self._facts = {"why": (res.error if res else "", "Namespaces")}
            facts.set_rows([("why", (Text("Namespaces", style="bold"), text(why, style="yellow")))])
            facts.styles.height = 2
            self.table.set_rows(())
            set_border(self, f"Namespaces · {self._name}" if c else "Namespaces", why)
            return
        lines = [("ref", "Host from", value.reference.value, value.reference.source, False)]
        if value.sandbox_key.value:
            lines.append(("netns", "net bind mount", value.sandbox_key.value + "  (what lsns -t net shows as NSFS)",
                          value.sandbox_key.source, False))
        lines += [(f"note{i}", "Note", n, "", True) for i, n in enumerate(value.notes)]
        current = next((r for r in value.rows if r.kind == self.table.cursor_key), value.rows[0] if value.rows else None)
        if current is not None:
            lines.append(("means", current.kind, current.meaning, current.inode.source, False))
        self._facts = {key: (src, label) for key, label, _, src, _ in lines}
        facts.set_rows((key, (Text(label, style="bold"), text(v, style="yellow" if warn else "")))
                       for key, label, v, _, warn in lines)
        facts.styles.height = len(lines) + 1
        short = (cid or "")[:12]
        rows: list[tuple[str, Cells]] = []
        for r in value.rows:
            rows.append((r.kind, (Text(r.kind, style="bold"), Text(str(inode(r.inode.value))),
                                  Text(str(inode(r.host)) if r.host else "?"),
                                  verdict_cell(r), text(r.setting.value.replace(cid or "\0", short)),
                                  text(r.meaning, style="dim"))))
        self.table.set_rows(rows)
        counts = {v: sum(1 for r in value.rows if r.verdict == v) for v in ("private", "host", "shared")}
        set_border(self, f"Namespaces · {self._name}",
                   f"{counts['private']} private · {counts['host']} the host's · {counts['shared']} shared · "
                   "⏎ on pid / net jumps")

    def _source(self, key: str) -> tuple[str, str] | None:
        row = next((r for r in self._value.rows if r.kind == key), None) if self._value else None
        if row is None:
            return None
        return f"{row.inode.source} ; {row.setting.source}".strip(" ;"), row.kind

    @on(LiveTable.Highlighted, "#ns-table")
    def _moved(self, event: LiveTable.Highlighted) -> None:
        row = next((r for r in self._value.rows if r.kind == event.key), None) if self._value else None
        if row is not None:
            self._facts["means"] = (row.inode.source, row.kind)
            self.query_one("#ns-facts", LiveTable).update_row(
                "means", (Text(row.kind, style="bold"), text(row.meaning)))

    @on(LiveTable.Selected, "#ns-table")
    async def _selected(self, event: LiveTable.Selected) -> None:
        event.stop()
        from widgets.registry import find  # the registry lists this pane: imported when used

        kind = event.key.removesuffix("_for_children")
        if kind == "pid":
            await self.app.run_action("tab('processes')")
            await self.app.run_action("pane_key('processes', 'container_view')")
            self.app.query_one("#processes-pane").focus()
        elif kind == "net" and find("network") is not None:
            await self.app.run_action("tab('network')")
        elif kind == "net":
            self.notify("The Network tab is not in this build yet.", title="net", severity="warning")
