"""The Files tab's backend (``fsmerge``, ``fsview``) on Docker's containerd image store (the Docker 29
default): each layer is a snapshot ``…/io.containerd.snapshotter.v1.overlayfs/snapshots/<N>/fs``
(``work/`` beside it, no ``diff``), ``lowerdir[0]`` is the ``-init`` snapshot, ``upperdir`` the
container's writable snapshot, the image below it top to bottom.

These trees are recorded from the documented layout (../shared/reference/internals.md §5.4; the
stack is found from the mount as ``tests/unit/test_overlay.py`` builds it), not read from a live
engine: no Docker 29 with the containerd store runs here. The content follows what the store
writes: image snapshots as containerd's applier extracts them (whiteouts as 0:0 character devices,
opaque directories by ``trusted.overlay.opaque``, or ``user.overlay.opaque`` for a rootless
engine), the ``-init`` snapshot as moby's ``initlayer.Setup`` makes it, and the writable snapshot
as the kernel writes it. Needs root for ``mknod`` and ``trusted.*``.
"""

from __future__ import annotations

import dataclasses
import os
import stat
from pathlib import Path
from typing import Any

import pytest

from tui.backend.collect import Context, SourceState, Unavailable
from tui.backend.docker_api import container_from_list, engine_from_api
from tui.backend.fsmerge import changes, list_merged, preview
from tui.backend.fsview import collect_files, layer_roots
from tui.backend.layers import build_stack
from tui.backend.model import SourceResult
from tui.backend.model.fs import FilesRequest, FilesView, FsDir
from tui.backend.model.layers import LayerStack
from tui.backend.procfs import HostPaths

from unit.test_overlay import CID, D, SNAPS, RecordedApi, containerd_info, containerd_inspect, containerd_tree

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="mknod of a whiteout and trusted.* xattrs need root")

SNAP_OF = {"rw": 14, "init": 13, "image:2": 12, "image:1": 11, "image:0": 10}
"""The snapshot numbers ``containerd_tree`` mounts: writable, -init, then the image top to bottom."""
HISTORY = [{"Created": 3, "CreatedBy": "CMD [\"app\"]", "Size": 0}, {"Created": 2, "CreatedBy": "RUN b", "Size": 20},
           {"Created": 1, "CreatedBy": "COPY a /a", "Size": 10}, {"Created": 0, "CreatedBy": "", "Size": 900}]
ELF = b"\x7fELF\x02\x01\x01\0\0\0binary"


def whiteout(path: Path) -> None:
    os.mknod(path, stat.S_IFCHR | 0o000, os.makedev(0, 0))


def snap(paths: HostPaths, key: str) -> Path:
    """A layer's ``fs`` directory in the fixture tree."""
    return Path(paths.docker) / SNAPS.removeprefix("/var/lib/docker/") / str(SNAP_OF[key]) / "fs"


