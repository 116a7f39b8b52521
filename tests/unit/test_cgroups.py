"""Tests for tui.backend.cgroups over the host fixture trees in tests/fixtures/hosts.

``v1-hybrid-cgroupfs`` was recorded from a real Docker 20.10 host (cgroup v1 hybrid, cgroupfs).
The v2 trees (systemd, cgroupfs, rootless, DinD, outside-cgroupns) and the co-mounted v1 tree were
written by hand from the layouts documented in internals.md §1.1-§1.4, not recorded.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tui.backend.cgroup_stats import (
    CgroupSample, HeldFiles, cpu_percent, effective_memory_limit, memory_used, read_cgroup_sample,
)
from tui.backend.cgroups import (
    CgroupMounts,
    ContainerCgroup,
    FrozenMap,
    cgroup_from_driver,
    cgroup_mounts,
    expand_slice,
    resolve_container_cgroup,
)
from tui.backend.procfs import HostPaths, parse_mountinfo, read_mem_total, read_mountinfo

HOSTS = Path(__file__).resolve().parent.parent / "fixtures" / "hosts"

V1_ID = "7e1f0c3a9b5d4e2f8a6c1b0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f"
SYSTEMD_ID = "76001bfb60f7d29ca78cae5aa57cb06a1be7f4f576759718abb07a774a635f82"
CGROUPFS_ID = "2dbc27dcd7942f15c83e7ac005424bf7de715db8b467d16f844438b9c7c9b5a7"
ROOTLESS_ID = "d58d4b92e9d6cd6d41d11c8a9aef029c76dc19eb58c8617ca7a63b16c839edc3"
OUTER_ID = "722fb29218952766a5653891b0f991401fd59747a23420dee906c0de8b4f6436"
INNER_ID = "6088c60f7fe0e139c11fe52e877e964810b0210dd7c0ae27dda49c52a2218988"
V1CO_ID = "e9c1f4dbe36e5a377eac7666c691d6657cf78e19a28ed9481f972b1e8a16da14"
OUTSIDE_ID = "e8b6b5c20d8425e8279446e4c311dbfe3ee957740ce26bc2c365a501bdcb8265"

SYSTEMD_SCOPE = f"/sys/fs/cgroup/system.slice/docker-{SYSTEMD_ID}.scope"
ROOTLESS_SCOPE = ("/sys/fs/cgroup/user.slice/user-1000.slice/user@1000.service/user.slice/"
                  f"docker-{ROOTLESS_ID}.scope")
OUTER_SCOPE = f"/sys/fs/cgroup/system.slice/docker-{OUTER_ID}.scope"
V1CO_SCOPE = f"/system.slice/docker-{V1CO_ID}.scope"


def paths_of(root: Path) -> HostPaths:
    return HostPaths(proc=str(root / "proc"), sys=str(root / "sys"))


def tree(name: str) -> HostPaths:
    return paths_of(HOSTS / name)


def mounts_of(name: str) -> CgroupMounts:
    return cgroup_mounts(read_mountinfo(tree(name)))


def copy_tree(name: str, tmp_path: Path) -> Path:
    dst = tmp_path / name
    shutil.copytree(HOSTS / name, dst)
    return dst


def v1_hybrid_dirs(cid: str) -> dict[str, str]:
    dirs = {c: f"/sys/fs/cgroup/{c}/docker/{cid}" for c in (
        "cpu", "cpuacct", "cpuset", "memory", "devices", "freezer", "blkio", "pids")}
    dirs["name=systemd"] = f"/sys/fs/cgroup/systemd/docker/{cid}"
    dirs[""] = f"/sys/fs/cgroup/unified/docker/{cid}"
    return dirs


# mounts


def test_cgroup_mounts_recorded_hybrid() -> None:
    cm = mounts_of("v1-hybrid-cgroupfs")
    assert cm.mode == "hybrid"
    assert cm.v2 == ("/", "/sys/fs/cgroup/unified")
    assert dict(cm.v1) == {
        "cpu": ("/", "/sys/fs/cgroup/cpu"),
        "cpuacct": ("/", "/sys/fs/cgroup/cpuacct"),
        "cpuset": ("/", "/sys/fs/cgroup/cpuset"),
        "memory": ("/", "/sys/fs/cgroup/memory"),
        "devices": ("/", "/sys/fs/cgroup/devices"),
        "freezer": ("/", "/sys/fs/cgroup/freezer"),
        "blkio": ("/", "/sys/fs/cgroup/blkio"),
        "pids": ("/", "/sys/fs/cgroup/pids"),
        "name=systemd": ("/", "/sys/fs/cgroup/systemd"),
    }


def test_cgroup_mounts_comounted_and_flag_options() -> None:
    cm = mounts_of("v1-comount-systemd")
    assert cm.mode == "v1"
    assert cm.v2 is None
    assert cm.v1["cpu"] == cm.v1["cpuacct"] == ("/", "/sys/fs/cgroup/cpu,cpuacct")
    assert cm.v1["net_cls"] == cm.v1["net_prio"] == ("/", "/sys/fs/cgroup/net_cls,net_prio")
    assert cm.v1["name=systemd"] == ("/", "/sys/fs/cgroup/systemd")
    assert set(cm.v1) == {"name=systemd", "cpuacct", "cpu", "net_prio", "net_cls", "memory", "blkio",
                          "pids", "cpuset", "devices", "freezer", "hugetlb", "perf_event"}


def test_cgroup_mounts_v2_only() -> None:
    cm = mounts_of("v2-systemd")
    assert (cm.mode, cm.v2, dict(cm.v1)) == ("v2", ("/", "/sys/fs/cgroup"), {})


def test_cgroup_mounts_prefers_sys_fs_cgroup_over_other_bind_mounts() -> None:
    text = ("50 22 0:40 / /run/elsewhere rw - cgroup2 cgroup2 rw\n"
            "51 22 0:40 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n"
            "52 22 0:41 / /mnt/mem rw - cgroup cgroup rw,memory\n"
            "53 22 0:41 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n")
    cm = cgroup_mounts(parse_mountinfo(text))
    assert cm.v2 == ("/", "/sys/fs/cgroup")
    assert cm.v1["memory"] == ("/", "/sys/fs/cgroup/memory")


def test_mounts_and_cgroups_are_hashable() -> None:
    cm = mounts_of("v1-hybrid-cgroupfs")
    assert hash(cm) == hash(mounts_of("v1-hybrid-cgroupfs"))
    cg = resolve_container_cgroup(tree("v1-hybrid-cgroupfs"), cm, 3059, V1_ID)
    assert cg is not None
    assert {cg: 1}[cg] == 1
    assert FrozenMap({"a": 1}) == {"a": 1}


# resolution from /proc/PID/cgroup


def test_resolve_recorded_hybrid_uses_v1_with_unified_dir() -> None:
    cg = resolve_container_cgroup(tree("v1-hybrid-cgroupfs"), mounts_of("v1-hybrid-cgroupfs"),
                                  3059, V1_ID)
    assert cg is not None
    assert cg.version == 1
    assert dict(cg.dirs) == v1_hybrid_dirs(V1_ID)
    assert cg.source == "cat /proc/3059/cgroup"
    assert cg.primary == f"/sys/fs/cgroup/memory/docker/{V1_ID}"


@pytest.mark.parametrize(("variant", "pid", "cid", "expected"), [
    ("v2-systemd", 4312, SYSTEMD_ID, SYSTEMD_SCOPE),
    ("v2-cgroupfs", 5120, CGROUPFS_ID, f"/sys/fs/cgroup/docker/{CGROUPFS_ID}"),
    ("v2-rootless", 51234, ROOTLESS_ID, ROOTLESS_SCOPE),
    # DinD: the outer daemon sits in <outer>.scope/init -> walk up to the scope
    ("v2-dind", 7001, OUTER_ID, OUTER_SCOPE),
    # inner container of the DinD daemon (cgroupfs driver inside)
    ("v2-dind", 9120, INNER_ID, f"{OUTER_SCOPE}/docker/{INNER_ID}"),
    # the inner container's process also belongs to the outer container: nearest match wins
    ("v2-dind", 9120, OUTER_ID, OUTER_SCOPE),
])
def test_resolve_v2_variants(variant: str, pid: int, cid: str, expected: str) -> None:
    cg = resolve_container_cgroup(tree(variant), mounts_of(variant), pid, cid)
    assert cg == ContainerCgroup(version=2, dirs=FrozenMap({"": expected}),
                                 source=f"cat /proc/{pid}/cgroup")


def test_resolve_comounted_v1_systemd() -> None:
    cg = resolve_container_cgroup(tree("v1-comount-systemd"), mounts_of("v1-comount-systemd"),
                                  2841, V1CO_ID)
    assert cg is not None
    assert cg.version == 1
    assert dict(cg.dirs) == {
        "perf_event": f"/sys/fs/cgroup/perf_event{V1CO_SCOPE}",
        "freezer": f"/sys/fs/cgroup/freezer{V1CO_SCOPE}",
        "devices": f"/sys/fs/cgroup/devices{V1CO_SCOPE}",
        "cpuset": f"/sys/fs/cgroup/cpuset{V1CO_SCOPE}",
        "pids": f"/sys/fs/cgroup/pids{V1CO_SCOPE}",
        "blkio": f"/sys/fs/cgroup/blkio{V1CO_SCOPE}",
        "memory": f"/sys/fs/cgroup/memory{V1CO_SCOPE}",
        "net_prio": f"/sys/fs/cgroup/net_cls,net_prio{V1CO_SCOPE}",
        "net_cls": f"/sys/fs/cgroup/net_cls,net_prio{V1CO_SCOPE}",
        "cpuacct": f"/sys/fs/cgroup/cpu,cpuacct{V1CO_SCOPE}",
        "cpu": f"/sys/fs/cgroup/cpu,cpuacct{V1CO_SCOPE}",
        "hugetlb": f"/sys/fs/cgroup/hugetlb{V1CO_SCOPE}",
        "name=systemd": f"/sys/fs/cgroup/systemd{V1CO_SCOPE}",
    }


def test_resolve_outside_cgroup_namespace_is_none() -> None:
    assert resolve_container_cgroup(tree("v2-outside-cgroupns"), mounts_of("v2-outside-cgroupns"),
                                    8800, OUTSIDE_ID) is None


def test_resolve_wrong_container_or_gone_pid_is_none() -> None:
    p, cm = tree("v2-dind"), mounts_of("v2-dind")
    assert resolve_container_cgroup(p, cm, 7001, INNER_ID) is None
    assert resolve_container_cgroup(p, cm, 999999, OUTER_ID) is None


def test_resolve_missing_directory_is_none(tmp_path: Path) -> None:
    root = copy_tree("v2-systemd", tmp_path)
    shutil.rmtree(root / SYSTEMD_SCOPE.lstrip("/"))
    assert resolve_container_cgroup(paths_of(root), mounts_of("v2-systemd"), 4312, SYSTEMD_ID) is None


def test_resolve_strips_bind_mounted_root(tmp_path: Path) -> None:
    """A tool started with ``-v /sys/fs/cgroup/system.slice:/sys/fs/cgroup`` sees mount root /system.slice."""
    cid = SYSTEMD_ID
    (tmp_path / "sys/fs/cgroup" / f"docker-{cid}.scope").mkdir(parents=True)
    (tmp_path / "proc/4312").mkdir(parents=True)
    (tmp_path / "proc/4312/cgroup").write_text(f"0::/system.slice/docker-{cid}.scope\n")
    (tmp_path / "proc/77").mkdir(parents=True)
    (tmp_path / "proc/77/cgroup").write_text(f"0::/docker/{cid}\n")
    cm = cgroup_mounts(parse_mountinfo(
        "619 618 0:27 /system.slice /sys/fs/cgroup rw,relatime - cgroup2 cgroup2 rw\n"))
    cg = resolve_container_cgroup(paths_of(tmp_path), cm, 4312, cid)
    assert cg is not None
    assert dict(cg.dirs) == {"": f"/sys/fs/cgroup/docker-{cid}.scope"}
    assert resolve_container_cgroup(paths_of(tmp_path), cm, 77, cid) is None


# driver fallback


def test_driver_fallback_cgroupfs_matches_resolution_on_recorded_host() -> None:
    p, cm = tree("v1-hybrid-cgroupfs"), mounts_of("v1-hybrid-cgroupfs")
    cg = cgroup_from_driver(p, cm, "cgroupfs", "", V1_ID)
    assert cg is not None
    assert cg.version == 1
    assert dict(cg.dirs) == v1_hybrid_dirs(V1_ID)
    assert cg.source.startswith("docker info -f '{{.CgroupDriver}}' (cgroupfs)")


@pytest.mark.parametrize(("variant", "driver", "cid", "expected"), [
    ("v2-systemd", "systemd", SYSTEMD_ID, SYSTEMD_SCOPE),
    ("v2-cgroupfs", "cgroupfs", CGROUPFS_ID, f"/sys/fs/cgroup/docker/{CGROUPFS_ID}"),
])
def test_driver_fallback_v2(variant: str, driver: str, cid: str, expected: str) -> None:
    cg = cgroup_from_driver(tree(variant), mounts_of(variant), driver, "", cid)
    assert cg is not None
    assert (cg.version, dict(cg.dirs)) == (2, {"": expected})


def test_driver_fallback_v1_systemd_comounted() -> None:
    cg = cgroup_from_driver(tree("v1-comount-systemd"), mounts_of("v1-comount-systemd"),
                            "systemd", "", V1CO_ID)
    assert cg is not None
    assert cg.dirs["cpuacct"] == f"/sys/fs/cgroup/cpu,cpuacct{V1CO_SCOPE}"
    assert cg.dirs["memory"] == f"/sys/fs/cgroup/memory{V1CO_SCOPE}"


def test_driver_fallback_none_when_directory_missing() -> None:
    assert cgroup_from_driver(tree("v2-systemd"), mounts_of("v2-systemd"),
                              "systemd", "foo-bar.slice", SYSTEMD_ID) is None
    assert cgroup_from_driver(tree("v2-systemd"), mounts_of("v2-systemd"),
                              "cgroupfs", "", SYSTEMD_ID) is None
    assert cgroup_from_driver(tree("v2-systemd"), mounts_of("v2-systemd"),
                              "none", "", SYSTEMD_ID) is None
    assert cgroup_from_driver(tree("v2-systemd"), mounts_of("v2-systemd"),
                              "systemd", "not-a-slice", SYSTEMD_ID) is None
    # rootless lives under the user manager's slice, which the driver table cannot compute
    assert cgroup_from_driver(tree("v2-rootless"), mounts_of("v2-rootless"),
                              "systemd", "", ROOTLESS_ID) is None


def test_driver_fallback_custom_parents(tmp_path: Path) -> None:
    cid = CGROUPFS_ID
    (tmp_path / "sys/fs/cgroup/custom/parent" / cid).mkdir(parents=True)
    (tmp_path / "sys/fs/cgroup/foo.slice/foo-bar.slice" / f"docker-{cid}.scope").mkdir(parents=True)
    cm = cgroup_mounts(parse_mountinfo("32 22 0:27 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n"))
    p = paths_of(tmp_path)
    for parent in ("/custom/parent", "custom/parent/"):
        cg = cgroup_from_driver(p, cm, "cgroupfs", parent, cid)
        assert cg is not None and cg.dirs[""] == f"/sys/fs/cgroup/custom/parent/{cid}"
    cg = cgroup_from_driver(p, cm, "systemd", "foo-bar.slice", cid)
    assert cg is not None
    assert cg.dirs[""] == f"/sys/fs/cgroup/foo.slice/foo-bar.slice/docker-{cid}.scope"


@pytest.mark.parametrize(("name", "expected"), [
    ("system.slice", "/system.slice"),
    ("foo-bar.slice", "/foo.slice/foo-bar.slice"),
    ("a-b-c.slice", "/a.slice/a-b.slice/a-b-c.slice"),
    ("-.slice", "/"),
    ("test--a.slice", None),
    ("-test.slice", None),
    ("a/b.slice", None),
    ("system", None),
    (".slice", None),
])
def test_expand_slice_like_runc(name: str, expected: str | None) -> None:
    assert expand_slice(name) == expected


# samples


def sample_of(variant: str, pid: int, cid: str) -> CgroupSample:
    p, cm = tree(variant), mounts_of(variant)
    cg = resolve_container_cgroup(p, cm, pid, cid)
    assert cg is not None
    return read_cgroup_sample(p, cg)


@pytest.mark.parametrize(("variant", "pid", "cid", "values", "used"), [
    # recorded: cpuacct.usage, memory.usage_in_bytes, total_inactive_file, limit (256m), pids, max
    ("v1-hybrid-cgroupfs", 3059, V1_ID, (19002626, 327680, 0, 268435456, 1, 100), 327680),
    # usage_usec 8342117 -> ns; memory.current 48353280 - inactive_file 9543680
    ("v2-systemd", 4312, SYSTEMD_ID, (8342117000, 48353280, 9543680, 268435456, 7, 100), 38809600),
    ("v2-cgroupfs", 5120, CGROUPFS_ID, (1520331000, 7827456, 2297856, None, 1, None), 5529600),
    ("v2-rootless", 51234, ROOTLESS_ID, (250112000, 1486848, 0, 536870912, 2, None), 1486848),
    ("v2-dind", 7001, OUTER_ID, (41230876000, 179941376, 30400512, 1073741824, 31, None), 149540864),
    ("v2-dind", 9120, INNER_ID, (310442000, 634880, 8192, 67108864, 1, 50), 626688),
    # 9223372036854771712 (no limit) -> None; pids.max "max" -> None
    ("v1-comount-systemd", 2841, V1CO_ID, (51234567890, 412876800, 50331648, None, 23, None), 362545152),
])
def test_sample_per_variant(variant: str, pid: int, cid: str,
                            values: tuple[int | None, ...], used: int) -> None:
    s = sample_of(variant, pid, cid)
    assert (s.cpu_total_ns, s.mem_usage, s.mem_inactive_file, s.mem_limit, s.pids,
            s.pids_limit) == values
    assert memory_used(s) == used


def test_sources_show_real_host_paths_v1() -> None:
    s = sample_of("v1-hybrid-cgroupfs", 3059, V1_ID)
    assert dict(s.sources) == {
        "cpu_total_ns": f"cat /sys/fs/cgroup/cpuacct/docker/{V1_ID}/cpuacct.usage",
        "mem_usage": f"cat /sys/fs/cgroup/memory/docker/{V1_ID}/memory.usage_in_bytes",
        "mem_inactive_file": f"grep -w total_inactive_file /sys/fs/cgroup/memory/docker/{V1_ID}/memory.stat",
        "mem_limit": f"cat /sys/fs/cgroup/memory/docker/{V1_ID}/memory.limit_in_bytes",
        "pids": f"cat /sys/fs/cgroup/pids/docker/{V1_ID}/pids.current",
        "pids_limit": f"cat /sys/fs/cgroup/pids/docker/{V1_ID}/pids.max",
    }
    assert not any(str(HOSTS) in cmd for cmd in s.sources.values())


def test_sources_show_real_host_paths_v2() -> None:
    s = sample_of("v2-systemd", 4312, SYSTEMD_ID)
    assert dict(s.sources) == {
        "cpu_total_ns": f"grep -w usage_usec {SYSTEMD_SCOPE}/cpu.stat",
        "mem_usage": f"cat {SYSTEMD_SCOPE}/memory.current",
        "mem_inactive_file": f"grep -w inactive_file {SYSTEMD_SCOPE}/memory.stat",
        "mem_limit": f"cat {SYSTEMD_SCOPE}/memory.max",
        "pids": f"cat {SYSTEMD_SCOPE}/pids.current",
        "pids_limit": f"cat {SYSTEMD_SCOPE}/pids.max",
    }


def test_sources_comounted_cpuacct() -> None:
    s = sample_of("v1-comount-systemd", 2841, V1CO_ID)
    assert s.sources["cpu_total_ns"] == f"cat /sys/fs/cgroup/cpu,cpuacct{V1CO_SCOPE}/cpuacct.usage"


def test_sample_after_container_exit_is_all_none(tmp_path: Path) -> None:
    root = copy_tree("v2-systemd", tmp_path)
    p = paths_of(root)
    cg = resolve_container_cgroup(p, mounts_of("v2-systemd"), 4312, SYSTEMD_ID)
    assert cg is not None
    shutil.rmtree(root / SYSTEMD_SCOPE.lstrip("/"))
    s = read_cgroup_sample(p, cg)
    assert (s.cpu_total_ns, s.mem_usage, s.mem_inactive_file, s.mem_limit, s.pids,
            s.pids_limit) == (None,) * 6
    assert memory_used(s) is None
    assert len(s.sources) == 6


def test_sample_with_some_files_missing(tmp_path: Path) -> None:
    root = copy_tree("v1-hybrid-cgroupfs", tmp_path)
    p = paths_of(root)
    cg = resolve_container_cgroup(p, mounts_of("v1-hybrid-cgroupfs"), 3059, V1_ID)
    assert cg is not None
    shutil.rmtree(root / f"sys/fs/cgroup/pids/docker/{V1_ID}")
    (root / f"sys/fs/cgroup/memory/docker/{V1_ID}/memory.stat").unlink()
    s = read_cgroup_sample(p, cg)
    assert (s.cpu_total_ns, s.mem_usage, s.mem_inactive_file, s.mem_limit, s.pids,
            s.pids_limit) == (19002626, 327680, None, 268435456, None, None)
    assert memory_used(s) == 327680


def test_sample_v1_without_pids_controller_has_no_pids_source() -> None:
    cg = ContainerCgroup(version=1, dirs=FrozenMap({
        "memory": f"/sys/fs/cgroup/memory/docker/{V1_ID}",
        "cpuacct": f"/sys/fs/cgroup/cpuacct/docker/{V1_ID}",
    }), source="test")
    s = read_cgroup_sample(tree("v1-hybrid-cgroupfs"), cg)
    assert (s.pids, s.pids_limit) == (None, None)
    assert set(s.sources) == {"cpu_total_ns", "mem_usage", "mem_inactive_file", "mem_limit"}


def test_sample_other_os_errors_propagate(tmp_path: Path) -> None:
    (tmp_path / "sys/fs/cgroup/x/memory.current").mkdir(parents=True)
    cg = ContainerCgroup(version=2, dirs=FrozenMap({"": "/sys/fs/cgroup/x"}), source="test")
    with pytest.raises(IsADirectoryError):
        read_cgroup_sample(paths_of(tmp_path), cg)


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def test_held_files_read_again_from_the_start_and_close_with_their_owner(tmp_path: Path) -> None:
    root = copy_tree("v1-hybrid-cgroupfs", tmp_path)
    p = paths_of(root)
    cg = resolve_container_cgroup(p, mounts_of("v1-hybrid-cgroupfs"), 3059, V1_ID)
    assert cg is not None
    cpu = root / f"sys/fs/cgroup/cpuacct/docker/{V1_ID}/cpuacct.usage"
    before = open_fds()
    held = HeldFiles(limit=8)
    first = read_cgroup_sample(p, cg, lambda path: held.read(path, "c1"))
    assert first == read_cgroup_sample(p, cg)  # the same figures as open-read-close
    assert len(held) == 6 and open_fds() == before + 6 and held.owners() == ["c1"]
    with open(cpu, "r+b") as f:  # rewritten in place, as the kernel regenerates it
        f.write(b"29002626\n")
    assert held.read(str(cpu), "c1") == b"29002626\n" and len(held) == 6  # the held file, from offset 0
    held.drop("c1")
    assert len(held) == 0 and open_fds() == before and held.owners() == []


def test_held_files_stop_holding_at_their_limit_and_close_when_collected(tmp_path: Path) -> None:
    files = []
    for i in range(5):
        f = tmp_path / f"f{i}"
        f.write_bytes(f"{i}\n".encode())
        files.append(str(f))
    before = open_fds()
    held = HeldFiles(limit=3)
    assert [held.read(f, f"c{i}") for i, f in enumerate(files)] == [f"{i}\n".encode() for i in range(5)]
    assert len(held) == 3 and open_fds() == before + 3  # the rest were read and closed
    assert held.read(str(tmp_path / "gone"), "c9") is None and len(held) == 3
    assert held.read(None, "c9") is None
    del held
    assert open_fds() == before


# docker stats arithmetic


def test_cpu_percent_hand_computed() -> None:
    # --cpus=0.2 busy loop on a 2-CPU host over 1 s: 0.2e9 ns of 2e9 ns system time -> 20 %
    assert cpu_percent((5_000_000_000, 100_000_000_000), (5_200_000_000, 102_000_000_000), 2) == 20.0
    # 0.2e9 / 2e9 * 4 * 100
    assert cpu_percent((1_000_000_000, 100_000_000_000), (1_200_000_000, 102_000_000_000), 4) == 40.0
    # 1.5 CPUs busy on 4 CPUs for 0.5 s: 0.75e9 / 2e9 * 4 * 100 = 150 %
    assert cpu_percent((0, 0), (750_000_000, 2_000_000_000), 4) == 150.0


def test_cpu_percent_needs_two_samples_and_positive_deltas() -> None:
    assert cpu_percent(None, (1, 1), 2) is None
    assert cpu_percent((100, 500), (200, 500), 2) is None
    assert cpu_percent((200, 500), (100, 600), 2) is None
    assert cpu_percent((100, 500), (100, 600), 2) == 0.0


def _sample(usage: int | None, inactive: int | None) -> CgroupSample:
    return CgroupSample(cpu_total_ns=None, mem_usage=usage, mem_inactive_file=inactive,
                        mem_limit=None, pids=None, pids_limit=None, sources=FrozenMap())


def test_memory_used_like_docker_cli() -> None:
    assert memory_used(_sample(1000, 300)) == 700
    assert memory_used(_sample(1000, 1000)) == 1000
    assert memory_used(_sample(1000, 2000)) == 1000
    assert memory_used(_sample(1000, None)) == 1000
    assert memory_used(_sample(None, 10)) is None


def test_effective_memory_limit_clamps_to_mem_total() -> None:
    total = read_mem_total(tree("v2-cgroupfs"))
    assert total == 16710123520
    assert effective_memory_limit(None, total) == 16710123520
    assert effective_memory_limit(32 * 2**30, total) == 16710123520
    assert effective_memory_limit(268435456, total) == 268435456
    assert effective_memory_limit(268435456, 0) == 268435456
    assert effective_memory_limit(None, 0) == 0
