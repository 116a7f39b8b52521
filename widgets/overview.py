"""Overview tab: the selected container as ``docker inspect`` and its on-disk files show it.

One two-column :class:`LiveTable` (field, value) with keyed rows: a new snapshot re-renders only
the rows whose values changed. ``enter`` on a file row opens it read-only.
"""

from __future__ import annotations

import json
import posixpath
import shlex
from dataclasses import dataclass
from functools import partial
from typing import Any

from rich.text import Text
from textual import on

from tui.backend.model import Container, DiskFile, FileRequest, Snapshot, inspect_source, parse_docker_time
from tui.messages import OpenView, ShowPath
from widgets.file_viewer import FileViewer
from widgets.format import clean, cpus, set_border, docker_size_flag, duration, human_bytes, text, when
from widgets.live_table import Column, LiveTable
from widgets.pane import Pane


@dataclass(frozen=True)
class Row:
    """One overview line: stable key, label, value, and where the value comes from."""

    key: str
    label: str
    value: Any
    source: str = ""
    open_path: str = ""
    open_kind: str = ""


def _section(title: str) -> Row:
    return Row(f"§{title}", title, Text(clean(title), style="bold"))


def _argv(argv: tuple[str, ...]) -> str:
    return json.dumps(list(argv)) if argv else "—"


def _when(raw: str, now: float) -> str:
    t = parse_docker_time(raw)
    if t is None:
        return "—"
    return f"{when(t, now)}  ({duration(now - t)} ago)"


def overview_rows(c: Container, snap: Snapshot) -> list[Row]:
    """Everything the overview shows for ``c``, in display order."""
    now = snap.taken_at
    d = c.detail
    rows = [_section("Container"),
            Row("name", "Name", text(c.name.value), c.name.source),
            Row("id", "ID", text(c.id), inspect_source(c.name.value, ".Id"))]
    image_line = Text(clean(c.image.value))
    if c.image_fq != c.image.value:
        image_line.append(f"  → {clean(c.image_fq)}", style="dim")
    rows.append(Row("image", "Image", image_line, f"{c.image.source}  (fully qualified: {c.image_fq})"))
    state = c.state.value
    if state == "running" and c.started_at:
        state += f", up {duration(now - c.started_at)}"
    elif state == "exited" and c.exit_code.value is not None:
        state += f" with code {c.exit_code.value}"
    if d is not None and d.oom_killed:
        state += " (OOM killed)"
    rows.append(Row("state", "State", text(state), c.state.source))
    if d is not None and d.error:
        rows.append(Row("error", "Error", text(d.error, style="red"), c.state.source))
    rows.append(Row("pid", "Host PID (init)", text(c.pid.value or "— (not running)"), c.pid.source))
    if d is None:
        rows.append(Row("noinspect", "", text("waiting for docker inspect…", style="dim")))
        return rows
    rows += [
        Row("imageid", "Image ID", text(d.image_id.value), d.image_id.source),
        Row("entrypoint", "Entrypoint", text(_argv(d.entrypoint.value)), d.entrypoint.source),
        Row("cmd", "Command", text(_argv(d.command.value)), d.command.source),
        Row("created", "Created", text(_when(d.created.value, now)), d.created.source),
        Row("started", "Started", text(_when(d.started_at.value, now)), d.started_at.source),
        Row("finished", "Finished (last run)" if c.state.value in ("running", "paused")
            and parse_docker_time(d.finished_at.value) else "Finished",
            text(_when(d.finished_at.value, now)), d.finished_at.source),
        Row("restarts", "Restarts", text(f"{d.restart_count.value}  (policy: {d.restart_policy})"),
            d.restart_count.source),
        Row("runtime", "Runtime", text(d.runtime + ("  privileged" if d.privileged else "")),
            inspect_source(c.name.value, ".HostConfig.Runtime")),
    ]
    rows += _config_rows(c)
    rows += _limit_rows(c)
    rows += _live_rows(c, snap)
    rows += _network_rows(c)
    rows += _mount_rows(c, snap)
    rows += _disk_rows(c, snap)
    return rows


def _config_rows(c: Container) -> list[Row]:
    """What the container runs as: hostname, user, working directory, the environment's names
    (values stay out of the screen: they often hold secrets; the source prints them), labels."""
    d = c.detail
    assert d is not None
    name = c.name.value
    rows = [_section("Config"),
            Row("hostname", "Hostname", text(d.hostname or "—"), inspect_source(name, ".Config.Hostname")),
            Row("user", "User", text(d.user or "root (unset)"), inspect_source(name, ".Config.User")),
            Row("workdir", "Working dir", text(d.working_dir or "/"), inspect_source(name, ".Config.WorkingDir")),
            Row("env", "Env (names)", text(", ".join(d.env_names) or "—"), inspect_source(name, "json .Config.Env"))]
    for i, (k, v) in enumerate(d.labels):
        rows.append(Row(f"label:{k}", "Labels" if i == 0 else "", text(f"{k}={v}"),
                        inspect_source(name, "json .Config.Labels")))
    return rows