def populate(paths: HostPaths, opaque_attr: bytes = b"trusted.overlay.opaque", opaque_value: bytes = b"y") -> None:
    """Content for the snapshots of ``containerd_tree`` (which already holds ``13/fs/.dockerenv``
    and ``14/fs/added``):

    - image:0 (10, the base): bin/sh, bin/cat, etc/passwd, etc/os-release, opt/doomed.txt,
      opt/keep.txt, data/opq/{a,b}.txt, proc/, sys/, tmp/
    - image:1 (11, ``COPY a /a``): a/app.py; etc/shadow-link → /etc/shadow, a relative escape to
      it, and lnk-etc → /etc (a link where a path could lead into the host)
    - image:2 (12, ``RUN b``): deletes opt/doomed.txt (a whiteout), adds b/built
    - init (13): what moby's initlayer writes: .dockerenv, dev/{console,pts,shm}, etc/{hostname,
      hosts,resolv.conf}, etc/mtab → /proc/mounts, proc/, sys/
    - rw (14): edits opt/keep.txt, deletes bin/sh (a whiteout), replaces data/opq (opaque, with
      z.txt), adds srv/new/file.txt, replaces the -init snapshot's etc/mtab
      (``ln -sf /proc/self/mounts /etc/mtab``); and a stale entry in ``work/``, never read."""
    base, one, two, init, rw = (snap(paths, k) for k in ("image:0", "image:1", "image:2", "init", "rw"))
    for d in (base / "bin", base / "etc", base / "opt", base / "data" / "opq", base / "proc", base / "sys",
              base / "tmp", one / "a", one / "etc", two / "opt", two / "b", init / "dev" / "pts", init / "dev" / "shm",
              init / "etc", init / "proc", init / "sys", rw / "opt", rw / "bin", rw / "data" / "opq", rw / "etc",
              rw / "srv" / "new", rw.parent / "work" / "work"):
        d.mkdir(parents=True, exist_ok=True)
    (base / "bin" / "sh").write_bytes(ELF)
    (base / "bin" / "cat").write_bytes(ELF)
    (base / "etc" / "passwd").write_text("root:x:0:0:root:/root:/bin/sh\n")
    (base / "etc" / "os-release").write_text("ID=fixture\n")
    (base / "opt" / "doomed.txt").write_text("doomed\n")
    (base / "opt" / "keep.txt").write_text("keep\n")
    (base / "data" / "opq" / "a.txt").write_text("a\n")
    (base / "data" / "opq" / "b.txt").write_text("b\n")
    (one / "a" / "app.py").write_text("print('hi')\n")
    os.symlink("/etc/shadow", one / "etc" / "shadow-link")
    os.symlink("../../../../../../../etc/shadow", one / "etc" / "rel-escape")
    os.symlink("/etc", one / "lnk-etc")
    whiteout(two / "opt" / "doomed.txt")
    (two / "b" / "built").write_text("b\n")
    (init / "dev" / "console").write_text("")
    for name in ("hostname", "hosts", "resolv.conf"):
        (init / "etc" / name).write_text("")
    os.symlink("/proc/mounts", init / "etc" / "mtab")
    (rw / "opt" / "keep.txt").write_text("keep\nchanged\n")
    whiteout(rw / "bin" / "sh")
    os.setxattr(rw / "data" / "opq", opaque_attr, opaque_value)
    (rw / "data" / "opq" / "z.txt").write_text("z\n")
    (rw / "srv" / "new" / "file.txt").write_text("new\n")
    os.symlink("/proc/self/mounts", rw / "etc" / "mtab")
    (rw.parent / "work" / "work" / "stale").write_text("overlayfs scratch\n")


def container_ctx(tmp: Path, relative: bool = False, engine_files: bool = True,
                  running: bool = True) -> tuple[Context, LayerStack, HostPaths]:
    """The recorded Docker 29 container on the tree, its stack as the ``layers`` source builds
    it, and a Context for the ``files`` source holding that stack as the last ``layers`` result.
    ``engine_files``: the engine's own hostname, hosts and resolv.conf in
    ``<DockerRootDir>/containers/<id>/``, bind-mounted over the -init snapshot's copies."""
    paths = containerd_tree(tmp, relative)
    engine = engine_from_api("unix:///var/run/docker.sock", {"Version": "29.0.0", "ApiVersion": "1.52"},
                             containerd_info())
    ins: dict[str, Any] = containerd_inspect()
    if engine_files:
        ins["HostnamePath"] = f"/var/lib/docker/containers/{CID}/hostname"
        cdir = Path(paths.docker) / "containers" / CID
        cdir.mkdir(parents=True)
        for name, text in (("hostname", "web\n"), ("hosts", "127.0.0.1\tlocalhost\n"),
                           ("resolv.conf", "nameserver 127.0.0.11\n")):
            (cdir / name).write_text(text)
    if not running:
        ins["State"] = {"Status": "exited", "Pid": 0}
    c = container_from_list({"Id": CID, "Names": ["/web"], "State": "running" if running else "exited",
                             "Image": "app:1"}, ins)
    assert c.detail is not None
    image = {"Id": c.detail.image_id.value, "RepoTags": ["app:1"], "RootFS": {"Layers": D}}
    ctx = Context(paths=paths, interval=1.0, endpoint="", api=RecordedApi({image["Id"]: image}, HISTORY),
                  engine=engine, containers=(c,), selected=c)
    stack = build_stack(ctx, SourceState(), {}, image["Id"], c)
    ctx = dataclasses.replace(ctx, results={"layers": SourceResult("layers", value=stack, runs=1, key=CID)})
    return ctx, stack, paths


