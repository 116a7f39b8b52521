"""The Cgroups pane's collectors over host fixture trees (tests/fixtures/hosts/README.md): the
recorded v1 hybrid host, and v2 systemd / cgroupfs / rootless trees written from the layouts in
internals.md §1 (this host cannot run them), plus the parsers of each file format."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tui.backend.cgroup_detail import collect_cgroup
from tui.backend.cgroup_files import (
    cpu_max, flat_keyed, parse_blkio, parse_dev_values, parse_io_max, parse_io_stat, parse_psi,
)
from tui.backend.cgroup_tree import collect_host_cgroups
from tui.backend.collect import Context, SourceState, Unavailable
from tui.backend.model import Container, ContainerDetail, EngineInfo, Limits, Sourced
from tui.backend.procfs import HostPaths

from unit.test_cgroups import CGROUPFS_ID, HOSTS, OUTSIDE_ID, ROOTLESS_ID, SYSTEMD_ID, V1_ID
from unit.test_files import _DETAIL

CASES = {"v1-hybrid-cgroupfs": (3059, V1_ID, "cgroupfs"), "v2-systemd": (4312, SYSTEMD_ID, "systemd"),
         "v2-cgroupfs": (5120, CGROUPFS_ID, "cgroupfs"), "v2-rootless": (51234, ROOTLESS_ID, "systemd"),
         "v2-outside-cgroupns": (8800, OUTSIDE_ID, "systemd")}


def ctx_for(root: Path, pid: int, cid: str, driver: str, cgroupns: str = "", state: str = "running") -> Context:
    detail = ContainerDetail(**{**_DETAIL, "cgroupns_mode": cgroupns, "limits": Limits()},  # type: ignore[arg-type]
                             container_dir=Sourced(""))
    c = Container(id=cid, name=Sourced("web"), image=Sourced("x"), image_fq="", state=Sourced(state), status="",
                  created=0, pid=Sourced(pid), detail=detail)
    engine = EngineInfo(endpoint="", server_version=Sourced("27.0"), api_version=Sourced("1.46"),
                        cgroup_driver=Sourced(driver, "docker info -f '{{.CgroupDriver}}'"))
    return Context(paths=HostPaths(proc=str(root / "proc"), sys=str(root / "sys")), interval=1.0, endpoint="",
                   engine=engine, containers=(c,), selected=c)


def run(variant: str, **kw: str):  # type: ignore[no-untyped-def]
    pid, cid, driver = CASES[variant]
    return collect_cgroup(ctx_for(HOSTS / variant, pid, cid, driver, **kw), SourceState())


def test_recorded_v1_hybrid() -> None:
    """Recorded on this host: --memory=256m --cpus=2 --pids-limit 100, separate cpu and cpuacct."""
    v = run("v1-hybrid-cgroupfs")
    assert v.version == 1 and v.mode == "hybrid"
    assert (v.cpu.quota_us.value, v.cpu.period_us.value) == (200_000, 100_000)
    assert v.cpu.quota_us.source == f"cat /sys/fs/cgroup/cpu/docker/{V1_ID}/cpu.cfs_quota_us"
    assert v.memory.limit.value == 256 << 20 and v.pids_max.value == 100
    dirs = dict(v.dirs)
    assert dirs["cpu"] == f"/sys/fs/cgroup/cpu/docker/{V1_ID}" and dirs["cpuacct"].startswith("/sys/fs/cgroup/cpuacct/")
    assert dirs[""] == f"/sys/fs/cgroup/unified/docker/{V1_ID}"
    assert [p.resource for p in v.pressure] == ["cpu", "memory"]  # recorded: io.pressure was not kept
    assert v.cpu.throttled_us.raw and v.cpu.throttled_us.value == int(v.cpu.throttled_us.raw) // 1000  # ns → µs
    assert [line.raw.split(":", 2)[1] for line in v.init_lines][:2] and v.init_lines[0].directory.endswith(V1_ID)
    assert any("hybrid host" in n for n in v.notes)


def test_v2_systemd_limits_io_psi_members() -> None:
    v = run("v2-systemd")
    scope = f"/sys/fs/cgroup/system.slice/docker-{SYSTEMD_ID}.scope"
    assert v.version == 2 and v.mode == "v2" and v.directory == scope and v.dirs == (("", scope),)
    assert (v.cpu.quota_us.value, v.cpu.period_us.value, v.cpu.quota_us.raw) == (200_000, 100_000, "200000 100000")
    assert v.cpu.weight.value == 100 and v.cpu.cpuset_effective.raw == "0-3"
    assert (v.cpu.nr_periods.value, v.cpu.nr_throttled.value, v.cpu.throttled_us.value) == (1203, 17, 402118)
    m = v.memory
    assert m.limit.value == 256 << 20 and m.high.raw == "max" and m.high.value is None
    assert m.soft.value == 0 and m.swap.value == 256 << 20 and m.enforced.value == 256 << 20
    assert m.usage.value == 48353280 and m.used.value == 48353280 - 9543680  # minus inactive_file
    assert m.peak.value == 52428800 and dict(m.stat)["anon"] == 34586624 and dict(m.stat)["swap"] == 0
    assert dict(m.events) == {"low": 0, "high": 0, "max": 0, "oom": 0, "oom_kill": 0, "oom_group_kill": 0}
    assert (v.pids.value, v.pids_max.value) == (7, 100)
    sda = next(d for d in v.io if d.device == "8:0")
    assert (sda.name, sda.rbytes, sda.wbytes, sda.rios, sda.wios) == ("sda", 10485760, 4194304, 320, 64)
    assert sda.limits == (("rbps", 1048576), ("wiops", 200))  # "max" is no limit
    assert v.io_weight.raw == "default 100"
    psi = {p.resource: p for p in v.pressure}
    assert psi["cpu"].some == (12.5, 8.25, 2.1) and psi["cpu"].full == (10.0, 6.0, 1.5) and not v.pressure_note
    assert [(p.pid, p.comm, p.threads, p.tids) for p in v.procs] == [(4312, "nginx", 1, ()), (4390, "nginx", 2, (4391,))]
    assert v.threads.value == 3 and v.init_lines[0].raw == f"0::/system.slice/docker-{SYSTEMD_ID}.scope"


def test_v2_cgroupfs_unlimited_and_no_psi() -> None:
    v = run("v2-cgroupfs")
    assert v.directory == f"/sys/fs/cgroup/docker/{CGROUPFS_ID}"
    assert v.memory.limit.raw == "max" and v.memory.limit.value is None and v.pids_max.value is None
    assert v.cpu.quota_us.value is None and v.cpu.period_us.value == 100_000
    assert v.pressure == () and "this kernel has no PSI" in v.pressure_note


def test_v2_rootless_with_psi_and_events() -> None:
    v = run("v2-rootless")
    assert v.directory.endswith(f"/user@1000.service/user.slice/docker-{ROOTLESS_ID}.scope")
    assert v.memory.limit.value == 512 << 20 and "oom_kill" in dict(v.memory.events)
    assert {p.resource for p in v.pressure} == {"cpu", "memory", "io"}


def test_private_cgroupns_is_read_from_the_hosts_view() -> None:
    """A --cgroupns private container reads 0::/ inside; we read its /proc/PID/cgroup from the
    host's namespace and get the full path (cgroup_namespaces(7))."""
    v = run("v2-cgroupfs", cgroupns="private")
    assert v.cgroupns.value == "private" and v.directory.endswith(CGROUPFS_ID)
    assert any("cgroupns private" in n for n in v.notes)


