"""Engine view: ``docker version`` (clients and server), ``docker info`` essentials, images, the
host's ``/proc/cgroups`` table, and Cleanup (``docker system df -v`` and the prunes). Works
without an engine too (host rows only)."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical

from tui.backend.model import Snapshot
from widgets.cleanup import CleanupSection
from widgets.format import clean, human_bytes, set_border, text, when
from widgets.image_view import open_image
from widgets.live_table import Column, LiveTable
from widgets.pane import Pane

Row = tuple[str, str, Any, str]  # key, label, value, source


def info_rows(snap: Snapshot) -> list[Row]:
    """Version and info rows for the engine table, in display order."""
    e, h = snap.engine, snap.host
    rows: list[Row] = [("§client", "Clients", "", "")]
    for comp in snap.clients:
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
            ("cgdriver", "Cgroup driver", e.cgroup_driver,
             "(containers get no cgroup of their own: limits are not enforced)" if e.cgroup_driver.value == "none"
             else ""),
            ("cgversion", "Cgroup version", e.cgroup_version, ""),
            ("runtime", "Default runtime", e.default_runtime, "available: " + ", ".join(e.runtimes)),
            ("init", "Init binary", e.init_binary, "" if e.init_binary.value else "— (none: no --init)"),
            ("kernel", "Kernel", e.kernel, ""),
            ("os", "Operating system", e.operating_system, f"{e.os_type}/{e.arch}"),
            ("root", "DockerRootDir", e.docker_root_dir, ""),
        ):
            rows.append((key, label, text(f"{sv.value}  {extra}".rstrip()), sv.source))
        rows.append(("cpus", "CPUs", text(e.ncpu.value), e.ncpu.source))
        rows.append(("mem", "Memory", text(human_bytes(e.mem_total.value)), e.mem_total.source))
        running = sum(1 for c in snap.containers if c.state.value == "running")
        rows.append(("counts", "Containers", text(f"{len(snap.containers)}  ({running} running)"),
                     "docker ps -a -q | wc -l"))
        rows.append(("images", "Images", text(len(snap.images)), "docker images -q | wc -l"))
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


INFO_COLUMNS = (Column("field", "", 20), Column("value", "", 0))
IMAGE_COLUMNS = (Column("tag", "REPOSITORY:TAG", 0), Column("id", "IMAGE ID", 12, drop=2),
                 Column("size", "SIZE", 8, right=True), Column("created", "CREATED", 19, drop=1))
CGROUP_COLUMNS = (Column("subsys", "SUBSYS", 12), Column("hier", "HIERARCHY", 9, right=True),
                  Column("num", "CGROUPS", 8, right=True), Column("en", "ENABLED", 7))


class EngineView(Vertical, Pane):
    """Engine and host facts: one info table, images and ``/proc/cgroups`` beside it; below
    them, the engine's disk use and its prunes."""

    PANE_ID = "engine"
    TITLE = "Engine"
    KEY = "e"
    SUMMARY = "docker version and info, images, the host's /proc/cgroups, disk usage and prunes"
    ORIGIN = "docker version ; docker info"
    SOURCES = ("images", "clients", "disk_usage")
    SCREEN = True
    HELP = (("tab / shift+tab", "move between the info, images, /proc/cgroups and cleanup tables"),
            ("enter", "on an image: its config, layers and history, the containers using it"),
            ("p", "prune the kind under the cursor in Cleanup (containers, images, networks, volumes); "
                  "elsewhere: choose one (c i n v). The confirmation lists what goes and its size"))

    DEFAULT_CSS = """
    EngineView { height: 1fr; }
    EngineView #engine-top { height: 3fr; }
    EngineView #engine-cleanup { height: 2fr; min-height: 9; }
    EngineView #engine-info { width: 55%; height: 1fr; }
    EngineView #engine-side { width: 1fr; }
    EngineView #engine-images, EngineView #engine-cgroups { height: 1fr; }
    EngineView LiveTable { border: round $panel-lighten-2; border-title-color: $text-muted;
                           border-subtitle-color: $text-muted; }
    EngineView LiveTable:focus { border: round $primary; }
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._sources: dict[str, str] = {}

    def compose(self) -> ComposeResult:
        with Horizontal(id="engine-top"):
            info = LiveTable(INFO_COLUMNS, show_header=False, id="engine-info",
                             source=lambda key: (self._sources.get(key, ""), ""))
            info.border_title = "docker version · docker info"
            yield info
            with Vertical(id="engine-side"):
                images = LiveTable(IMAGE_COLUMNS, id="engine-images",
                                   source=lambda key: (f"docker image inspect {key}", ""))
                images.border_title = "Images (docker images)"
                yield images
                cg = LiveTable(CGROUP_COLUMNS, id="engine-cgroups", source=lambda key: ("cat /proc/cgroups", ""))
                cg.border_title = "/proc/cgroups"
                yield cg
        yield CleanupSection(id="engine-cleanup")

    @on(LiveTable.Selected, "#engine-images")
    def _open_image(self, event: LiveTable.Selected) -> None:
        if event.key:
            self.post_message(open_image(event.key))

    def show(self, snap: Snapshot, cid: str | None = None) -> None:
        """Diff a snapshot into the three tables."""
        rows = info_rows(snap)
        self._sources = {key: src for key, _, _, src in rows}
        self.query_one("#engine-info", LiveTable).set_rows(
            (key, (Text("── " + label, style="bold") if key.startswith("§") else Text(clean(label)),
                   value if isinstance(value, Text) else Text(str(value))))
            for key, label, value, _ in rows)
        images = self.query_one("#engine-images", LiveTable)
        images.set_rows(
            (im.id, (text(", ".join(im.tags) or "<none>"), Text(im.id.removeprefix("sha256:")[:12]),
                     Text(human_bytes(im.size)),
                     Text(when(im.created, snap.taken_at))))
            for im in snap.images)
        listed = snap.result("images")
        set_border(images, subtitle="no engine" if snap.engine is None
                   else f"cannot list: {listed.error}" if listed is not None and listed.error
                   else f"{len(snap.images)} images · sizes in IEC units (docker images prints SI: 1 MB = 10⁶ B)"
                   if listed is not None else "listing…")
        cg = self.query_one("#engine-cgroups", LiveTable)
        cg.set_rows((r.subsys, (text(r.subsys), Text(str(r.hierarchy)), Text(str(r.num_cgroups)),
                                Text("yes" if r.enabled else "no"))) for r in snap.host.proc_cgroups)
        set_border(cg, subtitle="hierarchy 0 = cgroup2 or unused")
        self.query_one(CleanupSection).show(snap)
