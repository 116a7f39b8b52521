"""Tests for tui.backend.procfs over the host fixture trees in tests/fixtures/hosts.

``v1-hybrid-cgroupfs`` was recorded from a real Docker 20.10 host; the other trees were written
by hand from the layouts documented in internals.md §1.1/§1.4 (see the fixtures README).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tui.backend.model import CgroupTableRow
from tui.backend.procfs import (
    HostPaths,
    MountEntry,
    detect_cgroup_mode,
    parse_mountinfo,
    parse_proc_cgroup,
    parse_system_cpu,
    read_mem_total,
    read_mountinfo,
    read_nspid,
    read_proc_cgroup,
    read_proc_cgroups,
    read_system_cpu,
)

HOSTS = Path(__file__).resolve().parent.parent / "fixtures" / "hosts"
V1_ID = "7e1f0c3a9b5d4e2f8a6c1b0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f"
V1CO_ID = "e9c1f4dbe36e5a377eac7666c691d6657cf78e19a28ed9481f972b1e8a16da14"


def tree(name: str) -> HostPaths:
    root = HOSTS / name
    return HostPaths(proc=str(root / "proc"), sys=str(root / "sys"))


# HostPaths


def test_host_paths_maps_sys_and_proc_onto_roots() -> None:
    p = HostPaths(proc="/t/proc", sys="/t/sys")
    assert p.host("/sys/fs/cgroup/memory/docker/x") == "/t/sys/fs/cgroup/memory/docker/x"
    assert p.host("/proc/42/cgroup") == "/t/proc/42/cgroup"
    assert p.host("/sys") == "/t/sys"
    assert p.host("/proc") == "/t/proc"


def test_host_paths_leaves_other_paths_alone() -> None:
    p = HostPaths(proc="/t/proc", sys="/t/sys")
    assert p.host("/system.slice/docker-x.scope") == "/system.slice/docker-x.scope"
    assert p.host("/processes") == "/processes"
    assert p.host("/var/lib/docker") == "/var/lib/docker"


def test_default_host_paths_are_identity() -> None:
    assert HostPaths().host("/sys/fs/cgroup/pids") == "/sys/fs/cgroup/pids"
    assert HostPaths().host("/proc/self/mountinfo") == "/proc/self/mountinfo"


# mountinfo


def test_parse_mountinfo_unescapes_root_and_mountpoint() -> None:
    entries = {m.mount_id: m for m in read_mountinfo(tree("v2-systemd"))}
    assert entries[80].mountpoint == "/mnt/backup disk"
    assert entries[81].root == "/srv/odd\\name"
    assert entries[81].mountpoint == "/srv/tab\tand\nnewline"
    assert entries[81].optional == ("shared:1",)
    assert entries[81].super_options == "rw,errors=remount-ro"


def test_parse_mountinfo_full_entry_without_optional_fields() -> None:
    entries = {m.mount_id: m for m in read_mountinfo(tree("v1-hybrid-cgroupfs"))}
    assert entries[41] == MountEntry(
        mount_id=41, parent_id=31, major_minor="0:38", root="/",
        mountpoint="/sys/fs/cgroup/unified", options="rw,relatime", fstype="cgroup2",
        source="cgroup2", super_options="rw", optional=(),
    )
    assert entries[40].super_options == "rw,name=systemd"
    assert entries[42].optional == ("shared:1",)
    assert entries[96].root == "net:[4026532184]"


def test_parse_mountinfo_tolerates_optional_fields_and_skips_malformed() -> None:
    text = (
        "36 35 98:0 /mnt1 /mnt/parent rw,noatime master:1 shared:7 - ext3 /dev/root rw,errors=continue\n"
        "garbage line without separator\n"
        "x 1 0:1 / /a rw - tmpfs tmpfs rw\n"
        "12 1 0:1 / - tmpfs tmpfs rw\n"
        "\n"
        "37 36 0:44 / /b rw - tmpfs\n"
    )
    entries = parse_mountinfo(text)
    assert [e.mount_id for e in entries] == [36, 37]
    first, second = entries
    assert first.optional == ("master:1", "shared:7")
    assert (first.root, first.mountpoint, first.fstype, first.source) == (
        "/mnt1", "/mnt/parent", "ext3", "/dev/root")
    assert first.super_options == "rw,errors=continue"
    assert (second.fstype, second.source, second.super_options) == ("tmpfs", "", "")


def test_read_mountinfo_recorded_host_has_all_cgroup_mounts() -> None:
    mounts = read_mountinfo(tree("v1-hybrid-cgroupfs"))
    v1 = sorted(m.mountpoint for m in mounts if m.fstype == "cgroup")
    assert v1 == [f"/sys/fs/cgroup/{c}" for c in (
        "blkio", "cpu", "cpuacct", "cpuset", "devices", "freezer", "memory", "pids", "systemd")]
    assert [m.mountpoint for m in mounts if m.fstype == "cgroup2"] == ["/sys/fs/cgroup/unified"]


# cgroup mode


@pytest.mark.parametrize(("variant", "mode"), [
    ("v1-hybrid-cgroupfs", "hybrid"),
    ("v2-systemd", "v2"),
    ("v2-cgroupfs", "v2"),
    ("v2-rootless", "v2"),
    ("v2-dind", "v2"),
    ("v2-outside-cgroupns", "v2"),
    ("v1-comount-systemd", "v1"),
])
def test_detect_cgroup_mode_per_variant(variant: str, mode: str) -> None:
    assert detect_cgroup_mode(read_mountinfo(tree(variant))) == mode


def test_detect_cgroup_mode_unknown() -> None:
    assert detect_cgroup_mode([]) == "unknown"
    stray = parse_mountinfo("50 22 0:40 / /run/cg2 rw - cgroup2 cgroup2 rw\n")
    assert detect_cgroup_mode(stray) == "unknown"


# /proc/PID/cgroup


def test_read_proc_cgroup_recorded_hybrid() -> None:
    lines = read_proc_cgroup(tree("v1-hybrid-cgroupfs"), 3059)
    path = f"/docker/{V1_ID}"
    assert len(lines) == 10
    assert lines[0] == (9, ("name=systemd",), path)
    assert lines[4] == (5, ("devices",), path)
    assert lines[-1] == (0, (), path)


def test_read_proc_cgroup_comounted_controllers_keep_kernel_order() -> None:
    lines = read_proc_cgroup(tree("v1-comount-systemd"), 2841)
    scope = f"/system.slice/docker-{V1CO_ID}.scope"
    assert (4, ("net_prio", "net_cls"), scope) in lines
    assert (3, ("cpuacct", "cpu"), scope) in lines
    assert (1, ("name=systemd",), scope) in lines


def test_parse_proc_cgroup_keeps_colons_in_path_and_skips_malformed() -> None:
    text = "1:net_cls:/\n0::/a:b/c\nbogus\nx:cpu:/\n"
    assert parse_proc_cgroup(text) == [(1, ("net_cls",), "/"), (0, (), "/a:b/c")]


def test_read_proc_cgroup_outside_namespace_keeps_dotdot_path() -> None:
    lines = read_proc_cgroup(tree("v2-outside-cgroupns"), 8800)
    assert lines == [(0, (), "/../docker-e8b6b5c20d8425e8279446e4c311dbfe3ee957740ce26bc2c365a501bdcb8265.scope")]


def test_read_proc_cgroup_missing_pid_raises_file_not_found() -> None:
    with pytest.raises(FileNotFoundError):
        read_proc_cgroup(tree("v2-systemd"), 999999)


# /proc/stat


@pytest.mark.parametrize(("variant", "expected"), [
    # 1894+0+1461+52976+174+0+25 = 56530 ticks (steal 11 left out), 2 cpuN lines
    ("v1-hybrid-cgroupfs", (565_300_000_000, 2)),
    # 412734+1893+98311+7203412+10234+0+5121 = 7731705 ticks (steal 3377 left out), 4 cpuN lines
    ("v2-systemd", (77_317_050_000_000, 4)),
    # 88231+312+40221+5523019+2210+0+912 = 5654905 ticks, 2 cpuN lines
    ("v1-comount-systemd", (56_549_050_000_000, 2)),
])
def test_read_system_cpu(variant: str, expected: tuple[int, int]) -> None:
    assert read_system_cpu(tree(variant)) == expected


def test_parse_system_cpu_excludes_steal_and_guest() -> None:
    text = "cpu  1 2 3 4 5 6 7 1000 2000 3000\ncpu0 1 2 3 4 5 6 7 1000 2000 3000\nintr 1\n"
    assert parse_system_cpu(text) == (28 * 10_000_000, 1)


def test_parse_system_cpu_rejects_short_cpu_line() -> None:
    with pytest.raises(ValueError):
        parse_system_cpu("cpu  1 2 3\n")


# /proc/meminfo, /proc/cgroups, NSpid


@pytest.mark.parametrize(("variant", "expected"), [
    ("v1-hybrid-cgroupfs", 24684084 * 1024),
    ("v2-systemd", 16318480 * 1024),
    ("v1-comount-systemd", 8009180 * 1024),
])
def test_read_mem_total(variant: str, expected: int) -> None:
    assert read_mem_total(tree(variant)) == expected


def test_read_proc_cgroups_recorded_hybrid() -> None:
    rows = read_proc_cgroups(tree("v1-hybrid-cgroupfs"))
    assert len(rows) == 12
    assert rows[0] == CgroupTableRow(subsys="cpuset", hierarchy=3, num_cgroups=3, enabled=True)
    by_name = {r.subsys: r for r in rows}
    assert by_name["memory"].hierarchy == 4
    assert {r.subsys for r in rows if r.hierarchy == 0} == {"net_cls", "perf_event", "net_prio", "hugetlb"}


def test_read_proc_cgroups_v2_all_unbound() -> None:
    rows = read_proc_cgroups(tree("v2-systemd"))
    assert len(rows) == 14
    assert all(r.hierarchy == 0 and r.enabled for r in rows)
    assert rows[-1] == CgroupTableRow(subsys="misc", hierarchy=0, num_cgroups=87, enabled=True)


@pytest.mark.parametrize(("variant", "pid", "expected"), [
    ("v1-hybrid-cgroupfs", 3059, (3059, 1)),
    ("v2-dind", 9120, (9120, 87, 1)),
    ("v2-dind", 7001, (7001, 1)),
    ("v1-comount-systemd", 2841, ()),
])
def test_read_nspid(variant: str, pid: int, expected: tuple[int, ...]) -> None:
    assert read_nspid(tree(variant), pid) == expected
