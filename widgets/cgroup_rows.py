"""The Cgroups pane's rows, built from a :class:`CgroupView`: each limit as the kernel enforces it
with the ``docker run`` flag that set it (or "default", or "not from docker run"), usage, and
the detail line; the "where it lives" rows of ``W``. Pure functions: no widget, no I/O."""

from __future__ import annotations

from rich.text import Text

from tui.backend.model import Container, Limits
from tui.backend.model.cg import CgLine, CgroupView, CgValue, IoDevice
from widgets.format import cpus, docker_size_flag, human_bytes, sparkline, text
from widgets.live_table import Cells

SPARK = 30
"""Sparkline cells: the last 3 minutes at 1 s, six seconds a cell."""
UNLIMITED = Text("unlimited", style="dim")
DEFAULT = Text("default", style="dim")
ELSEWHERE = Text("not from docker run", style="yellow")


def unset(at_default: bool) -> Text:
    """No flag was given: the file holds the default, or something else set it (by hand, a
    parent's ``docker update`` of another era, an orchestrator writing the file)."""
    return DEFAULT if at_default else ELSEWHERE

Row = tuple[str, Cells, str]
"""(key, cells, source)."""


def section(title: str, what: str = "") -> Row:
    return (f"§{title}", (Text(title, style="bold underline"), Text(what, style="dim"), Text(""), Text("")), "")


def row(key: str, item: str, limit: Text | str = "", usage: Text | str = "", detail: Text | str = "",
        flag: Text | str = "", source: str = "") -> Row:
    """One line: the enforced value with the flag that set it after an arrow, usage, detail."""
    lim = limit.copy() if isinstance(limit, Text) else text(limit)
    if flag:
        lim.append("  ← " if lim.plain else "← ", style="dim")
        lim.append_text(flag if isinstance(flag, Text) else text(flag))
    cells = tuple(c if isinstance(c, Text) else text(c) for c in (usage, detail))
    return key, (Text(item, style="bold"), lim, *cells), source


def given_flag(value: str) -> Text:
    return Text(value, style="cyan")


def mismatch(flag: str) -> Text:
    """The file says something else than the flag the container was created with."""
    return Text(f"{flag}, not what the file says", style="yellow")


def pct_of(part: int | None, whole: int | None, of: str = "") -> str:
    return f" ({part * 100 / whole:.1f} %{of})" if part is not None and whole else ""


def condensed(lines: tuple[CgLine, ...], version: int) -> CgLine | None:
    """The line that places a process for this pane: v1's memory line, else the v2 line."""
    def controllers(line: CgLine) -> list[str]:
        return line.raw.split(":", 2)[1].split(",") if line.raw.count(":") >= 2 else []

    if version == 1:
        found = next((ln for ln in lines if "memory" in controllers(ln)), None)
        if found is not None:
            return found
    return next((ln for ln in lines if ln.raw.startswith("0::")), lines[0] if lines else None)


