"""Layer-store formats and the host variants no engine here runs: the containerd image store
(Docker 29: no GraphDriver, ``Storage`` in inspect, the stack read from the overlay line of
mountinfo, relative ``lowerdir`` entries under ``snapshots/``), Docker's relative ``lowerdir``
(overlay2's long-option mode), userns-remap's ``/var/lib/docker/<uid>.<gid>`` root, mountinfo
escapes, chain IDs, history matching and the sliced ``du``.

The fixture trees are built here from the layouts documented in ../shared/reference/internals.md
§5.1–5.5 (moby ``overlay2/overlay.go``, ``daemon/containerd/image_snapshot.go``,
``daemon/snapshotter/mount.go``; containerd ``snapshots/overlay``): recorded shapes, not a live
engine, because none of these variants runs on this machine.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

import pytest

from tui.backend.collect import Context, SourceState
from tui.backend.docker_api import container_from_list, engine_from_api
from tui.backend.layers import build_stack, collect_layers, store_kind
from tui.backend.overlay import (
    DirWalker, chain_ids, list_tree, match_history, overlay_mount, parse_mountinfo, split_lowerdir,
    unescape_mountinfo,
)
from tui.backend.procfs import HostPaths

D = [f"sha256:{hashlib.sha256(bytes([i])).hexdigest()}" for i in range(3)]
"""Three diff IDs, bottom to top."""


def test_chain_ids_follow_the_oci_formula() -> None:
    base = "sha256:78a6c4b9077505e26120d47cb7eb666c8e963d187e9929c491d51ac5be1dbc9c"
    second = "sha256:910e336147d232dc71ef876a409f53ce5cc7efb7d70284fd3be56d029824d6ea"
    # the chain ID of itui/layered's second layer, read from layerdb on the lab engine
    assert chain_ids([base, second]) == [base, "sha256:a45e1d37287299e4e8e966cc3a6483b52b2cfd61edd15ed90387225c6f8da10e"]
    assert chain_ids([D[0], D[0]])[1] != D[0]  # the same diff twice: two chains, two directories
    assert chain_ids([]) == []


def test_mountinfo_escapes_and_lowerdir_colons() -> None:
    assert unescape_mountinfo(r"/mnt/a\040b\011c\012d\134e") == "/mnt/a b\tc\nd\\e"
    assert split_lowerdir(r"/a/l/X:/b\:c/diff:l/Y") == ["/a/l/X", "/b:c/diff", "l/Y"]
    line = (r"46 42 0:39 / /var/lib/docker/overlay2/abc/merged rw,relatime shared:2 - overlay overlay "
            r"rw,lowerdir=/data\040root/l/A:/data\040root/l/B\134:x,upperdir=/data\040root/abc/diff,"
            r"workdir=/data\040root/abc/work,index=off")
    (m,) = parse_mountinfo(line + "\n")
    assert m.mount_point == "/var/lib/docker/overlay2/abc/merged" and m.fstype == "overlay"
    o = overlay_mount(m, "/proc/self/mountinfo", "/data root", {"/data root/l/A": "init"})
    assert [e.path for e in o.lowerdir] == ["/data root/l/A", "/data root/l/B:x"]
    assert o.lowerdir[0].layer == "init" and o.upperdir == "/data root/abc/diff" and o.options == ("index=off",)
    assert not o.relative


def test_docker_relative_lowerdir_resolves_against_the_overlay2_home() -> None:
    """Past a page of options, overlay2 mounts ``l/A:l/B`` relative to its home from a helper
    that chdir'ed there (moby ``mountFrom``): upperdir and workdir are relative too."""
    line = ("50 42 0:40 / /var/lib/docker/overlay2/abc/merged rw,relatime - overlay overlay "
            "rw,lowerdir=l/A:l/B,upperdir=abc/diff,workdir=abc/work")
    (m,) = parse_mountinfo(line)
    o = overlay_mount(m, "/proc/self/mountinfo", "/var/lib/docker/overlay2",
                      {"/var/lib/docker/overlay2/l/B": "image:0", "/var/lib/docker/overlay2/abc/diff": "rw"})
    assert o.relative and o.relative_to == "/var/lib/docker/overlay2"
    assert [e.path for e in o.lowerdir] == ["/var/lib/docker/overlay2/l/A", "/var/lib/docker/overlay2/l/B"]
    assert [e.layer for e in o.lowerdir] == ["", "image:0"] and o.upper_layer == "rw"


# ---------------------------------------------------------------- the containerd image store

CID = "c" * 64
SNAPS = "/var/lib/docker/containerd/daemon/io.containerd.snapshotter.v1.overlayfs/snapshots"


