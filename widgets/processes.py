"""Processes pane (tab 2): the runtime chain above the container, then its process tree with
host PID beside container PID; ``v`` shows it as the container sees it (``ps -ef`` inside).

Rows are keyed by ``pid:start``, so the cursor stays on a process while others come and go,
and a reused PID is a new row. A process seen in the last few seconds is highlighted.
"""

from __future__ import annotations

import shlex
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical

from tui.backend.model import Snapshot, SourceResult, Sourced
from tui.backend.model.procs import Proc, ProcessTree, ProcRequest, RuntimeLine, TreeRow
from tui.messages import OpenView
from widgets.format import clean, human_bytes, set_border, start_time, text
from widgets.live_table import Cells, Column, LiveTable
from widgets.pane import Pane, PaneCommand, TableFirst
from widgets.process_detail import ProcessDetailScreen

NEW_S = 3.0
"""How long a process that just appeared stays highlighted."""

ROLE_STYLE = {"engine": "cyan", "containerd": "cyan", "shim": "cyan", "conmon": "cyan", "ancestor": "cyan",
              "init": "bold", "exec": "magenta", "shared": "yellow"}
IN_CONTAINER = ("", "init", "exec", "shared")
ROLE_LABEL = {"engine": "engine", "containerd": "containerd", "shim": "shim", "conmon": "conmon",
              "ancestor": "", "init": "init", "exec": "exec", "shared": ""}

HOST_COLUMNS = (
    Column("pid", "PID", 7, right=True), Column("cpid", "CPID", 5, right=True),
    Column("user", "UID USER", 12, drop=2), Column("state", "S", 1), Column("cpu", "CPU%", 5, right=True),
    Column("rss", "RSS", 6, right=True, drop=3), Column("start", "START", 8, drop=4),
    Column("cmd", "COMMAND (host tree)", 0),
)
"""Narrow panes drop START, then RSS, then USER (higher ``drop`` goes first); never the PIDs."""
CONTAINER_COLUMNS = (
    Column("pid", "PID", 5, right=True), Column("ppid", "PPID", 5, right=True),
    Column("hpid", "HOST PID", 8, right=True, drop=1), Column("user", "UID USER", 12, drop=2),
    Column("state", "S", 1), Column("cpu", "CPU%", 5, right=True), Column("rss", "RSS", 6, right=True, drop=3),
    Column("start", "STIME", 8, drop=4), Column("cmd", "CMD (as the container sees it)", 0),
)


def user_cell(p: Proc, inside: bool) -> Text:
    """uid and name as the container sees them (``0 root``); the host uid first where it differs
    (rootless: ``1001→0 root``)."""
    uid = p.inner_uid if p.inner_uid is not None else p.uid
    label = f"{'?' if uid is None else uid} {clean(p.user)}".rstrip()
    if not inside and p.uid is not None and p.inner_uid is not None and p.uid != p.inner_uid:
        label = f"{p.uid}→{label}"
    return Text(label)


def command_cell(p: Proc, row: TreeRow, show_edge: bool) -> Text:
    out = Text(row.prefix, style="dim")
    label = ROLE_LABEL.get(p.role, "")
    if label:
        out.append(f"[{label}] ", style=ROLE_STYLE.get(p.role, ""))
    if p.role == "shared" and p.container:
        out.append(f"[from {clean(p.container)}] ", style="yellow")
    out.append(clean(p.command), style=ROLE_STYLE.get(p.role, ""))
    if p.cmdline and p.comm and not p.cmdline[0].rsplit("/", 1)[-1].startswith(p.comm[:15]):
        out.append(f" (comm {clean(p.comm)})", style="dim")
    if show_edge and row.edge:
        out.append(f"  ← {clean(row.edge)}", style="dim italic")
    return out