def cpu_rows(v: CgroupView, lim: Limits | None) -> list[Row]:
    c = v.cpu
    rows = [section("CPU")]
    quota, period = c.quota_us.value, c.period_us.value
    n = quota / period if quota and period else None
    if n is not None:
        limit = Text(f"{cpus(n)} ({quota}/{period})")
    elif c.quota_us.present:
        limit = Text(f"unlimited ({c.quota_us.raw}" + (f"/{c.period_us.raw})" if c.period_us.raw != c.quota_us.raw
                                                       else ")"), style="dim")
    else:
        limit = Text("no cpu controller", style="dim")
    usage = Text("—" if c.percent.value is None else f"{c.percent.value:.1f} %",
                 style="bold red" if n and c.percent.value and c.percent.value >= 90 * n else "")
    if n and c.percent.value is not None:
        usage.append(f" = {c.percent.value / n:.0f} % of quota", style="dim")
    flag = unset(quota is None)
    given = lim.cpus if lim is not None else None
    if lim is not None and lim.nano_cpus.value:
        flag = given_flag(f"--cpus={lim.nano_cpus.value / 1e9:g}")
    elif lim is not None and lim.cpu_quota.value > 0:
        flag = given_flag(f"--cpu-quota={lim.cpu_quota.value}" +
                          (f" --cpu-period={lim.cpu_period.value}" if lim.cpu_period.value else ""))
    if given is not None and c.quota_us.present and abs(given - (n or 0)) > 1e-6:
        flag = mismatch(flag.plain)
    top = max(100.0 * (n or 1), max(c.history, default=0.0))
    rows.append(row("cpu", "quota", limit, usage, Text(sparkline(c.history, SPARK, top), style="green"), flag,
                    f"{c.quota_us.source} ; {c.percent.source}".strip(" ;")))
    r = c.throttled_ratio.value
    if c.nr_periods.present:
        detail = (f"{c.nr_throttled.value} of {c.nr_periods.value} periods throttled · "
                  f"{(c.throttled_us.value or 0) / 1e6:.1f} s in all")
        rows.append(row("throttle", "throttled", "", Text("no period ran" if r is None else f"{r * 100:.0f} % of periods",
                                                          style="bold red" if r and r >= 0.2 else "dim" if r is None else ""),
                        detail, "", c.throttled_ratio.source or c.nr_periods.source))
    if c.weight.present:
        default = 1024 if v.version == 1 else 100
        name = "shares" if v.version == 1 else "weight"
        wflag = unset(c.weight.value == default)
        if lim is not None and lim.cpu_shares.value:
            wflag = given_flag(f"--cpu-shares={lim.cpu_shares.value}")
        rows.append(row("weight", name, c.weight.raw, "",
                        Text(f"relative share under contention; {default} is the default"
                             + ("" if v.version == 1 else " (runc converts --cpu-shares)"), style="dim"),
                        wflag, c.weight.source))
    if c.cpuset_cpus.present or c.cpuset_effective.present:
        cflag = DEFAULT
        if lim is not None and lim.cpuset_cpus.value:
            cflag = given_flag(f"--cpuset-cpus={lim.cpuset_cpus.value}")
        rows.append(row("cpuset", "cpuset", c.cpuset_cpus.raw or Text("all (inherited)", style="dim"), "",
                        f"effective {c.cpuset_effective.raw or '—'} · memory nodes {c.cpuset_mems.raw or '—'}",
                        cflag, c.cpuset_cpus.source or c.cpuset_effective.source))
    return rows


def _bytes_limit(value: CgValue, host: int) -> Text:
    """A byte limit; ``unlimited`` for ``max`` or v1's huge number; above host RAM it is
    clamped to it (the kernel cannot give more, and ``docker stats`` shows RAM instead)."""
    if not value.present:
        return Text("—", style="dim")
    if value.value is None:
        return Text("unlimited", style="dim")
    out = Text(human_bytes(value.value))
    if host and value.value > host:
        out.append(f" > host RAM {human_bytes(host)}: clamped", style="yellow")
    return out