def files(ctx: Context, expanded: tuple[str, ...] = ("/",), selected: str = "", layer: str = "") -> FilesView:
    return collect_files(dataclasses.replace(ctx, arg=FilesRequest(CID, expanded, selected, 1, layer)), SourceState())


def shown(d: FsDir) -> dict[str, tuple[str, str, str]]:
    """``name: (kind, layer, status)`` of every entry of a listing."""
    return {e.name: (e.kind, e.layer, e.status) for e in d.entries}


@pytest.mark.parametrize("relative", [False, True])
def test_layer_roots_are_the_snapshots_fs_directories(tmp_path, relative: bool) -> None:
    """Absolute or relative ``lowerdir`` (containerd chdirs past a page of options): every layer
    opens at ``snapshots/<N>/fs`` in the data root, never a ``diff`` (overlay2's name) or ``work``."""
    ctx, stack, paths = container_ctx(tmp_path, relative)
    populate(paths)
    assert stack.store == "containerd" and stack.store_root == SNAPS and not stack.notes
    roots = layer_roots(ctx, stack)
    assert roots == [(key, str(snap(paths, key))) for key in ("rw", "init", "image:2", "image:1", "image:0")]
    assert all(root.endswith(f"/snapshots/{SNAP_OF[key]}/fs") and root.startswith(paths.docker)
               for key, root in roots)
    v = files(ctx)
    assert v.upper == str(snap(paths, "rw"))
    assert v.layer_dirs[:5] == tuple((key, f"{SNAPS}/{SNAP_OF[key]}/fs") for key, _ in roots)  # as on the host
    assert not any("/diff" in d for _, d in v.layer_dirs)
    assert dict(v.layers) == {"rw": "writable", "init": "-init", "image:2": "#2 RUN b", "image:1": "#1 COPY a /a",
                              "image:0": "#0"}