def _limit_rows(c: Container) -> list[Row]:
    assert c.detail is not None
    lim = c.detail.limits
    rows = [_section("Limits (as given)")]
    mem = lim.memory.value
    rows.append(Row("lim-mem", "Memory",
                    text(f"{human_bytes(mem)}  (--memory={docker_size_flag(mem)})" if mem else "unlimited"),
                    lim.memory.source))
    swap = lim.memory_swap.value
    if mem and swap:
        sw = "unlimited" if swap < 0 else f"{human_bytes(swap)} memory+swap  (--memory-swap={docker_size_flag(swap)})"
        rows.append(Row("lim-swap", "Memory+swap", text(sw), lim.memory_swap.source))
    if lim.memory_reservation.value:
        rows.append(Row("lim-res", "Reservation", text(human_bytes(lim.memory_reservation.value)),
                        lim.memory_reservation.source))
    n = lim.cpus
    if lim.nano_cpus.value:
        cpu_txt, src = f"{cpus(n or 0)}  (--cpus={n:g})", lim.nano_cpus.source
    elif n is not None:
        cpu_txt = f"{cpus(n)}  (--cpu-quota={lim.cpu_quota.value} --cpu-period={lim.cpu_period.value or 100000})"
        src = lim.cpu_quota.source
    else:
        cpu_txt, src = "unlimited", lim.nano_cpus.source
    rows.append(Row("lim-cpu", "CPUs", text(cpu_txt), src))
    shares = lim.cpu_shares.value
    rows.append(Row("lim-shares", "CPU shares", text(f"{shares}  (--cpu-shares)" if shares else "default (1024)"),
                    lim.cpu_shares.source))
    if lim.cpuset_cpus.value:
        rows.append(Row("lim-cpuset", "CPU set", text(f"{lim.cpuset_cpus.value}  (--cpuset-cpus)"),
                        lim.cpuset_cpus.source))
    p = lim.pids_limit.value
    rows.append(Row("lim-pids", "PIDs limit", text(f"{p}  (--pids-limit={p})" if p else "unlimited"),
                    lim.pids_limit.source))
    return rows


def _live_rows(c: Container, snap: Snapshot) -> list[Row]:
    m = snap.metrics_of(c.id)
    rows = [_section("Live (cgroup files)")]
    if m is None:
        failed = snap.result("metrics")
        why = ("API-only mode: no cgroup files on this host" if snap.mode == "api-only"
               else "not running" if c.state.value != "running"
               else failed.error if failed is not None and failed.error else "collecting…")
        rows.append(Row("live-none", "", text(why, style="dim")))
        return rows
    if m.error:
        rows.append(Row("live-err", "", text(m.error, style="yellow")))
        return rows
    cpu = m.cpu_percent.value
    rows.append(Row("live-cpu", "CPU", text(f"{cpu:.2f} %" if cpu is not None else "…"), m.cpu_percent.source))
    used, limit = m.mem_used.value, m.mem_limit.value
    pct = f"  ({used / limit * 100:.1f} %)" if used is not None and limit and not m.mem_unlimited else ""
    cap = f"no limit (host RAM {human_bytes(limit)})" if m.mem_unlimited else human_bytes(limit)
    rows.append(Row("live-mem", "Memory", text(f"{human_bytes(used)} / {cap}{pct}"),
                    f"{m.mem_used.source} ; {m.mem_limit.source}"))
    pids = "—" if m.pids.value is None else str(m.pids.value)
    if m.pids_limit.value is not None:
        pids += f" of {m.pids_limit.value} (pids.max)"
    rows.append(Row("live-pids", "PIDs (tasks)", text(pids),
                    f"{m.pids.source} ; {m.pids_limit.source}" if m.pids_limit.source else m.pids.source))
    rows.append(Row("live-cg", "Cgroup", text(m.cgroup_dir), f"cat /proc/{c.pid.value}/cgroup"))
    return rows


def _network_rows(c: Container) -> list[Row]:
    d = c.detail
    assert d is not None
    rows = [_section(f"Network (mode {d.network_mode.value or 'default'})")]
    for n in d.networks:
        addr = f"{n.ip_address}/{n.prefix_len}" if n.ip_address else "no address"
        extra = f"  gw {n.gateway}" if n.gateway else ""
        extra += f"  mac {n.mac_address}" if n.mac_address else ""
        extra += f"  {n.ipv6_address}" if n.ipv6_address else ""
        rows.append(Row(f"net-{n.network}", n.network, text(addr + extra),
                        inspect_source(c.name.value, "json .NetworkSettings.Networks")))
    if not d.networks:
        rows.append(Row("net-none", "", text("not attached to any network", style="dim")))
    for p in d.ports:
        ip = p.host_ip or "0.0.0.0"
        target = (f"[{ip}]:{p.host_port}" if ":" in ip else f"{ip}:{p.host_port}") if p.host_port \
            else "exposed, not published"
        rows.append(Row(f"port-{p.container_port}-{p.host_ip}-{p.host_port}", f"port {p.container_port}",
                        text(f"→ {target}"), f"docker port {shlex.quote(c.name.value)}"))
    return rows


