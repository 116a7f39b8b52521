"""Namespace verdicts on a fixture /proc (written from internals.md §2): a userns-remap engine,
which this host does not run (its containers get a user namespace of their own, and
``--userns host`` opts one out), and an unreadable /proc/1/ns."""

from __future__ import annotations

from pathlib import Path

from tui.backend.collect import Context, SourceState
from tui.backend.docker_api import container_from_list
from tui.backend.namespaces import collect_namespaces
from tui.backend.procfs import HostPaths

HOST = {"user": "user:[4026531837]", "net": "net:[4026531833]", "mnt": "mnt:[4026531832]", "uts": "uts:[4026531838]"}


def proc_entry(root: Path, pid: str, links: dict[str, str], nspid: str) -> None:
    ns = root / pid / "ns"
    ns.mkdir(parents=True)
    for kind, target in links.items():
        (ns / kind).symlink_to(target)
    (root / pid / "status").write_text(f"NSpid:\t{nspid}\n")


def container(cid: str, name: str, pid: int, userns: str = "") -> object:
    item = {"Id": cid, "Names": [f"/{name}"], "Image": "img", "State": "running", "Status": "Up", "Created": 1}
    inspect = {"Id": cid, "Name": f"/{name}", "State": {"Pid": pid, "Status": "running"},
               "HostConfig": {"UsernsMode": userns, "NetworkMode": "default"}, "Config": {},
               "NetworkSettings": {"SandboxKey": f"/var/run/docker/netns/{cid[:12]}"}}
    return container_from_list(item, inspect)


def test_userns_remap_and_host_opt_out(tmp_path: Path) -> None:
    (tmp_path / "1").mkdir()  # PID 1's links unreadable, as on this host
    proc_entry(tmp_path, "self", HOST, "900")
    proc_entry(tmp_path, "100", {**HOST, "user": "user:[4026532900]", "net": "net:[4026532901]",
                                 "mnt": "mnt:[4026532902]", "uts": "uts:[4026532903]"}, "100\t1")
    proc_entry(tmp_path, "200", {**HOST, "net": "net:[4026532911]", "mnt": "mnt:[4026532912]",
                                 "uts": "uts:[4026532913]"}, "200\t1")
    (tmp_path / "100" / "uid_map").write_text("         0     231072      65536\n")
    remapped = container("a" * 64, "remapped", 100)
    opted_out = container("b" * 64, "opted-out", 200, userns="host")
    for c, want in ((remapped, "private"), (opted_out, "host")):
        ctx = Context(paths=HostPaths(proc=str(tmp_path)), interval=1.0, endpoint="", selected=c,
                      containers=(remapped, opted_out))
        state = SourceState()
        state.cache["engine_pids"] = []
        v = collect_namespaces(ctx, state)
        rows = {r.kind: r for r in v.rows}
        assert rows["user"].verdict == want, c
        assert rows["net"].verdict == rows["mnt"].verdict == rows["uts"].verdict == "private"
        assert v.reference.value.startswith("this app") and "unreadable" in v.reference.value
    assert rows["user"].setting.value == "UsernsMode=host"
    ctx = Context(paths=HostPaths(proc=str(tmp_path)), interval=1.0, endpoint="", selected=remapped,
                  containers=(remapped, opted_out))
    state = SourceState()
    state.cache["engine_pids"] = []
    user = next(r for r in collect_namespaces(ctx, state).rows if r.kind == "user")
    assert "uid_map 0 231072 65536" in user.meaning and user.setting.value == "UsernsMode=(default)"