def test_merged_tree_origins_and_statuses(tmp_path) -> None:
    """``collect_files`` end to end: every entry's layer (rw / init / image:N) and status, the
    whiteouts (image:2's and the writable snapshot's) and the opaque directory shown as deleted by
    the snapshot that deletes them, the -init snapshot's files under the engine's bind mounts."""
    ctx, _, paths = container_ctx(tmp_path)
    populate(paths)
    v = files(ctx, ("/", "/bin", "/opt", "/data", "/data/opq", "/etc", "/dev"), "/opt/keep.txt")
    assert [d.path for d in v.dirs] == ["/", "/bin", "/opt", "/data", "/data/opq", "/etc", "/dev"]
    assert not any(d.error for d in v.dirs) and not v.notes
    dirs = {d.path: d for d in v.dirs}
    assert shown(dirs["/"]) == {
        ".dockerenv": ("file", "init", "added"), "added": ("file", "rw", "added"),
        "a": ("dir", "image:1", "added"), "b": ("dir", "image:2", "added"), "bin": ("dir", "rw", "modified"),
        "data": ("dir", "rw", "modified"), "dev": ("dir", "init", "added"), "etc": ("dir", "rw", "modified"),
        "lnk-etc": ("link", "image:1", "added"), "opt": ("dir", "rw", "modified"),
        "proc": ("dir", "init", "modified"), "srv": ("dir", "rw", "added"), "sys": ("dir", "init", "modified"),
        "tmp": ("dir", "image:0", "")}
    assert "work" not in shown(dirs["/"]) and "stale" not in shown(dirs["/"])  # 14/work is never read
    copies = {e.name: e.lower_copies for e in dirs["/"].entries}
    assert (copies["opt"], copies["etc"]) == (2, 3)  # image:2's and the base's; init's, image:1's, the base's
    assert shown(dirs["/bin"]) == {"cat": ("file", "image:0", ""), "sh": ("whiteout", "rw", "deleted")}
    assert shown(dirs["/opt"]) == {"doomed.txt": ("whiteout", "image:2", "deleted"),
                                   "keep.txt": ("file", "rw", "modified")}
    opq = next(e for e in dirs["/data"].entries if e.name == "opq")
    assert opq.opaque and (opq.layer, opq.status) == ("rw", "modified")
    assert shown(dirs["/data/opq"]) == {"a.txt": ("file", "rw", "deleted"), "b.txt": ("file", "rw", "deleted"),
                                        "z.txt": ("file", "rw", "added")}
    assert dirs["/data/opq"].layers == ("rw",)  # the opaque snapshot ends the stack for it
    assert shown(dirs["/etc"]) == {
        "hostname": ("file", "init", "added"), "hosts": ("file", "init", "added"),
        "resolv.conf": ("file", "init", "added"), "mtab": ("link", "rw", "modified"),
        "passwd": ("file", "image:0", ""), "os-release": ("file", "image:0", ""),
        "shadow-link": ("link", "image:1", "added"), "rel-escape": ("link", "image:1", "added")}
    etc = {e.name: e for e in dirs["/etc"].entries}
    assert etc["hosts"].mount == f"bind: /var/lib/docker/containers/{CID}/hosts (the engine's, over the layers' copy)"
    assert etc["passwd"].mount == "" and etc["mtab"].link == "/proc/self/mounts" and etc["mtab"].lower_copies == 1
    assert shown(dirs["/dev"]) == {"console": ("file", "init", "added"), "pts": ("dir", "init", "added"),
                                   "shm": ("dir", "init", "added")}
    p = v.preview
    assert p is not None and p.layer == "rw" and p.text == "keep\nchanged\n"
    assert p.layer_path == str(snap(paths, "rw") / "opt" / "keep.txt")
    # what the container sees at /etc/hosts is the engine's file, not the -init snapshot's empty one
    hosts = files(ctx, ("/",), "/etc/hosts").preview
    assert hosts is not None and hosts.layer == "mount:/etc/hosts" and hosts.text == "127.0.0.1\tlocalhost\n"
    # a file only an image snapshot holds, and one deleted by image:2 (its whiteout, nothing below)
    passwd = files(ctx, ("/",), "/etc/passwd").preview
    assert passwd is not None and passwd.layer == "image:0" and passwd.text.startswith("root:x:0:0")
    assert passwd.layer_path.endswith("/snapshots/10/fs/etc/passwd")
    gone = files(ctx, ("/",), "/opt/doomed.txt").preview
    assert gone is not None and gone.kind == "whiteout" and gone.layer == "image:2" and not gone.text


DOCKER_DIFF = [("/added", "A"), ("/bin", "C"), ("/bin/sh", "D"), ("/data", "C"), ("/data/opq", "C"),
               ("/data/opq/a.txt", "D"), ("/data/opq/b.txt", "D"), ("/data/opq/z.txt", "A"), ("/etc", "C"),
               ("/etc/mtab", "C"), ("/opt", "C"),
               ("/opt/keep.txt", "C"), ("/srv", "A"), ("/srv/new", "A"), ("/srv/new/file.txt", "A")]
"""What ``docker diff`` lists for the writable snapshot: on the containerd store the engine
compares the container's mount with a view of its parent, the -init snapshot (moby
``daemon/containerd/image_changes.go``), so the -init snapshot's own files are not changes, and
what the container writes over one of them (etc/mtab) is changed (C), not added."""


