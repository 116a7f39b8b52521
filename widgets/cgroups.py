"""Cgroups pane (tab 4): the selected container's cgroup — limits as the kernel enforces them next
to live usage, each with its file and the ``docker run`` flag that set it; throttling, memory
breakdown and events, I/O per device, pressure, the processes in it. ``W`` shows where it lives:
the raw ``/proc/PID/cgroup`` lines of the container's init and of its shim, and the directories
they name."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical

from tui.backend.model import Container, Snapshot
from tui.backend.model.cg import CgroupView
from widgets.cgroup_rows import condensed, view_rows, where_rows
from widgets.format import set_border, text
from widgets.live_table import Column, LiveTable
from widgets.pane import Pane, PaneCommand, TableFirst, show_reason

COLUMNS = (Column("item", "", 12), Column("limit", "ENFORCED  ← SET BY", 38), Column("usage", "USAGE", 28),
           Column("detail", "", 0))
WHERE_COLUMNS = (Column("who", "PROCESS", 22), Column("line", "/proc/PID/cgroup", 36, drop=1),
                 Column("dir", "HOST DIRECTORY", 0))


class CgroupsPane(TableFirst, Vertical, Pane):
    """Facts on top (mode, driver, where init and shim sit), then limits and usage by resource."""

    PANE_ID = "cgroups"
    FACTS_ID = "cg-facts"
    TITLE = "Cgroups"
    SHORT = "Cg"
    KEY = "4"
    SUMMARY = "The container's cgroup: limits as enforced next to live usage, throttling, OOM, I/O, pressure"
    ORIGIN = "cat /proc/<init>/cgroup ; cat /sys/fs/cgroup/…/cpu.max memory.max pids.max …"
    SOURCES = ("cgroup",)
    HELP = (("W", "where it lives: /proc/PID/cgroup of init and shim, and each controller's directory"),
            ("enter", "on a process: the Processes tab at that PID"),
            ("shift+tab", "from the table to the lines above it"))
    COMMANDS = (PaneCommand("Cgroups: where it lives", "The raw /proc/PID/cgroup lines of init and shim, "
                            "and the directories they name (W)", "toggle_where", "W"),)

    DEFAULT_CSS = """
    CgroupsPane #cg-facts { dock: top; height: 4; max-height: 40%; border-bottom: solid $panel-lighten-2; }
    CgroupsPane .cg-table { height: 1fr; }
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.where = False
        self._value: CgroupView | None = None
        self._sources: dict[str, tuple[str, str]] = {}
        self._facts: dict[str, tuple[str, str]] = {}
        self._name = ""
        self._container: Container | None = None

    def compose(self) -> ComposeResult:
        yield LiveTable(COLUMNS, id="cg-table", classes="cg-table", source=self._source, flex_min=24)
        where = LiveTable(WHERE_COLUMNS, id="cg-where", classes="cg-table", source=self._source, flex_min=30)
        where.display = False
        yield where
        yield LiveTable((Column("label", "", 16), Column("value", "", 0)), show_header=False, id="cg-facts",
                        source=lambda key: self._facts.get(key))

    @property
    def table(self) -> LiveTable:
        return self.query_one("#cg-where" if self.where else "#cg-table", LiveTable)

    def action_toggle_where(self) -> None:
        old = self.table
        had_focus = old.has_focus
        self.where = not self.where
        old.display, self.table.display = False, True
        if had_focus:
            self.table.focus()
        self._draw()

    def show(self, snap: Snapshot, cid: str | None) -> None:
        c = snap.container(cid) if cid else None
        self._container = c
        self._name = c.name.value if c else ""
        res = snap.result("cgroup")
        value = res.value if res is not None and res.key == cid and isinstance(res.value, CgroupView) else None
        self._value = value
        facts = self.query_one("#cg-facts", LiveTable)
        if value is None:
            why = "select a container" if c is None else res.error if res is not None and res.error else "reading…"
            self._facts = show_reason(facts, "Cgroups", why, res.error if res else "", self.size.width)
            for t in self.query(".cg-table").results(LiveTable):
                t.set_rows(())
            set_border(self, f"Cgroups · {self._name}" if c else "Cgroups", why.split(":")[0][:60])
            return
        self._draw_facts(value, cid or "")
        self._draw()

    def _draw_facts(self, v: CgroupView, cid: str) -> None:
        short = cid[:12] + "…"
        mode = {"hybrid": "v1 hybrid (v1 controllers + a v2 tree at /sys/fs/cgroup/unified)", "v1": "v1",
                "v2": "v2 (unified)"}.get(v.mode, v.mode)
        lines = [("host", "Host", f"cgroup {mode} · driver {v.driver.value or '?'} · cgroupns {v.cgroupns.value}",
                  f"grep cgroup /proc/self/mountinfo ; {v.driver.source} ; {v.cgroupns.source}".strip(" ;"), "")]
        init = condensed(v.init_lines, v.version)
        if init is not None:
            lines.append(("init", f"init {v.init_pid}", f"{init.raw} → {init.directory}",
                          f"cat /proc/{v.init_pid}/cgroup", ""))
        shim = condensed(v.shim_lines, v.version)
        if shim is not None and v.shim_pid:
            other = shim.directory != (init.directory if init else "")
            lines.append(("shim", f"shim {v.shim_pid}", f"{v.shim_name}: {shim.raw} → {shim.directory}"
                          + ("  (not the container's: the runtime stays outside the limits)" if other else ""),
                          f"cat /proc/{v.shim_pid}/cgroup", "dim"))
        lines += [(f"note{i}", "Note", n, "", "yellow") for i, n in enumerate(v.notes)]
        self._facts = {key: (src, label) for key, label, _, src, _ in lines}
        facts = self.query_one("#cg-facts", LiveTable)
        facts.set_rows((key, (Text(label, style="bold"), text(val.replace(cid, short) if cid else val, style=style)))
                       for key, label, val, _, style in lines)
        facts.styles.height = len(lines) + 1

    def _draw(self) -> None:
        v = self._value
        if v is None:
            return
        rows = where_rows(v) if self.where else view_rows(v, self._container)
        self._sources = {key: (src, key.split(":")[0]) for key, _, src in rows if src}
        self.table.set_rows((key, cells) for key, cells, _ in rows)
        set_border(self, f"Cgroups · {self._name} · {'where it lives' if self.where else 'limits and usage'}",
                   f"cgroup v{v.version} · {len(v.procs)} process{'' if len(v.procs) == 1 else 'es'} · W: "
                   + ("limits and usage" if self.where else "where it lives") + " · ⏎ on a PID")

    def _source(self, key: str) -> tuple[str, str] | None:
        return self._sources.get(key)

    @on(LiveTable.Selected, ".cg-table")
    async def _selected(self, event: LiveTable.Selected) -> None:
        event.stop()
        if not event.key.startswith("pid:"):
            return
        pid = int(event.key[4:])
        await self.app.run_action("tab('processes')")
        pane = self.app.query_one("#processes-pane")
        pane.show_pid(pid)  # type: ignore[attr-defined]
        pane.focus()