def memory_rows(v: CgroupView, lim: Limits | None) -> list[Row]:
    m = v.memory
    rows = [section("Memory")]
    limit = m.limit.value
    used = m.used.value
    mflag = unset(limit is None)
    if lim is not None and lim.memory.value:
        mflag = given_flag(f"--memory={docker_size_flag(lim.memory.value)}")
        if limit is not None and limit != lim.memory.value:
            mflag = mismatch(mflag.plain)
    usage = Text(human_bytes(used) + pct_of(used, limit or m.host_total, "" if limit else " of host RAM"),
                 style="bold red" if limit and used and used >= 0.9 * limit else "")
    top = float(limit or m.host_total or max(m.history, default=0) or 1)
    rows.append(row("mem", "limit", _bytes_limit(m.limit, m.host_total), usage,
                    Text(sparkline([float(x) for x in m.history], SPARK, top), style="blue"), mflag,
                    f"{m.limit.source} ; {m.used.source}".strip(" ;")))
    if m.enforced.value is not None and (limit is None or m.enforced.value < limit):
        rows.append(row("enforced", "parent limit", Text(human_bytes(m.enforced.value), style="yellow"), "",
                        "a cgroup above it has a lower limit: that one binds", Text("cgroup parent", style="dim"),
                        m.enforced.source))
    soft_name = "soft limit" if v.version == 1 else "low"
    sflag = unset(m.soft.value is None or m.soft.value == 0)
    if lim is not None and lim.memory_reservation.value:
        sflag = given_flag(f"--memory-reservation={docker_size_flag(lim.memory_reservation.value)}")
    if m.soft.present:
        rows.append(row("soft", soft_name, Text("none (0)", style="dim") if m.soft.raw == "0"
                        else _bytes_limit(m.soft, 0), "",
            Text("reclaimed down to this first when the host runs short" if v.version == 1
                 else "protected from reclaim up to this", style="dim"), sflag, m.soft.source))
    if m.high.present:
        rows.append(row("high", "high", _bytes_limit(m.high, 0), "", Text("throttled and reclaimed above this",
                                                                        style="dim"),
                        Text("no docker run flag", style="dim"), m.high.source))
    if m.swap.present:
        wflag = unset(m.swap.value is None)
        if lim is not None and lim.memory_swap.value:
            sw = lim.memory_swap.value
            wflag = given_flag("--memory-swap=-1" if sw < 0 else f"--memory-swap={docker_size_flag(sw)}")
            if sw == 2 * lim.memory.value:  # what Docker records when only --memory was given
                wflag = Text("default: twice --memory", style="dim")
        what = ("memory + swap" if v.version == 1 else "swap alone (--memory-swap minus --memory)")
        rows.append(row("swap", "swap limit", _bytes_limit(m.swap, 0), "", Text(what, style="dim"), wflag,
                        m.swap.source))
    rows.append(row("usage", "charged", human_bytes(m.usage.value) if m.usage.present else "—",
                    ("peak " + human_bytes(m.peak.value)) if m.peak.present else "",
                    Text("page cache included; docker stats subtracts inactive_file", style="dim"), "",
                    f"{m.usage.source} ; {m.peak.source}".strip(" ;")))
    if m.stat:
        parts = Text()
        for i, (k, val) in enumerate(m.stat):
            if i:
                parts.append(" · ", style="dim")
            parts.append(f"{k.removeprefix('total_')} ", style="dim")
            parts.append(human_bytes(val, compact=True))
        rows.append(row("stat", "breakdown", "", "", parts, "", m.stat_source))
    if m.events:
        ev = Text()
        for i, (k, val) in enumerate(m.events):
            if i:
                ev.append(" · ", style="dim")
            ev.append(f"{k} ", style="dim")
            ev.append(str(val), style="bold red" if val and k in ("oom", "oom_kill", "max", "failcnt", "under_oom")
                      else "")
        kills = dict(m.events).get("oom_kill", 0)
        rows.append(row("events", "events", "", Text(f"{kills} OOM kill" + ("" if kills == 1 else "s"),
                                                     style="bold red" if kills else ""), ev, "", m.events_source))
    return rows


def pids_rows(v: CgroupView, lim: Limits | None) -> list[Row]:
    pflag = unset(v.pids_max.value is None)
    if lim is not None and lim.pids_limit.value:
        pflag = given_flag(f"--pids-limit={lim.pids_limit.value}")
        if v.pids_max.value is not None and v.pids_max.value != lim.pids_limit.value:
            pflag = mismatch(pflag.plain)
    cur, mx = v.pids.value, v.pids_max.value
    usage = Text("—" if cur is None else str(cur), style="bold red" if cur and mx and cur >= 0.9 * mx else "")
    if v.pids_peak.present:
        usage.append(f" (peak {v.pids_peak.value})", style="dim")
    limit = Text(str(mx)) if mx is not None else (UNLIMITED if v.pids_max.present else Text("—", style="dim"))
    return [section("PIDs"), row("pids", "tasks", limit, usage,
                                 Text("threads count, not processes (as docker stats' PIDS)", style="dim"), pflag,
                                 f"{v.pids_max.source} ; {v.pids.source}".strip(" ;"))]


def _io_flag(d: IoDevice, lim: Limits | None) -> Text:
    if lim is None:
        return Text("")
    given = [f"--{flag}={path}:{rate}" for flag, path, rate in lim.blkio.value
             if path.rsplit("/", 1)[-1] == d.name]
    return given_flag(" ".join(given)) if given else Text("")