def test_changes_are_what_docker_diff_lists(tmp_path) -> None:
    ctx, stack, paths = container_ctx(tmp_path)
    populate(paths)
    v = files(ctx)
    assert [(c.path, c.kind) for c in v.changes] == DOCKER_DIFF and v.changes_total == len(DOCKER_DIFF)
    assert {c.path for c in v.changes if c.is_dir} == {"/bin", "/data", "/data/opq", "/etc", "/opt", "/srv",
                                                       "/srv/new"}
    assert {c.path: c.size for c in v.changes}["/opt/keep.txt"] == len("keep\nchanged\n")
    roots = layer_roots(ctx, stack)
    got, total = changes(roots[0][1], roots[1:])
    assert (got, total) == (v.changes, len(DOCKER_DIFF))
    assert not {"/.dockerenv", "/etc/hosts", "/dev"} & {c.path for c in got}  # the -init snapshot's own
    # compared with the image alone (no -init snapshot below), etc/mtab would be added, not changed
    assert ("/etc/mtab", "A") in {(c.path, c.kind) for c in changes(roots[0][1], roots[2:])[0]}


def test_per_layer_diffs_of_the_init_and_image_snapshots(tmp_path) -> None:
    """Per-layer mode: each snapshot's own diff against the ones below it, and the wasted space
    of the image's (what an image snapshot above deletes; the container's do not count)."""
    ctx, _, paths = container_ctx(tmp_path)
    populate(paths)
    v = files(ctx, layer="init")
    sums = {s.layer: s for s in v.summaries}
    assert [s.layer for s in v.summaries] == ["rw", "init", "image:2", "image:1", "image:0"]
    counted = [sum(k == kind for _, k in DOCKER_DIFF) for kind in "ACD"]
    assert [sums["rw"].added, sums["rw"].modified, sums["rw"].deleted] == counted == [5, 7, 3]
    # .dockerenv, dev, dev/console, dev/pts, dev/shm, etc/hostname, etc/hosts, etc/mtab, etc/resolv.conf;
    # etc, proc, sys are the base's
    assert (sums["init"].added, sums["init"].modified, sums["init"].deleted) == (9, 3, 0)
    assert (sums["image:2"].added, sums["image:2"].modified, sums["image:2"].deleted) == (2, 1, 1)
    assert sums["image:0"].wasted == len("doomed\n")  # deleted by image:2; bin/sh, keep.txt, opq/* by the container
    assert sums["image:1"].wasted == sums["image:2"].wasted == sums["rw"].wasted == 0
    assert v.layer == "init" and [(c.path, c.kind) for c in v.layer_changes] == [
        ("/.dockerenv", "A"), ("/dev", "A"), ("/dev/console", "A"), ("/dev/pts", "A"), ("/dev/shm", "A"),
        ("/etc", "C"), ("/etc/hostname", "A"), ("/etc/hosts", "A"), ("/etc/mtab", "A"), ("/etc/resolv.conf", "A"),
        ("/proc", "C"), ("/sys", "C")]


def test_links_in_a_snapshot_are_shown_never_followed(tmp_path) -> None:
    """A link to /etc/shadow in an image snapshot is listed and previewed as a link: the host's
    /etc/shadow is never read, nor anything through a link where a directory would be."""
    ctx, stack, paths = container_ctx(tmp_path)
    populate(paths)
    host_shadow = Path("/etc/shadow")
    canary = host_shadow.read_text(errors="replace").split(":")[0] if host_shadow.is_file() else "\0never"
    for path, target in (("/etc/shadow-link", "/etc/shadow"), ("/etc/rel-escape", "../../../../../../../etc/shadow"),
                         ("/etc/mtab", "/proc/self/mounts")):
        p = files(ctx, ("/", "/etc"), path).preview
        assert p is not None and p.kind == "link" and p.link == target, p
        assert not p.text and not p.hexdump and not p.error and "never followed" in p.note
        assert p.layer_path.startswith(paths.docker) and "/fs/etc/" in p.layer_path
    v = files(ctx, ("/", "/lnk-etc"), "/lnk-etc/shadow")  # lnk-etc -> /etc: nothing is read through it
    assert next(d for d in v.dirs if d.path == "/lnk-etc").entries == ()
    assert v.preview is not None and v.preview.error and not v.preview.text and not v.preview.hexdump
    roots = layer_roots(ctx, stack)
    with pytest.raises(FileNotFoundError):
        preview(roots, "/lnk-etc/shadow", {})
    assert list_merged(roots, "/lnk-etc").entries == ()
    for seen in (files(ctx, ("/", "/etc", "/lnk-etc"), p).preview for p in ("/etc/shadow-link", "/lnk-etc/passwd")):
        assert seen is not None and canary not in seen.text + seen.link.replace("/etc/shadow", "")


