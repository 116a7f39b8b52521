"""Host processes view (``P``): every process on the host as a tree, like htop's tree view,
with the container each one belongs to (from its ``/proc/PID/cgroup``)."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on

from tui.backend.model import Snapshot
from tui.backend.model.procs import HostProcesses, Proc, ProcRequest
from tui.messages import OpenView
from widgets.format import clean, human_bytes, set_border, start_time, text
from widgets.live_table import Cells, Column, LiveTable
from widgets.pane import Pane
from widgets.process_detail import ProcessDetailScreen

COLUMNS = (
    Column("pid", "PID", 7, right=True), Column("cpid", "CPID", 5, right=True, drop=1),
    Column("ct", "CONTAINER", 14), Column("user", "USER", 9, drop=2), Column("state", "S", 1),
    Column("cpu", "CPU%", 5, right=True), Column("rss", "RSS", 6, right=True, drop=3),
    Column("start", "START", 8, drop=4), Column("cmd", "COMMAND", 0),
)


class HostProcessesView(LiveTable, Pane):
    """All host processes (kernel threads counted, not listed), containers' ones marked."""

    PANE_ID = "host-processes"
    TITLE = "Host processes"
    KEY = "P"
    SUMMARY = "Every host process as a tree, with the container it belongs to"
    ORIGIN = "ps -eF --forest ; cat /proc/PID/cgroup"
    SOURCES = ("host_processes",)
    SCREEN = True
    HELP = (("enter", "the process's /proc essentials"),)

    DEFAULT_CSS = """
    HostProcessesView { height: 1fr; border: round $primary; border-subtitle-color: $text-muted; }
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(COLUMNS, source=self._source, **kwargs)
        self._value: HostProcesses | None = None
        self._cells: dict[str, tuple[object, object, int, Cells]] = {}
        self._procs: dict[str, Proc] = {}

    def show(self, snap: Snapshot, cid: str | None) -> None:
        res = snap.result("host_processes")
        value = res.value if res is not None and isinstance(res.value, HostProcesses) else None
        if value is None:
            set_border(self, "Host processes", res.error if res is not None and res.error else "reading /proc…")
            return
        self._value = value
        self._procs = procs = {p.key: p for p in value.procs}
        rows: list[tuple[str, Cells]] = []
        now = snap.taken_at
        day = int(now // 86400)
        cache: dict[str, tuple[object, object, int, Cells]] = {}
        for row in value.rows:
            p = procs[row.key]
            hit = self._cells.get(p.key)
            if hit is not None and hit[0] is p and hit[1] is row and hit[2] == day:
                cache[p.key] = hit  # the backend hands back the same objects for idle processes
                rows.append((p.key, hit[3]))
                continue
            ct = bool(p.container)
            style = "yellow" if ct else ""
            cmd = Text(row.prefix, style="dim")
            cmd.append(clean(p.command), style=style)
            cells = (Text(str(p.pid)), Text(str(p.cpid) if ct else ""), text(p.container, style=style),
                     text(p.user), Text(p.state, style="red" if p.state in "DZ" else ""),
                     Text("" if p.cpu is None else f"{p.cpu:.1f}"), Text(human_bytes(p.rss, compact=True)),
                     Text(start_time(p.started_at, now)), cmd)
            cache[p.key] = (p, row, day, cells)
            rows.append((p.key, cells))
        self._cells = cache
        self.set_rows(rows)
        set_border(self, "Host processes",
                   f"{len(value.procs)} processes · {value.in_containers} in containers · {value.kernel_threads} "
                   f"kernel threads not listed · pid host containers say so · took {res.duration * 1000:.0f} ms"
                   if res is not None else "")

    def _source(self, key: str) -> tuple[str, str] | None:
        p = self._procs.get(key)
        if p is None:
            return None
        return (f"cat /proc/{p.pid}/stat /proc/{p.pid}/cgroup ; tr '\\0' ' ' < /proc/{p.pid}/cmdline", "Process")

    @on(LiveTable.Selected)
    def _selected(self, event: LiveTable.Selected) -> None:
        event.stop()
        p = self._procs.get(event.key)
        if p is not None:
            self.post_message(OpenView("proc_detail", ProcRequest(p.pid, p.start),
                                       lambda res: ProcessDetailScreen(p, res)))