def io_rows(v: CgroupView, lim: Limits | None) -> list[Row]:
    rows = [section("I/O")]
    names = {"rbps": "read {}/s", "wbps": "write {}/s", "riops": "read {} IOPS", "wiops": "write {} IOPS"}
    for d in v.io:
        limit = ", ".join(names[k].format(human_bytes(val) if k.endswith("bps") else val)
                          for k, val in d.limits if k in names) or UNLIMITED
        rate = ("" if d.rbytes_rate is None else
                f"now {human_bytes(int(d.rbytes_rate))}/s read, {human_bytes(int(d.wbytes_rate or 0))}/s write · ")
        rows.append(row(f"io:{d.device}", f"{d.name or '?'} {d.device}", limit,
                        f"r {human_bytes(d.rbytes)} · w {human_bytes(d.wbytes)}",
                        Text(f"{rate}{d.rios} / {d.wios} ops", style="dim"), _io_flag(d, lim),
                        f"{d.source} ; {d.limits_source}" if d.limits else d.source))
    if not v.io:
        rows.append(row("io:none", "devices", "", Text("no block I/O yet", style="dim")))
    if v.io_weight.present:
        rows.append(row("io:weight", "weight", v.io_weight.raw, "", Text("relative share of the disk", style="dim"),
                        DEFAULT if v.io_weight.raw in ("100", "default 100", "500") else Text(""),
                        v.io_weight.source))
    return rows


def pressure_rows(v: CgroupView) -> list[Row]:
    rows = [section("Pressure", "PSI: time tasks stalled waiting")]
    for p in v.pressure:
        full = "" if p.full is None else f" · full {p.full[0]:.2f} / {p.full[1]:.2f} / {p.full[2]:.2f}"
        rows.append(row(f"psi:{p.resource}", p.resource,
                        "", Text(f"{p.some[0]:.1f} % stalled", style="bold red" if p.some[0] >= 20 else ""),
                        Text(f"some {p.some[0]:.2f} / {p.some[1]:.2f} / {p.some[2]:.2f} (10 s / 1 min / 5 min){full}"
                             f" · {p.total_us / 1e6:.1f} s in all", style="dim"), "", p.source))
    if v.pressure_note:
        rows.append(row("psi:none", "—", "", "", Text(v.pressure_note, style="yellow")))
    return rows


def member_rows(v: CgroupView) -> list[Row]:
    rows = [section("Processes", "cgroup.procs, as host PIDs")]
    for p in v.procs:
        where = f"in sub-cgroup {p.cgroup}" if p.cgroup else ""
        if p.tids:
            more = "…" if p.threads - 1 > len(p.tids) else ""
            where = (where + " · " if where else "") + "threads " + " ".join(map(str, p.tids)) + more
        rows.append(row(f"pid:{p.pid}", f"PID {p.pid}", text(p.comm),
                        f"{p.threads} thread" + ("" if p.threads == 1 else "s"),
                        Text(where + ("  " if where else "") + "⏎ Processes tab", style="dim"), "", v.procs_source))
    if v.threads.present:
        rows.append(row("threads", "tasks", "", f"{v.threads.value} in its own directory", "", "", v.threads.source))
    for s in v.subgroups:
        rows.append(row(f"sub:{s}", "sub-cgroup", text(s), "", "", "", f"ls -d {v.directory}/{s}"))
    return rows


def view_rows(v: CgroupView, c: Container | None) -> list[Row]:
    lim = c.detail.limits if c is not None and c.detail is not None else None
    return (cpu_rows(v, lim) + memory_rows(v, lim) + pids_rows(v, lim) + io_rows(v, lim) + pressure_rows(v)
            + member_rows(v))


def where_rows(v: CgroupView) -> list[Row]:
    out: list[Row] = []
    short = v.container_id[:12] + "…"
    for who, pid, lines in ((f"init {v.init_pid}", v.init_pid, v.init_lines),
                            (f"shim {v.shim_pid} {v.shim_name}", v.shim_pid, v.shim_lines)):
        for i, ln in enumerate(lines):
            mark = ln.directory in dict((d, c) for c, d in v.dirs)
            out.append((f"{who}:{i}", (Text(who if i == 0 else "", style="bold"), text(ln.raw.replace(v.container_id, short)),
                                       text(ln.directory or "(not visible here)", style="green" if mark else "")),
                        f"cat /proc/{pid}/cgroup"))
    for ctrls, d in v.dirs:
        out.append((f"dir:{ctrls}", (Text("controller", style="bold"), text(ctrls or "unified (v2)"), text(d)),
                    f"ls {d}"))
    return out