class RecordedApi:
    """Answers the two image calls the source makes with recorded Docker 29 output (no engine of
    that version runs here)."""

    def __init__(self, images: dict[str, dict[str, Any]], history: list[dict[str, Any]]) -> None:
        self._images, self._history = images, history

    def inspect_image(self, ref: str) -> dict[str, Any]:
        return self._images[ref]

    def history(self, ref: str) -> list[dict[str, Any]]:
        return self._history

    def images(self) -> list[dict[str, Any]]:
        return [{"Id": i} for i in self._images]

    def containers(self, **kw: Any) -> list[dict[str, Any]]:
        return [{"Id": CID, "SizeRw": 5, "SizeRootFs": 9005}]


def containerd_info() -> dict[str, Any]:
    """``docker info`` of a fresh Docker 29 (containerd image store)."""
    return {"Driver": "overlayfs", "DriverStatus": [["driver-type", "io.containerd.snapshotter.v1"]],
            "DockerRootDir": "/var/lib/docker", "SecurityOptions": [], "CgroupVersion": "2"}


def containerd_inspect() -> dict[str, Any]:
    """``docker inspect`` on API 1.52: ``Storage`` instead of ``GraphDriver``."""
    return {"Id": CID, "Name": "/web", "Image": "sha256:" + "1" * 64,
            "State": {"Status": "running", "Pid": 4242, "StartedAt": "2026-12-01T10:00:00Z"},
            "Config": {"Image": "app:1"}, "HostConfig": {},
            "Storage": {"RootFS": {"Snapshot": {"Name": "overlayfs"}}}}


def containerd_tree(tmp: Path, relative: bool) -> HostPaths:
    """/proc/4242/mountinfo with the container's root overlay (``lowerdir[0]`` the -init
    snapshot, then the image top to bottom), the same line in the host's mountinfo at
    ``<DockerRootDir>/rootfs/overlayfs/<id>``, and the snapshot directories."""
    lower = ["13/fs", "12/fs", "11/fs", "10/fs"]
    if not relative:
        lower = [f"{SNAPS}/{x}" for x in lower]
    opts = f"rw,lowerdir={':'.join(lower)},upperdir={SNAPS}/14/fs,workdir={SNAPS}/14/work"
    for pid, point in (("4242", "/"), ("self", f"/var/lib/docker/rootfs/overlayfs/{CID}")):
        (tmp / "proc" / pid).mkdir(parents=True)
        (tmp / "proc" / pid / "mountinfo").write_text(
            f"25 1 0:22 / /proc rw - proc proc rw\n700 600 0:91 / {point} rw,relatime - overlay overlay {opts}\n")
    root = tmp / "docker"
    for n in range(10, 15):
        (root / SNAPS.removeprefix("/var/lib/docker/") / str(n) / "fs").mkdir(parents=True)
    (root / SNAPS.removeprefix("/var/lib/docker/") / "13" / "fs" / ".dockerenv").write_text("")
    (root / SNAPS.removeprefix("/var/lib/docker/") / "14" / "fs" / "added").write_text("hello")
    return HostPaths(proc=str(tmp / "proc"), sys=str(tmp / "sys"), docker=str(root))


@pytest.mark.parametrize("relative", [False, True])
def test_containerd_store_stack_comes_from_the_mount(tmp_path, relative: bool) -> None:
    paths = containerd_tree(tmp_path, relative)
    engine = engine_from_api("unix:///var/run/docker.sock", {"Version": "29.0.0", "ApiVersion": "1.52"},
                             containerd_info())
    assert engine.containerd_snapshotter
    c = container_from_list({"Id": CID, "Names": ["/web"], "State": "running", "Image": "app:1"},
                            containerd_inspect())
    assert c.detail is not None and c.detail.graph_driver == "overlayfs" and not c.detail.graph_data
    assert store_kind(c.detail.graph_driver, engine.containerd_snapshotter, engine.product) == "containerd"
    image = {"Id": c.detail.image_id.value, "RepoTags": ["app:1"], "RootFS": {"Layers": D}}
    hist = [{"Created": 3, "CreatedBy": "CMD [\"app\"]", "Size": 0}, {"Created": 2, "CreatedBy": "RUN b", "Size": 20},
            {"Created": 1, "CreatedBy": "COPY a /a", "Size": 10}, {"Created": 0, "CreatedBy": "", "Size": 900}]
    ctx = Context(paths=paths, interval=1.0, endpoint="", api=RecordedApi({image["Id"]: image}, hist),
                  engine=engine, containers=(c,), selected=c)
    v = build_stack(ctx, SourceState(), {}, image["Id"], c)
    assert v.store == "containerd" and v.store_root == SNAPS
    assert [(lay.role, lay.dir_id, lay.position) for lay in v.layers] == [
        ("rw", "14", -1), ("init", "13", -1), ("image", "12", 2), ("image", "11", 1), ("image", "10", 0)]
    assert [lay.diff_id for lay in v.layers[2:]] == D[::-1]
    assert [lay.chain_id.value for lay in v.layers[2:]] == chain_ids(D)[::-1]
    m = v.mount
    assert m is not None and m.mountinfo == "/proc/self/mountinfo" and m.relative == relative
    assert [e.layer for e in m.lowerdir] == ["init", "image:2", "image:1", "image:0"] and m.upper_layer == "rw"
    assert [e.path for e in m.lowerdir][1] == f"{SNAPS}/12/fs"
    assert v.init_files.value == (".dockerenv",) and not v.notes
    assert all(not lay.short.value and not lay.problems for lay in v.layers)  # no link or lower files here
    assert [h.layer for h in v.history] == [0, 1, 2, -1] and v.history_matched.startswith("guessed")