def test_outside_our_cgroupns_says_so() -> None:
    with pytest.raises(Unavailable, match="no cgroup found for PID 8800"):
        run("v2-outside-cgroupns")


def test_stopped_gone_and_vanished(tmp_path: Path) -> None:
    with pytest.raises(Unavailable, match="exited: no cgroup"):
        run("v2-systemd", state="exited")
    root = tmp_path / "t"
    shutil.copytree(HOSTS / "v2-systemd", root)
    pid, cid, driver = CASES["v2-systemd"]
    shutil.rmtree(root / "proc" / str(pid))
    with pytest.raises(Unavailable, match="^gone: PID 4312 exited"):
        collect_cgroup(ctx_for(root, pid, cid, driver), SourceState())


def test_rootless_on_v1_explains_why() -> None:
    ctx = ctx_for(HOSTS / "v2-outside-cgroupns", 8800, OUTSIDE_ID, "none")
    with pytest.raises(Unavailable, match="rootless Docker on cgroup v1.*no limit is enforced"):
        collect_cgroup(ctx, SourceState())


def test_history_is_bounded_and_kept_per_container() -> None:
    pid, cid, driver = CASES["v2-systemd"]
    ctx = ctx_for(HOSTS / "v2-systemd", pid, cid, driver)
    state = SourceState()
    for _ in range(200):
        v = collect_cgroup(ctx, state)
    assert len(v.memory.history) == 180  # bounded
    assert v.cpu.history == ()  # the fixture's counters never move: no CPU % without system time passing
    assert list(state.cache["hist"]) == [cid]


def test_host_tree_on_v2_systemd() -> None:
    pid, cid, driver = CASES["v2-systemd"]
    v = collect_host_cgroups(ctx_for(HOSTS / "v2-systemd", pid, cid, driver), SourceState())
    paths = [n.path for n in v.nodes]
    assert paths == ["/", "/system.slice", f"/system.slice/docker-{cid}.scope"]
    node = v.nodes[-1]
    assert node.label == "web" and node.procs == 2 and node.memory == 48353280 and node.depth == 2
    assert v.nodes[1].label == "system services"
    assert v.controllers[0] == ("/sys/fs/cgroup", "cpuset cpu io memory hugetlb pids rdma misc",
                                "cpuset cpu io memory hugetlb pids rdma misc")


def test_parsers() -> None:
    assert flat_keyed(b"nr_periods 5\nbad line\nthrottled_usec 7\n") == {"nr_periods": 5, "throttled_usec": 7}
    assert parse_psi("some avg10=1.00 avg60=2.00 avg300=3.00 total=9\n") == ((1.0, 2.0, 3.0), None, 9)
    assert parse_io_stat("8:0 rbytes=1 wbytes=2 rios=3 wios=4\n") == {"8:0": {"rbytes": 1, "wbytes": 2, "rios": 3,
                                                                          "wios": 4}}
    assert parse_io_max("8:0 rbps=max wbps=max riops=max wiops=max\n8:16 rbps=10 wbps=max\n") == {"8:16": [("rbps", 10)]}
    assert parse_blkio("254:0 Read 5\n254:0 Write 6\nTotal 11\n") == {"254:0": {"Read": 5, "Write": 6}}
    assert parse_dev_values("254:0 1048576\n") == {"254:0": 1048576}
    assert cpu_max("max 100000") == (None, 100000) and cpu_max("50000 100000") == (50000, 100000)
    assert cpu_max("") == (None, None)