@pytest.mark.parametrize(("value", "opaque"), [(b"y", True), (b"x", False)])
def test_rootless_user_xattr_opaque_on_containerd_snapshots(tmp_path, value: bytes, opaque: bool) -> None:
    """A rootless engine on the containerd store: the kernel (``userxattr``) marks the writable
    snapshot's opaque directory ``user.overlay.opaque``, and so does containerd's applier in an
    image snapshot. Only ``y`` makes a directory opaque (``x`` is the kernel's mark for a directory
    that merely holds xattr whiteouts). (``test_fsmerge`` covers the xattr on a hand-made stack.)"""
    ctx, stack, paths = container_ctx(tmp_path, relative=True)
    try:
        populate(paths, b"user.overlay.opaque", value)
        two = snap(paths, "image:2")
        (two / "a").mkdir()
        os.setxattr(two / "a", b"user.overlay.opaque", value)
        (two / "a" / "new.py").write_text("print('new')\n")
    except OSError as exc:
        pytest.skip(f"user.* xattrs not supported here: {exc}")
    v = files(ctx, ("/", "/a", "/data", "/data/opq"))
    dirs = {d.path: d for d in v.dirs}
    assert {e.name: e.opaque for e in dirs["/data"].entries} == {"opq": opaque}
    assert {e.name: e.opaque for e in dirs["/"].entries}["a"] == opaque
    assert {e.name: e.layer for e in dirs["/"].entries}["a"] == "image:2"
    if opaque:
        assert shown(dirs["/data/opq"]) == {"a.txt": ("file", "rw", "deleted"), "b.txt": ("file", "rw", "deleted"),
                                            "z.txt": ("file", "rw", "added")}
        assert shown(dirs["/a"]) == {"app.py": ("file", "image:2", "deleted"), "new.py": ("file", "image:2", "added")}
        assert dirs["/a"].layers == ("image:2",)
    else:
        assert shown(dirs["/data/opq"]) == {"a.txt": ("file", "image:0", ""), "b.txt": ("file", "image:0", ""),
                                            "z.txt": ("file", "rw", "added")}
        assert shown(dirs["/a"]) == {"app.py": ("file", "image:1", "added"), "new.py": ("file", "image:2", "added")}
        assert dirs["/a"].layers == ("image:2", "image:1")
    diff = {(c.path, c.kind) for c in v.changes}
    assert ({("/data/opq/a.txt", "D"), ("/data/opq/b.txt", "D")} <= diff) == opaque
    assert ("/data/opq/z.txt", "A") in diff and ("/data/opq", "C") in diff
    assert all(root.endswith("/fs") for _, root in layer_roots(ctx, stack))


def test_a_stopped_container_on_the_containerd_store_says_why(tmp_path) -> None:
    """Stopped, a containerd-store container has no mount to name its snapshots (that map is in
    bbolt): the tab says so instead of guessing directories."""
    ctx, stack, paths = container_ctx(tmp_path, engine_files=False, running=False)
    populate(paths)
    assert stack.mount is None and layer_roots(ctx, stack) == []
    with pytest.raises(Unavailable, match="no layer directory is known: .*bbolt"):
        files(ctx)


def test_the_source_line_names_the_snapshots_fs_directories(tmp_path) -> None:
    ctx, _, paths = container_ctx(tmp_path)
    populate(paths)
    v = files(ctx)
    assert SNAPS in v.source and "/fs/" in v.source and "/diff/" not in v.source
