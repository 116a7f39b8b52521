"""Engine view: ``docker version`` (clients and server), ``docker info`` essentials, images, and
the host's ``/proc/cgroups`` table. Works without an engine too (host rows only)."""

from __future__ import annotations

import datetime as _dt
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable

from tui.backend.model import Snapshot
from tui.messages import Provenance
from widgets.format import clean, human_bytes, text

Row = tuple[str, str, Any, str]  # key, label, value, source


def info_rows(snap: Snapshot) -> list[Row]:
    """Version and info rows for the engine table, in display order."""
    e, h = snap.engine, snap.host
    rows: list[Row] = [("§client", "Clients", "", "")]
    if e is not None:
        for comp in e.client_components:
            rows.append((f"client-{comp.name}", comp.name, text(f"{comp.version}  {comp.detail}"), "docker version"))
    rows.append(("§server", "Server", "", ""))
    if e is None:
        why = clean(snap.engine_error) or "no answer"
        rows.append(("noengine", "Engine", text(f"not reachable at {snap.endpoint}: {why}", style="yellow"), ""))
        rows.append(("hint", "", text(snap.engine_hint), ""))
    else:
        rows.append(("endpoint", "Endpoint", text(e.endpoint), "docker context inspect"))
        for comp in e.server_components:
            rows.append((f"server-{comp.name}", comp.name, text(f"{comp.version}  {comp.detail}"),
                         "docker version"))
        rows.append(("api", "API version", text(f"{e.api_version.value} (min {e.min_api_version})"),
                     e.api_version.source))
        rows.append(("§info", "docker info", "", ""))
        status = "  ".join(f"{k}: {v}" for k, v in e.driver_status)
        for key, label, sv, extra in (
            ("driver", "Storage driver", e.storage_driver, status),
            ("cgdriver", "Cgroup driver", e.cgroup_driver, ""),
            ("cgversion", "Cgroup version", e.cgroup_version, ""),
            ("runtime", "Default runtime", e.default_runtime, "available: " + ", ".join(e.runtimes)),
            ("init", "Init binary", e.init_binary, ""),
            ("kernel", "Kernel", e.kernel, ""),
            ("os", "Operating system", e.operating_system, f"{e.os_type}/{e.arch}"),
            ("root", "DockerRootDir", e.docker_root_dir, ""),
        ):
            rows.append((key, label, text(f"{sv.value}  {extra}".rstrip()), sv.source))
        rows.append(("cpus", "CPUs", text(e.ncpu.value), e.ncpu.source))
        rows.append(("mem", "Memory", text(human_bytes(e.mem_total.value)), e.mem_total.source))
        rows.append(("counts", "Containers / images", text(f"{e.containers_total} / {e.images_total}"),
                     "docker info -f '{{.Containers}} {{.Images}}'"))
        for i, opt in enumerate(e.security_options):
            rows.append((f"sec-{i}", "Security options" if i == 0 else "", text(opt),
                         "docker info -f '{{json .SecurityOptions}}'"))
        if e.containerd_snapshotter:
            rows.append(("snap", "Image store", text("containerd snapshotter (no overlay2 dirs)"),
                         "docker info -f '{{json .DriverStatus}}'"))
    rows.append(("§host", "This host", "", ""))
    rows.append(("cgmode", "Cgroup mode", text(h.cgroup_mode), "grep cgroup /proc/self/mountinfo"))
    if h.cgroup_controllers.value:
        rows.append(("cgctl", "cgroup2 controllers", text(h.cgroup_controllers.value), h.cgroup_controllers.source))
    rows.append(("priv", "Privileges", text("root" if h.root else f"uid {h.uid}: root-only views say so"),
                 "id; grep CapEff /proc/self/status"))
    mode = snap.mode
    rows.append(("mode", "Mode", text(mode + (f"  ({h.local_reason})" if h.local_reason else "")), ""))
    return rows


