"""Host namespaces view (``N``): every namespace in use on the host, like ``lsns``: type,
inode, how many processes, the lowest PID and its command, and the containers in it."""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType

from tui.backend.model import Snapshot
from tui.backend.model.ns import HostNamespaces
from widgets.format import set_border, text
from widgets.live_table import Cells, Column, LiveTable
from widgets.pane import Pane

KINDS = ("", "net", "pid", "mnt", "ipc", "uts", "user", "cgroup", "time")
COLUMNS = (
    Column("kind", "TYPE", 6), Column("ns", "NS", 10, right=True), Column("nprocs", "NPROCS", 6, right=True),
    Column("pid", "PID", 7, right=True), Column("containers", "CONTAINERS", 24, drop=1),
    Column("cmd", "COMMAND", 0),
)


class HostNamespacesView(LiveTable, Pane):
    """``lsns`` for the whole host, knowing containers; ``f`` filters by type."""

    PANE_ID = "host-namespaces"
    TITLE = "Host namespaces"
    KEY = "N"
    SUMMARY = "Every namespace in use on the host (lsns), with the containers in each"
    ORIGIN = "lsns"
    SOURCES = ("host_namespaces",)
    SCREEN = True
    HELP = (("f", "filter by type: all, net, pid, mnt, ipc, uts, user, cgroup, time"),)
    BINDINGS: ClassVar[list[BindingType]] = [Binding("f", "filter_kind", "Type filter")]

    DEFAULT_CSS = """
    HostNamespacesView { height: 1fr; border: round $primary; border-subtitle-color: $text-muted; }
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(COLUMNS, source=self._row_source, **kwargs)
        self.kind = ""
        self._snap: Snapshot | None = None

    def action_filter_kind(self) -> None:
        self.kind = KINDS[(KINDS.index(self.kind) + 1) % len(KINDS)]
        if self._snap is not None:
            self.show(self._snap, None)

    def show(self, snap: Snapshot, cid: str | None) -> None:
        self._snap = snap
        res = snap.result("host_namespaces")
        value = res.value if res is not None and isinstance(res.value, HostNamespaces) else None
        if value is None:
            set_border(self, "Host namespaces", res.error if res is not None and res.error else "reading /proc…")
            return
        rows: list[tuple[str, Cells]] = []
        for n in value.namespaces:
            if self.kind and n.kind != self.kind:
                continue
            style = "yellow" if n.containers else ""
            rows.append((f"{n.kind}:{n.inode}", (Text(n.kind, style="bold"), Text(str(n.inode)),
                                                 Text(str(n.nprocs)), Text(str(n.pid)),
                                                 text(", ".join(n.containers), style=style), text(n.command))))
        self.set_rows(rows)
        shown = "all types" if not self.kind else f"type {self.kind}"
        set_border(self, f"Host namespaces · {shown}",
                   f"{len(rows)} namespaces · {value.processes} processes"
                   + (f" ({value.unreadable} unreadable: needs root)" if value.unreadable else "")
                   + f" · f: type filter · took {res.duration * 1000:.0f} ms")

    def _row_source(self, key: str) -> tuple[str, str] | None:
        kind, _, ino = key.partition(":")
        return (f"lsns -t {kind} | grep {ino} ; find /proc/[0-9]*/ns/{kind} -lname '{kind}:\\[{ino}\\]'", kind)