class ProcessesPane(TableFirst, Vertical, Pane):
    """The runtime lines, then the process tree (host view or container view)."""

    PANE_ID = "processes"
    FACTS_ID = "proc-runtime"
    TITLE = "Processes"
    SHORT = "Procs"
    KEY = "2"
    SUMMARY = "The container's process tree, host PID beside container PID, under its runtime chain"
    ORIGIN = "ps -eF ; docker exec NAME ps -ef ; pstree -lpTs"
    SOURCES = ("processes",)
    HELP = (("v", "host view (the real tree from dockerd down) / container view (ps -ef inside)"),
            ("enter", "the process's /proc essentials: status, caps, cgroup, namespaces, cwd, root"),
            ("shift+tab", "from the tree to the runtime lines above it (tab: back)"))
    COMMANDS = (PaneCommand("Processes: toggle host / container view", "The tree as the host or the container "
                            "sees it (v)", "toggle_view", "v"),)

    DEFAULT_CSS = """
    ProcessesPane #proc-runtime { dock: top; height: 6; max-height: 45%; border-bottom: solid $panel-lighten-2; }
    ProcessesPane .proc-table { height: 1fr; }
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.inside = False
        self._tree: ProcessTree | None = None
        self._name = ""
        self._cid: str | None = None
        self._first_seen: dict[str, float] = {}
        self._runtime_src: dict[str, tuple[str, str]] = {}
        self._now = 0.0
        self._want_pid = 0

    def compose(self) -> ComposeResult:
        yield LiveTable(HOST_COLUMNS, id="proc-host", classes="proc-table", source=self._row_source, flex_min=22)
        inside = LiveTable(CONTAINER_COLUMNS, id="proc-inside", classes="proc-table", source=self._row_source,
                           flex_min=22)
        inside.display = False
        yield inside
        yield LiveTable((Column("label", "", 14), Column("value", "", 0)), show_header=False, id="proc-runtime",
                        source=lambda key: self._runtime_src.get(key))  # docked on top, second in focus order

    @property
    def table(self) -> LiveTable:
        return self.query_one("#proc-inside" if self.inside else "#proc-host", LiveTable)

    def action_container_view(self) -> None:
        """The container view (``enter`` on pid in the Namespaces tab)."""
        if not self.inside:
            self.action_toggle_view()

    def show_pid(self, pid: int) -> None:
        """Put the cursor on host PID ``pid`` in the host view, now or when the tree arrives
        (``enter`` on a process in the Cgroups tab)."""
        if self.inside:
            self.action_toggle_view()
        self._want_pid = pid
        self._draw(self._now)

    def action_toggle_view(self) -> None:
        """Host view ↔ container view; the cursor stays on the same process."""
        old = self.table
        had_focus = old.has_focus
        self.inside = not self.inside
        new = self.table
        old.display, new.display = False, True
        if old.cursor_key is not None:
            new.move_cursor(key=old.cursor_key)
        if had_focus:
            new.focus()
        self._draw(self._now)

    def show(self, snap: Snapshot, cid: str | None) -> None:
        c = snap.container(cid) if cid else None
        if cid != self._cid:
            self._cid = cid
            self._first_seen.clear()
            for t in self.query(LiveTable):
                t.set_rows(())
        self._name = c.name.value if c else ""
        res = snap.result("processes")
        self._now = snap.taken_at
        tree = res.value if res is not None and res.key == cid and isinstance(res.value, ProcessTree) else None
        self._tree = tree
        if tree is None:
            self._empty(res, c is not None)
            return
        fresh = not self._first_seen
        for p in tree.procs:
            self._first_seen.setdefault(p.key, 0.0 if fresh else snap.taken_at)
        alive = {p.key for p in tree.procs}
        for key in [k for k in self._first_seen if k not in alive]:
            del self._first_seen[key]
        lines = (*tree.runtime, *(RuntimeLine("Note", Sourced(n, ""), warn=True) for n in tree.notes))
        self._runtime_src = {f"rt{i}": (line.value.source, line.label) for i, line in enumerate(lines)}
        rt = self.query_one("#proc-runtime", LiveTable)
        short = (cid or "")[:12] + "…"
        rt.set_rows((f"rt{i}", (Text(line.label, style="bold"),
                                text(line.value.value.replace(cid or "\0", short), style="yellow" if line.warn else "")))
                    for i, line in enumerate(lines))
        rt.styles.height = min(len(lines), 10) + 1
        self._draw(snap.taken_at)

    def _empty(self, res: SourceResult | None, selected: bool) -> None:
        why = ("select a container" if not selected else res.error if res is not None and res.error
               else "reading /proc…")
        rt = self.query_one("#proc-runtime", LiveTable)
        self._runtime_src = {"why": (res.error if res else "", "Processes")}
        rt.set_rows([("why", (Text("Processes", style="bold"), text(why, style="yellow")))])
        rt.styles.height = 2
        for t in self.query(".proc-table").results(LiveTable):
            t.set_rows(())
        set_border(self, f"Processes · {self._name}" if selected else "Processes", why)

    def _draw(self, now: float) -> None:
        tree = self._tree
        if tree is None:
            return
        procs = {p.key: p for p in tree.procs}
        rows = tree.container_rows if self.inside else tree.host_rows
        cells: list[tuple[str, Cells]] = []
        for row in rows:
            p = procs.get(row.key)
            if p is None:
                continue
            seen = self._first_seen.get(p.key, 0.0)
            new = bool(seen) and now - seen < NEW_S
            cpu = Text("" if p.cpu is None else f"{p.cpu:.1f}", style="bold red" if (p.cpu or 0) >= 50 else "")
            common = (user_cell(p, self.inside), Text(p.state, style="red" if p.state in "DZ" else ""), cpu,
                      Text(human_bytes(p.rss, compact=True)), Text(start_time(p.started_at, now)),
                      command_cell(p, row, not self.inside))
            if self.inside:
                ids = (Text(str(row.pid)), Text(str(row.ppid)), Text(str(p.pid)))
            else:
                ids = (Text(str(p.pid)), Text(str(p.cpid) if p.role in IN_CONTAINER else "—"))
            line = (*ids, *common)
            if new:
                for t in line:
                    t.stylize("bold green")
            cells.append((p.key, line))
        self.table.set_rows(cells)
        if self._want_pid:
            key = next((p.key for p in tree.procs if p.pid == self._want_pid), None)
            if key is not None:
                self.table.move_cursor(key=key)
                self._want_pid = 0
        inside = sum(1 for p in tree.procs if p.role in IN_CONTAINER)
        view = "container view (ps -ef inside)" if self.inside else "host view"
        set_border(self, f"Processes · {self._name} · {view}",
                   f"{inside} in the container · members: {tree.members.value} · v: "
                   + ("host view" if self.inside else "container view") + " · ⏎ details")

    def _row_source(self, key: str) -> tuple[str, str] | None:
        p = self._tree.proc(key) if self._tree is not None else None
        if p is None:
            return None
        if self.inside:
            return (f"docker exec {shlex.quote(self._name)} ps -ef  (PID {p.cpid}; no ps needed here: "
                    f"NSpid of /proc/{p.pid}/status)", "Process")
        return (f"ps -o pid,user,stat,pcpu,rss,lstart,args -p {p.pid} ; grep NSpid /proc/{p.pid}/status",
                "Process")

    @on(LiveTable.Selected, ".proc-table")
    def _selected(self, event: LiveTable.Selected) -> None:
        event.stop()
        tree = self._tree
        p = tree.proc(event.key) if tree is not None else None
        if p is None or tree is None:
            return
        init = next((q.pid for q in tree.procs if q.role == "init"), 0)
        self.post_message(OpenView("proc_detail", ProcRequest(p.pid, p.start, init),
                                   lambda res: ProcessDetailScreen(p, res)))
