"""Process readers on fixture text and fixture /proc trees (shapes from proc(5) and
internals.md §3; the 3-level NSpid is Docker-in-Docker's, which this host cannot run)."""

from __future__ import annotations

import os
from pathlib import Path

from tui.backend.procfs import HostPaths, parse_nspid
from tui.backend.proctable import (
    CAPS, Node, ProcReader, arg_after, cap_names, caps_in_words, layout, listening_inodes, parse_id_map,
    parse_stat, read_all_stats, read_stat, to_inner,
)

STAT_TAIL = "S 41 41 41 0 -1 4194560 100 0 0 0 7 3 0 0 20 0 2 0 12345 1000 25 18446744073709551615"


def test_stat_comm_with_parens_spaces_and_newline() -> None:
    for comm in ("sleep", "a b", "x) (y", ")", "evil\n[red]x[/red]\x1b[2J"):
        st = parse_stat(f"4242 ({comm}) {STAT_TAIL}")
        assert st is not None
        assert (st.pid, st.comm, st.state, st.ppid) == (4242, comm, "S", 41)
        assert st.ticks == 10 and st.threads == 2 and st.start == 12345
        assert st.rss == 25 * os.sysconf("SC_PAGE_SIZE")


def test_stat_garbage_is_none() -> None:
    assert parse_stat("") is None
    assert parse_stat("12 (x") is None
    assert parse_stat("12 (x) S 1") is None


def test_nspid_levels() -> None:
    assert parse_nspid("Name:\tsleep\nNSpid:\t9839\n") == (9839,)            # --pid host
    assert parse_nspid("NSpid:\t2661\t1\n") == (2661, 1)                        # a container's init
    assert parse_nspid("NSpid:\t30001\t812\t1\n") == (30001, 812, 1)           # Docker in Docker
    assert parse_nspid("Name:\tx\n") == ()                                      # kernel < 4.1


def test_caps_in_words() -> None:
    assert cap_names("00000000a80425fb")[:3] == ("chown", "dac_override", "fowner")
    assert "net_bind_service" in cap_names("00000000a80425fb") and "sys_admin" not in cap_names("00000000a80425fb")
    assert caps_in_words("0000000000000000") == "none"
    assert caps_in_words("000001ffffffffff") == f"all {len(CAPS)} (full set)"
    assert caps_in_words("000001fffeffffff").startswith("40: ")  # root here lacks sys_resource
    assert "sys_resource" not in caps_in_words("000001fffeffffff")
    assert cap_names("zz") == ()


def test_uid_map_rootless() -> None:
    m = parse_id_map("         0       1001          1\n         1     100000      65536\n")
    assert to_inner(1001, m) == 0 and to_inner(100000, m) == 1 and to_inner(165535, m) == 65536
    assert to_inner(0, m) is None
    assert to_inner(5, parse_id_map("0 0 4294967295")) == 5


def test_listening_socket_by_path() -> None:
    table = """Num       RefCount Protocol Flags    Type St Inode Path
00000000e9a0000e: 00000003 00000000 00000000 0001 03 10052 /var/run/docker/containerd/containerd.sock.ttrpc
000000002cef8350: 00000002 00000000 00010000 0001 01  4903 /var/run/docker/containerd/containerd.sock
00000000b1a19f58: 00000003 00000000 00000000 0001 03  4905 /var/run/docker/containerd/containerd.sock
00000000b1a19f59: 00000002 00000000 00010000 0001 01  4999 /run/other.sock
"""
    assert listening_inodes(table, "/run/docker/containerd/containerd.sock") == {4903}
    assert listening_inodes(table, "/var/run/docker/containerd/containerd.sock") == {4903}
    assert listening_inodes(table, "/nope.sock") == set()


def test_arg_after() -> None:
    argv = ("/usr/bin/containerd-shim-runc-v2", "-namespace", "moby", "-id", "abc", "-address", "/x.sock")
    assert arg_after(argv, "-address") == "/x.sock" and arg_after(argv, "-id") == "abc"
    assert arg_after(("conmon", "-b=/bundle"), "-b") == "/bundle" and arg_after(argv, "-b") == ""


def test_layout_orphans_and_cycles_never_break() -> None:
    rows = layout([Node("a", "", 1, 0), Node("c", "a", 3, 1), Node("b", "a", 2, 1), Node("d", "c", 4, 3),
                   Node("lost", "gone", 9, 8), Node("x", "y", 20, 21), Node("y", "x", 21, 20)])
    assert [r.key for r in rows[:4]] == ["a", "b", "c", "d"]
    assert [r.prefix for r in rows[:4]] == ["", "├─ ", "└─ ", "   └─ "]
    assert {r.key for r in rows} == {"a", "b", "c", "d", "lost", "x", "y"}