def _mount_rows(c: Container, snap: Snapshot) -> list[Row]:
    d = c.detail
    assert d is not None
    rows = [_section("Mounts")]
    for m in d.mounts:
        src = m.name if m.type == "volume" and m.name else m.source
        value = text(f"{src} → {m.destination} ({'rw' if m.rw else 'ro'})")
        value.append("  ⏎ browse", style="dim")
        rows.append(Row(f"mnt-{m.destination}", m.type, value, inspect_source(c.name.value, "json .Mounts")))
    if not d.mounts:
        rows.append(Row("mnt-none", "", text("no volumes or bind mounts", style="dim")))
    rows.append(Row("storage", "Storage driver", text(d.graph_driver),
                    inspect_source(c.name.value, ".GraphDriver.Name")))
    for k, v in d.graph_data:
        rows.append(Row(f"gd-{k}", k, text(v.split(":")[0] + (" …" if ":" in v else "")),
                        inspect_source(c.name.value, f".GraphDriver.Data.{k}")))
    if snap.engine is not None and snap.engine.rootless and c.pid.value:
        rows.append(Row("gd-rootless", "", text(
            "rootless: the overlay is mounted in dockerd's mount namespace only (MergedDir is empty "
            f"on the host); the root filesystem is /proc/{c.pid.value}/root", style="dim"),
            f"grep overlay /proc/{c.pid.value}/mountinfo"))
    return rows


def _disk_rows(c: Container, snap: Snapshot) -> list[Row]:
    """The files of the container's directory, and of its log's directory when that is another
    one (Podman keeps ``config.json`` and ``ctr.log`` apart from ``hostname``, ``hosts`` …)."""
    d = c.detail
    assert d is not None
    cdir = d.container_dir.value
    rows = [_section(f"On disk  {cdir}/")]
    r = snap.result("disk_files")
    files = snap.files_of(c.id)
    if files is None:
        why = r.error if r is not None and r.key == c.id and r.error else "…"
        rows.append(Row("disk-none", "", text(why, style="yellow"), f"ls -l {shlex.quote(cdir)}"))
        return rows
    other = ""
    for f in files:
        where = posixpath.dirname(f.path.rstrip("/"))
        if where != cdir and where != other:
            other = where
            rows.append(_section(f"On disk  {where}/"))
        rows.append(_file_row(f, c.id, "file" if where == cdir else "file2"))
    return rows


def _file_row(f: DiskFile, cid: str, prefix: str) -> Row:
    size = "" if f.size is None else human_bytes(f.size)
    hint = {"json": "  ⏎ view (pretty JSON)", "log": "  ⏎ view tail"}.get(f.kind, "  ⏎ view")
    label = Text(f"{size:>10}")
    if f.kind != "dir":
        label.append(hint, style="dim")
    return Row(f"{prefix}-{f.name}", clean(f.name.replace(cid, "<id>")), label, f"ls -l {shlex.quote(f.path)}",
               open_path=f.path if f.kind != "dir" else "", open_kind=f.kind)


class OverviewPane(LiveTable, Pane):
    """Field/value table for the selected container."""

    PANE_ID = "overview"
    TITLE = "Overview"
    SHORT = "Info"
    KEY = "1"
    SUMMARY = "The selected container as docker inspect, its cgroup and its files on disk show it"
    SOURCES = ("disk_files",)
    HELP = (("enter", "open the file under the cursor (On disk: pretty JSON, log tail); on a mount: browse it in Files"),)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__((Column("field", "", 18), Column("value", "", 0)), show_header=False, **kwargs)
        self._cid: str | None = None
        self._rows: dict[str, Row] = {}

    def show(self, snap: Snapshot, cid: str | None) -> None:
        """Diff the overview of ``cid`` in ``snap`` into the table."""
        c = snap.container(cid) if cid else None
        rows = overview_rows(c, snap) if c is not None else []
        if cid != self._cid:
            self._cid = cid
            self.set_rows(())  # a different container starts at the top
            self.scroll_to(y=0, animate=False)
        self._rows = {r.key: r for r in rows}
        self.set_rows((r.key, (self._label(r), r.value)) for r in rows)
        set_border(self, f"Overview · {c.name.value}" if c else "Overview",
                   "select a container" if c is None else "⏎ on a file opens it · z zooms")

    @staticmethod
    def _label(r: Row) -> Text:
        if r.key.startswith("§"):
            return Text("─" * 18, style="dim")
        return Text(clean(r.label), style="bold" if r.open_path else "")

    def row_source(self, key: str) -> tuple[str, str] | None:
        r = self._rows.get(key)
        return (r.source, r.label) if r is not None else None

    @on(LiveTable.Selected)
    def _selected(self, event: LiveTable.Selected) -> None:
        event.stop()
        r = self._rows.get(event.key)
        if r is not None and r.key.startswith("mnt-/"):  # a volume or bind: browsed in Files
            self.post_message(ShowPath("files", r.key[4:]))
        elif r is not None and r.open_path:
            req = FileRequest(r.open_path, r.open_kind)
            self.post_message(OpenView("file", req, partial(FileViewer.of, req)))