def test_containerd_store_stopped_container_says_why_there_is_no_stack(tmp_path) -> None:
    paths = containerd_tree(tmp_path, relative=False)
    engine = engine_from_api("", {"Version": "29.0.0"}, containerd_info())
    i = containerd_inspect()
    i["State"] = {"Status": "exited", "Pid": 0}
    c = container_from_list({"Id": CID, "Names": ["/web"], "State": "exited", "Image": "app:1"}, i)
    image = {"Id": i["Image"], "RootFS": {"Layers": D}}
    ctx = Context(paths=paths, interval=1.0, endpoint="", api=RecordedApi({image["Id"]: image}, []),
                  engine=engine, containers=(c,), selected=c)
    v = build_stack(ctx, SourceState(), {}, image["Id"], c)
    assert v.mount is None and "no overlay mount" in v.mount_note
    assert any("bbolt" in n and "while it runs" in n for n in v.notes)
    assert [(lay.role, lay.position, lay.dir_id) for lay in v.layers] == [("image", 2, ""), ("image", 1, ""), ("image", 0, "")]
    assert [lay.chain_id.value for lay in v.layers] == chain_ids(D)[::-1]  # IDs still computed


def test_containerd_sizes_count_allocated_blocks_where_the_store_records_none(tmp_path) -> None:
    from tui.backend.model.layers import SizeRequest
    paths = containerd_tree(tmp_path, relative=True)
    engine = engine_from_api("", {"Version": "29.0.0"}, containerd_info())
    c = container_from_list({"Id": CID, "Names": ["/web"], "State": "running", "Image": "app:1"},
                            containerd_inspect())
    image = {"Id": c.detail.image_id.value, "RootFS": {"Layers": D}}
    ctx = Context(paths=paths, interval=1.0, endpoint="", api=RecordedApi({image["Id"]: image}, []),
                  engine=engine, containers=(c,), selected=c, arg=SizeRequest(CID, 1))
    state = SourceState()
    v = collect_layers(ctx, state)
    while not all(u.done for u in v.usage):
        v = collect_layers(ctx, state)
    assert v.engine_sizes is not None and v.engine_sizes.size_rw == 5
    rw = next(u for u in v.usage if "writable" in u.label)
    assert rw.apparent == 5 and rw.path == f"{SNAPS}/14/fs"
    assert all(lay.size.value is not None for lay in v.layers if lay.role == "image")  # counted: du


# ---------------------------------------------------------------- userns-remap