class EngineView(Horizontal):
    """Engine and host facts: one info table, images and ``/proc/cgroups`` beside it."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._info_keys: list[str] = []
        self._sources: dict[str, str] = {}

    def compose(self) -> ComposeResult:
        info = DataTable(id="engine-info", cursor_type="row", show_header=False)
        info.border_title = "docker version · docker info"
        yield info
        with Vertical(id="engine-side"):
            images = DataTable(id="engine-images", cursor_type="row")
            images.border_title = "Images (docker images)"
            yield images
            cg = DataTable(id="engine-cgroups", cursor_type="row")
            cg.border_title = "/proc/cgroups"
            yield cg

    def on_mount(self) -> None:
        info = self.query_one("#engine-info", DataTable)
        info.add_column("field", key="field", width=20)
        info.add_column("value", key="value")
        images = self.query_one("#engine-images", DataTable)
        for label, key, width in (("REPOSITORY:TAG", "tag", 30), ("IMAGE ID", "id", 12),
                                  ("SIZE", "size", 9), ("CREATED (UTC)", "created", 16)):
            images.add_column(label, key=key, width=width)
        cg = self.query_one("#engine-cgroups", DataTable)
        for label, key, width in (("SUBSYS", "subsys", 12), ("HIERARCHY", "hier", 9),
                                  ("CGROUPS", "num", 8), ("ENABLED", "en", 7)):
            cg.add_column(label, key=key, width=width)

    def show(self, snap: Snapshot) -> None:
        """Diff a snapshot into the three tables."""
        info = self.query_one("#engine-info", DataTable)
        rows = info_rows(snap)
        keys = [r[0] for r in rows]
        if keys != self._info_keys:
            info.clear()
            for key, label, value, _ in rows:
                lab = Text(f"── {label}", style="bold") if key.startswith("§") else Text(label)
                info.add_row(lab, value, key=key)
            self._info_keys = keys
        else:
            for key, _, value, _ in rows:
                if info.get_cell(key, "value") != value:
                    info.update_cell(key, "value", value)
        self._sources = {key: src for key, _, _, src in rows}
        self._images(snap)
        self._cgroups(snap)

    def _images(self, snap: Snapshot) -> None:
        t = self.query_one("#engine-images", DataTable)
        want = {}
        for im in snap.images:
            short = im.id.removeprefix("sha256:")[:12]
            created = _dt.datetime.fromtimestamp(im.created, _dt.timezone.utc).strftime("%Y-%m-%d %H:%M")
            want[im.id] = (text(", ".join(im.tags) or "<none>"), Text(short),
                           Text(human_bytes(im.size), justify="right"), Text(created))
        if list(want) != [str(r.key.value) for r in t.ordered_rows]:
            t.clear()
            for key, cells in want.items():
                t.add_row(*cells, key=key)
        t.border_subtitle = f"{len(want)} images" if snap.engine else "no engine"

    def _cgroups(self, snap: Snapshot) -> None:
        t = self.query_one("#engine-cgroups", DataTable)
        for r in snap.host.proc_cgroups:
            cells = (text(r.subsys), Text(str(r.hierarchy), justify="right"),
                     Text(str(r.num_cgroups), justify="right"), Text("yes" if r.enabled else "no"))
            if r.subsys in t.rows:
                for col, v in zip(("subsys", "hier", "num", "en"), cells):
                    if t.get_cell(r.subsys, col) != v:
                        t.update_cell(r.subsys, col, v)
            else:
                t.add_row(*cells, key=r.subsys)
        t.border_subtitle = "hierarchy 0 = cgroup2 or unused"

    @on(DataTable.RowHighlighted)
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        key = str(event.row_key.value)
        if event.data_table.id == "engine-info":
            src = self._sources.get(key, "")
        elif event.data_table.id == "engine-images":
            src = f"docker image inspect {key}"
        else:
            src = "cat /proc/cgroups"
        if src:
            self.post_message(Provenance(src))