def _fake_proc(root: Path, pid: int, comm: str, ppid: int, start: int, *, nspid: str, cmdline: bytes) -> None:
    d = root / str(pid)
    d.mkdir()
    (d / "stat").write_text(f"{pid} ({comm}) S {ppid} 1 1 0 -1 0 0 0 0 0 5 5 0 0 20 0 1 0 {start} 0 10 0")
    (d / "status").write_text(f"Name:\t{comm}\nUid:\t0\t0\t0\t0\nNSpid:\t{nspid}\n")
    (d / "cmdline").write_bytes(cmdline)


def test_reader_fixture_tree_with_unreadable_pid1_and_vanishing(tmp_path: Path) -> None:
    """/proc/1 unreadable (as on this host for ns links) and a process gone mid-read."""
    (tmp_path / "stat").write_text("cpu  1 2 3 4 5 6 7 0 0 0\nbtime 1700000000\n")
    (tmp_path / "1").mkdir(mode=0)
    _fake_proc(tmp_path, 10, "containerd-shim", 1, 500, nspid="10", cmdline=b"shim\0-address\0/s\0")
    _fake_proc(tmp_path, 11, "sh", 10, 600, nspid="11\t1", cmdline=b"sh\0-c\0yes >/dev/null\0")
    _fake_proc(tmp_path, 12, "yes", 11, 700, nspid="12\t7", cmdline=b"")
    paths = HostPaths(proc=str(tmp_path))
    stats = read_all_stats(paths)
    assert set(stats) == {10, 11, 12}
    reader = ProcReader(paths)
    assert reader.btime == 1700000000
    (tmp_path / "12" / "status").unlink()  # gone between stat and status
    table = reader.read(stats, 100.0)
    assert set(table) == {10, 11}
    assert table[11][1] == ("sh", "-c", "yes >/dev/null") and table[11][2] == (11, 1)
    assert table[11][4] is None  # CPU % needs a second read
    assert reader.started_at(stats[11]) == 1700000000 + 600 / os.sysconf("SC_CLK_TCK")
    assert read_stat(paths, 99) is None


def test_reader_cpu_and_reused_pid(tmp_path: Path) -> None:
    (tmp_path / "stat").write_text("btime 1\n")
    _fake_proc(tmp_path, 20, "yes", 1, 100, nspid="20\t2", cmdline=b"yes\0")
    paths = HostPaths(proc=str(tmp_path))
    reader = ProcReader(paths)
    reader.read(read_all_stats(paths), 10.0)
    stat = (tmp_path / "20" / "stat").read_text().replace(" 5 5 ", " 55 55 ")
    (tmp_path / "20" / "stat").write_text(stat)
    table = reader.read(read_all_stats(paths), 11.0)
    assert table[20][4] == 100 * 100 / os.sysconf("SC_CLK_TCK")  # 100 ticks in 1 s
    (tmp_path / "20" / "stat").write_text(stat.replace(" 100 0 10 0", " 900 0 10 0"))
    (tmp_path / "20" / "cmdline").write_bytes(b"other\0")
    table = reader.read(read_all_stats(paths), 12.0)  # same PID, new start: a new process
    assert table[20][1] == ("other",) and table[20][4] is None


def test_namespace_reference_when_pid1_is_unreadable(tmp_path: Path) -> None:
    """/proc/1/ns unreadable (as on this host): this app stands for the host when it runs in
    the host's PID namespace (one NSpid level); else the engine's process; the pane says which."""
    from tui.backend.collect import Context
    from tui.backend.namespaces import reference

    def ns_dir(pid: str, **links: str) -> None:
        d = tmp_path / pid / "ns"
        d.mkdir(parents=True)
        for kind, target in links.items():
            (d / kind).symlink_to(target)

    (tmp_path / "1").mkdir()  # no ns directory to read
    ns_dir("self", net="net:[11]", mnt="mnt:[12]")
    (tmp_path / "self" / "status").write_text("NSpid:\t4242\n")
    ns_dir("77", net="net:[21]", mnt="mnt:[22]")
    ctx = Context(paths=HostPaths(proc=str(tmp_path)), interval=1.0, endpoint="")
    links, ref = reference(ctx, [77])
    assert links == {"net": "net:[11]", "mnt": "mnt:[12]"} and ref.value.startswith("this app")
    assert "/proc/1/ns is unreadable" in ref.value and ref.source == "ls -l /proc/self/ns"
    (tmp_path / "self" / "status").write_text("NSpid:\t4242\t7\n")  # the app runs in a container
    links, ref = reference(ctx, [77])
    assert links["net"] == "net:[21]" and ref.value.startswith("the engine's PID 77")