def test_userns_remap_root_holds_the_whole_layout(tmp_path) -> None:
    """With ``--userns-remap`` every path lives under ``/var/lib/docker/<uid>.<gid>/``: the
    DockerRootDir ``docker info`` reports, so nothing may assume ``/var/lib/docker/overlay2``."""
    droot = "/var/lib/docker/100000.100000"
    real = tmp_path / "remap"
    chains = chain_ids(D[:2])
    ov = real / "overlay2"
    (ov / "l").mkdir(parents=True)
    dirs = {"base": "b" * 64, "top": "t" * 64, "rw": "m" * 64, "init": "m" * 64 + "-init"}
    shorts = {"base": "BASE" + "A" * 22, "top": "TOPP" + "A" * 22, "init": "INIT" + "A" * 22, "rw": "RWRW" + "A" * 22}
    order = ["rw", "init", "top", "base"]
    for i, key in enumerate(order):
        d = ov / dirs[key]
        (d / "diff").mkdir(parents=True)
        (d / "link").write_text(shorts[key])
        os.symlink(f"../{dirs[key]}/diff", ov / "l" / shorts[key])
        below = order[i + 1:]
        if below:
            (d / "lower").write_text(":".join(f"l/{shorts[b]}" for b in below))
    db = real / "image" / "overlay2" / "layerdb"
    for chain, diff, key, parent in ((chains[0], D[0], "base", ""), (chains[1], D[1], "top", chains[0])):
        e = db / "sha256" / chain.removeprefix("sha256:")
        e.mkdir(parents=True)
        (e / "cache-id").write_text(dirs[key])
        (e / "diff").write_text(diff)
        (e / "size").write_text("1000")
        if parent:
            (e / "parent").write_text(parent)
    (db / "mounts" / CID).mkdir(parents=True)
    (db / "mounts" / CID / "mount-id").write_text(dirs["rw"])
    (db / "mounts" / CID / "init-id").write_text(dirs["init"])
    (db / "mounts" / CID / "parent").write_text(chains[1])
    (tmp_path / "proc" / "4242").mkdir(parents=True)
    (tmp_path / "proc" / "4242" / "mountinfo").write_text("")
    info = {"Driver": "overlay2", "DockerRootDir": droot, "SecurityOptions": ["name=userns"],
            "DriverStatus": [["Backing Filesystem", "extfs"]]}
    engine = engine_from_api("", {"Version": "20.10.24"}, info)
    assert engine.userns_remap
    graph = {"UpperDir": f"{droot}/overlay2/{dirs['rw']}/diff", "MergedDir": f"{droot}/overlay2/{dirs['rw']}/merged",
             "WorkDir": f"{droot}/overlay2/{dirs['rw']}/work",
             "LowerDir": ":".join(f"{droot}/overlay2/{dirs[k]}/diff" for k in ("init", "top", "base"))}
    i = {"Id": CID, "Name": "/web", "Image": "sha256:" + "2" * 64, "State": {"Status": "exited", "Pid": 0},
         "Config": {}, "HostConfig": {}, "GraphDriver": {"Name": "overlay2", "Data": graph}}
    c = container_from_list({"Id": CID, "Names": ["/web"], "State": "exited"}, i)
    image = {"Id": i["Image"], "RootFS": {"Layers": D[:2]}}
    ctx = Context(paths=HostPaths(proc=str(tmp_path / "proc"), docker=str(real)), interval=1.0, endpoint="",
                  api=RecordedApi({image["Id"]: image}, []), engine=engine, containers=(c,), selected=c)
    v = build_stack(ctx, SourceState(), graph, image["Id"], c)
    assert v.store_root == f"{droot}/overlay2" and v.metadata == f"{droot}/image/overlay2/layerdb/sha256"
    assert [lay.dir_id for lay in v.layers] == [dirs[k] for k in order]
    assert [lay.short.value for lay in v.layers] == [shorts[k] for k in order]
    assert all(not lay.problems for lay in v.layers) and not v.notes, [lay.problems for lay in v.layers]
    assert [lay.size.value for lay in v.layers[2:]] == [1000, 1000] and v.backing_fs == "extfs"
    # a mismatch is shown, not hidden: l/ of the top layer pointing elsewhere
    os.remove(ov / "l" / shorts["top"])
    os.symlink(f"../{dirs['base']}/diff", ov / "l" / shorts["top"])
    v = build_stack(ctx, SourceState(), graph, image["Id"], c)
    assert any("expected" in p for p in v.layers[2].problems)


# ---------------------------------------------------------------- history, sizes, -init

def test_history_without_the_image_config_is_a_said_guess() -> None:
    api = [{"Created": 5, "CreatedBy": "/bin/sh -c #(nop)  CMD [\"sh\"]", "Size": 0},
           {"Created": 4, "CreatedBy": "/bin/sh -c rm /x", "Size": 0},
           {"Created": 3, "CreatedBy": "/bin/sh -c #(nop)  ENV A=1", "Size": 0},
           {"Created": 2, "CreatedBy": "/bin/sh -c #(nop) COPY file:abc in /", "Size": 0},
           {"Created": 1, "CreatedBy": "", "Size": 100}]
    lines, how = match_history(api, None, 3)
    assert [h.layer for h in lines] == [0, 1, -1, 2, -1] and how.startswith("guessed")
    config = {"history": [{}, {"empty_layer": True}, {}, {"empty_layer": True}, {"empty_layer": True}]}
    lines, how = match_history(api, config, 2)
    assert [h.layer for h in lines] == [0, -1, 1, -1, -1] and "empty_layer" in how


