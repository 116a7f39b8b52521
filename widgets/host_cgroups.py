"""Host cgroups view (``C``): the host's cgroup set-up — ``/proc/cgroups``, the v2 controllers
enabled on the way down to the containers — and a ``systemd-cgls``-like tree of the cgroups that
lead to containers and engines, with live CPU and memory per node."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical

from tui.backend.model import Snapshot
from tui.backend.model.cg import HostCgroups
from widgets.format import human_bytes, set_border, text
from widgets.live_table import Cells, Column, LiveTable
from widgets.pane import Pane, TableFirst

COLUMNS = (Column("cgroup", "CGROUP", 0), Column("what", "WHAT", 30, drop=1), Column("procs", "PROCS", 5, right=True),
           Column("cpu", "CPU%", 6, right=True), Column("mem", "MEMORY", 9, right=True))


def proc_cgroups_line(snap: Snapshot) -> str:
    """``/proc/cgroups`` in one line: each controller with its v1 hierarchy (0: v2 or unused)."""
    rows = snap.host.proc_cgroups if snap.host is not None else ()
    return " · ".join(f"{r.subsys} {r.hierarchy if r.hierarchy else 'v2/unused'}"
                      + ("" if r.enabled else " (disabled)") for r in rows) or "—"


class HostCgroupsView(TableFirst, Vertical, Pane):
    """Facts (mode, /proc/cgroups, controllers down the path), then the cgroup tree."""

    PANE_ID = "host-cgroups"
    FACTS_ID = "hcg-facts"
    TITLE = "Host cgroups"
    KEY = "C"
    SUMMARY = "The host's cgroup tree (systemd-cgls / lscgroup) with live CPU and memory, and its controllers"
    ORIGIN = "cat /proc/cgroups ; cat /sys/fs/cgroup/cgroup.controllers ; systemd-cgls ; lscgroup"
    SOURCES = ("host_cgroups",)
    SCREEN = True
    HELP = (("shift+tab", "from the tree to the lines above it"),)

    DEFAULT_CSS = """
    HostCgroupsView { height: 1fr; border: round $primary; border-subtitle-color: $text-muted; }
    HostCgroupsView #hcg-facts { dock: top; height: 4; max-height: 40%; border-bottom: solid $panel-lighten-2; }
    HostCgroupsView #hcg-tree { height: 1fr; }
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._value: HostCgroups | None = None
        self._facts: dict[str, tuple[str, str]] = {}

    def compose(self) -> ComposeResult:
        yield LiveTable(COLUMNS, id="hcg-tree", source=self._row_source, flex_min=30)
        yield LiveTable((Column("label", "", 22), Column("value", "", 0)), show_header=False, id="hcg-facts",
                        source=lambda key: self._facts.get(key))

    @property
    def table(self) -> LiveTable:
        return self.query_one("#hcg-tree", LiveTable)

    def show(self, snap: Snapshot, cid: str | None) -> None:
        res = snap.result("host_cgroups")
        value = res.value if res is not None and isinstance(res.value, HostCgroups) else None
        self._value = value
        if value is None:
            set_border(self, "Host cgroups", res.error if res is not None and res.error else "reading /sys/fs/cgroup…")
            return
        mode = {"hybrid": "v1 hybrid: controllers on v1 hierarchies, an empty v2 tree at /sys/fs/cgroup/unified",
                "v1": "v1", "v2": "v2 (unified)"}.get(value.mode, value.mode)
        lines = [("mode", "Mode", f"cgroup {mode} · Docker's driver {value.driver or '?'}",
                  "grep cgroup /proc/self/mountinfo ; docker info -f '{{.CgroupDriver}}'"),
                 ("proc", "/proc/cgroups", proc_cgroups_line(snap), "cat /proc/cgroups")]
        top = value.controllers[0][0] if value.controllers else ""
        for i, (d, ctl, sub) in enumerate(value.controllers):
            lines.append((f"ctl{i}", "v2 " + (d[len(top):] or "/"), f"controllers: {ctl or '(none)'} · enabled for children: {sub or '(none)'}",
                          f"cat {d}/cgroup.controllers {d}/cgroup.subtree_control"))
        self._facts = {k: (src, label) for k, label, _, src in lines}
        facts = self.query_one("#hcg-facts", LiveTable)
        facts.set_rows((k, (Text(label, style="bold"), text(val))) for k, label, val, _ in lines)
        facts.styles.height = len(lines) + 1
        rows: list[tuple[str, Cells]] = []
        for n in value.nodes:
            name = n.path.rsplit("/", 1)[-1] or "/"
            if len(name) > 24 and n.label:
                name = name[:12] + "…"
            cell = Text("  " * n.depth, style="dim")
            cell.append(text(name, style="bold" if n.label else ""))
            rows.append((n.path, (cell, text(n.label, style="cyan" if n.label else ""), Text(str(n.procs)),
                                  Text("—" if n.cpu_percent is None else f"{n.cpu_percent:.1f}"),
                                  Text(human_bytes(n.memory, compact=True)))))
        self.table.set_rows(rows)
        shown = len(value.nodes)
        set_border(self, f"Host cgroups · {value.root}",
                   f"{shown} of {value.total_nodes} cgroups: those leading to containers and engines · "
                   f"took {res.duration * 1000:.0f} ms")

    def _row_source(self, key: str) -> tuple[str, str] | None:
        n = next((x for x in self._value.nodes if x.path == key), None) if self._value else None
        return (n.source, "cgroup") if n else None