def test_dir_walker_counts_in_slices_like_size_rw(tmp_path) -> None:
    for i in range(30):
        d = tmp_path / f"d{i}"
        d.mkdir()
        (d / "f").write_bytes(b"x" * 100)
    os.link(tmp_path / "d0" / "f", tmp_path / "hard")  # counted once
    os.symlink("d0/f", tmp_path / "link")  # its own length
    w = DirWalker("writable layer (diff)", str(tmp_path))
    steps = 0
    while not w.done:
        w.step(0.0)  # one directory a step: the count shows progress
        steps += 1
        assert w.usage().done == w.done
    assert steps == 31 and w.apparent == 30 * 100 + len("d0/f") and w.entries == 30 * 2 + 2


def test_init_layer_listing(tmp_path) -> None:
    (tmp_path / "etc").mkdir()
    for name in ("hosts", "hostname", "resolv.conf"):
        (tmp_path / "etc" / name).write_text("")
    os.symlink("/proc/mounts", tmp_path / "etc" / "mtab")
    (tmp_path / ".dockerenv").write_text("")
    (tmp_path / "dev" / "pts").mkdir(parents=True)
    assert list_tree(str(tmp_path)) == (".dockerenv", "dev/", "dev/pts/", "etc/", "etc/hostname", "etc/hosts",
                                        "etc/mtab", "etc/resolv.conf")


def test_containerd_store_image_view_lists_layers_without_directories(tmp_path) -> None:
    """An image inspect on API ≥ 1.52 has no GraphDriver: the layers, IDs and history still show;
    which snapshot holds each is said to live in bbolt."""
    from tui.backend.layers import collect_image
    from tui.backend.model.layers import ImageRequest
    paths = containerd_tree(tmp_path, relative=False)
    engine = engine_from_api("", {"Version": "29.0.0"}, containerd_info())
    image = {"Id": "sha256:" + "1" * 64, "RepoTags": ["app:1"], "RootFS": {"Layers": D},
             "Config": {"Cmd": ["app"], "Env": ["PATH=/bin", "SECRET=x"]}, "Os": "linux", "Architecture": "arm64"}
    hist = [{"Created": 2, "CreatedBy": "RUN b", "Size": 20}, {"Created": 1, "CreatedBy": "COPY a /a", "Size": 10},
            {"Created": 0, "CreatedBy": "", "Size": 900}]
    ctx = Context(paths=paths, interval=1.0, endpoint="", api=RecordedApi({image["Id"]: image}, hist),
                  engine=engine, arg=ImageRequest(image["Id"]))
    im = collect_image(ctx, SourceState())
    assert im.platform == "linux/arm64" and im.env_names == ("PATH", "SECRET") and im.cmd == ("app",)
    assert im.stack is not None and im.stack.store == "containerd" and im.stack.mount is None
    assert [lay.position for lay in im.stack.layers] == [2, 1, 0] and not any(lay.dir_id for lay in im.stack.layers)
    assert [h.layer for h in im.stack.history] == [0, 1, 2]


def test_store_kinds() -> None:
    assert store_kind("overlay2", False, "Docker") == "overlay2"
    assert store_kind("fuse-overlayfs", False, "Docker") == "overlay2"  # the same l/ layout, image/fuse-overlayfs
    assert store_kind("overlay", False, "Podman") == "podman"
    assert store_kind("overlayfs", True, "Docker") == store_kind("overlayfs", False, "Docker") == "containerd"
    assert store_kind("vfs", False, "Docker") == store_kind("btrfs", False, "Docker") == ""


def test_a_store_this_tab_does_not_read_says_so(tmp_path) -> None:
    from tui.backend.collect import Unavailable
    engine = engine_from_api("", {"Version": "20.10.24"}, {"Driver": "vfs", "DockerRootDir": "/var/lib/docker"})
    i = {"Id": CID, "Name": "/web", "Image": "sha256:" + "1" * 64, "State": {"Status": "exited"}, "Config": {},
         "HostConfig": {}, "GraphDriver": {"Name": "vfs", "Data": {}}}
    c = container_from_list({"Id": CID, "Names": ["/web"], "State": "exited"}, i)
    ctx = Context(paths=HostPaths(proc=str(tmp_path)), interval=1.0, endpoint="", api=RecordedApi({}, []),
                  engine=engine, containers=(c,), selected=c)
    with pytest.raises(Unavailable, match="storage driver vfs"):
        collect_layers(ctx, SourceState())
