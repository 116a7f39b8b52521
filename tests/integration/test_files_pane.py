"""The Files tab's source on the real engines, with itui/files (tests/engine-up.sh): the origin of
every entry through a whiteout and an opaque directory, hostile entries (links out of the root, a
FIFO, a device node, a name with an escape and a newline) listed and never followed or opened, a
directory of 50 000 entries, the writable layer's changes against the engine's own ``docker diff``,
a stopped container, and a file put into the upper directory from the host."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from docker.types import Mount

from tui.backend.model.fs import FilesRequest, FilesView, FsEntry
from tui.backend import upper_watch
from tui.backend.fsmerge import LIST_MAX
from widgets.files import FilesPane

from conftest import Engine
from integration.test_hub import Recorder, hub_for

FILES = "itui/files:latest"
DIFF_KIND = {0: "C", 1: "A", 2: "D"}


def files_container(make_container: Any, engine: Engine, **kw: Any) -> Any:
    return make_container(image=FILES if engine.name != "podman" else f"localhost/{FILES}",
                          command=["sleep 100000"], **kw)


async def files_view(engine: Engine, cid: str, expanded: tuple[str, ...] = ("/",), selected: str = "",
                     pred: Any = lambda v: True, layer: str = "") -> FilesView:
    hub = hub_for(engine, 0.5)
    hub.want(FilesPane.SOURCES)
    hub.select(cid)
    async with Recorder(hub) as rec:
        await rec.wait_for(lambda s: (r := s.result("files")) is not None and r.key == cid and r.value is not None,
                           timeout=20)
        res = await hub.request("files", FilesRequest(cid, expanded, selected, 1, layer))
        if not pred(res.value):
            snap = await rec.wait_for(lambda s: (r := s.result("files")).value is not None and pred(r.value), timeout=10)
            res = snap.result("files")
    assert isinstance(res.value, FilesView), res
    return res.value


def entries(v: FilesView, path: str) -> dict[str, FsEntry]:
    d = next(d for d in v.dirs if d.path == path)
    return {e.name: e for e in d.entries}


async def test_origins_whiteouts_and_opaque_dirs(engine, make_container) -> None:
    c = files_container(make_container, engine)
    v = await files_view(engine, c.id, ("/", "/opt/payload", "/data", "/data/opq"))
    labels = dict(v.layers)
    assert labels["image:3"].startswith("#3 RUN rm /opt/payload/doomed.txt")
    payload = entries(v, "/opt/payload")
    assert payload["doomed.txt"].status == "deleted" and payload["doomed.txt"].layer == "image:3"
    assert payload["keep.txt"].layer == "image:1" and payload["keep.txt"].status == "added"  # the COPY
    # rootless Docker extracts layers without overlay's help (Native Overlay Diff false): an opaque
    # directory arrives as one whiteout per hidden entry instead of an opaque xattr
    assert entries(v, "/data")["opq"].opaque == (engine.name != "rootless")
    assert entries(v, "/data")["opq"].layer == "image:4"
    opq = entries(v, "/data/opq")
    assert opq["new.txt"].layer == "image:4" and opq["new.txt"].status == "added"
    assert opq["a.txt"].status == "deleted" and opq["a.txt"].layer == "image:4"
    root = entries(v, "/")
    assert root["bin"].layer == "image:0" and root["hostile"].layer == "image:5"
    if engine.name != "podman":  # Docker's -init layer, bind-mounted over by the engine's own files
        etc = entries(v, "/")["etc"]
        assert etc.layer == "init"
        v = await files_view(engine, c.id, ("/", "/etc"))
        hosts = entries(v, "/etc")["hosts"]
        assert hosts.layer == "init" and hosts.mount.startswith("bind: ")


async def test_per_layer_diffs_and_wasted_space(engine, make_container) -> None:
    c = files_container(make_container, engine)
    v = await files_view(engine, c.id, layer="image:3")
    sums = {sm.layer: sm for sm in v.summaries}
    assert [sm.layer for sm in v.summaries] == [key for key, _ in v.layers]
    assert (sums["image:1"].added, sums["image:1"].size, sums["image:1"].wasted) == (4, 12, 7)  # doomed.txt: 7 B
    assert sums["image:2"].wasted == 2  # a.txt, hidden by image:4's opaque directory
    assert sums["image:3"].deleted == 1 and sums["image:3"].size == 0
    assert sums["image:5"].entries == 50007 - (engine.name == "rootless") and sums["image:0"].wasted == 0  # no device
    assert v.layer == "image:3" and ("/opt/payload/doomed.txt", "D") in {(ch.path, ch.kind) for ch in v.layer_changes}


async def test_hostile_entries_are_listed_never_followed_or_opened(engine, make_container) -> None:
    c = files_container(make_container, engine)
    v = await files_view(engine, c.id, ("/", "/hostile"), "/hostile/abs-link")
    h = entries(v, "/hostile")
    assert h["abs-link"].kind == "link" and h["abs-link"].link == "/etc/shadow"
    assert h["rel-link"].link == "../../../../../etc/shadow"
    assert h["fifo"].kind == "fifo"
    if engine.name != "rootless":  # a user namespace cannot make device nodes: rootless load drops it
        assert h["null"].kind == "char"
    assert "esc\x1b[31mred\nline" in h  # kept as data; the widgets escape it
    p = v.preview
    assert p is not None and p.kind == "link" and p.link == "/etc/shadow" and not p.text and not p.hexdump
    with open("/etc/shadow", encoding="utf-8", errors="replace") as f:
        canary = f.read().split(":")[0]
    for name in ("rel-link", "fifo", "null"):
        if name in h:
            v = await files_view(engine, c.id, ("/", "/hostile"), f"/hostile/{name}",
                                 pred=lambda v, n=name: v.preview is not None and v.preview.path.endswith(n))
            assert v.preview is not None and not v.preview.text and not v.preview.hexdump
            assert canary not in (v.preview.text + v.preview.link.replace("/etc/shadow", ""))
            assert v.preview.note  # "a symlink: shown, never followed", "a fifo: never opened"


async def test_a_directory_of_50000_entries(engine, make_container) -> None:
    engine.skip_unless("docker", why="the same listing code on every engine")
    c = files_container(make_container, engine)
    v = await files_view(engine, c.id, ("/", "/many"))
    d = next(d for d in v.dirs if d.path == "/many")
    assert d.total == len(d.entries) == 50000 <= LIST_MAX
    assert all(e.layer == "image:5" for e in d.entries)


async def test_changes_match_docker_diff_and_a_host_write_shows(engine, make_container) -> None:
    c = files_container(make_container, engine)
    c.exec_run(["sh", "-c", "touch /hello.world && echo more >> /opt/payload/keep.txt && rm /bin/vi "
                            "&& mkdir -p /new/dir && rm -rf /data/opq && mkdir /data/opq && echo z > /data/opq/z"])
    v = await files_view(engine, c.id, pred=lambda v: any(ch.path == "/hello.world" for ch in v.changes))
    ours = {(ch.path, ch.kind) for ch in v.changes}
    theirs = {(d["Path"], DIFF_KIND[d["Kind"]]) for d in engine.client.api.diff(c.id)}
    if engine.name == "podman":
        # Podman's diff leaves out what it writes into the writable layer itself (the mount targets
        # hosts, hostname, resolv.conf, /run/.containerenv, and mtab), and lists a directory made
        # opaque as deleted; the layers say: changed, its lower entries deleted
        own = {"/etc/hosts", "/etc/hostname", "/etc/resolv.conf", "/etc/mtab", "/run", "/run/.containerenv"}
        ours = {(p, k) for p, k in ours if p not in own and not (p.startswith("/data/opq/") and k == "D")}
        ours = {(p, "D" if p == "/data/opq" else k) for p, k in ours}
        # and lists a copied-up directory only when its own metadata changed
        dirs = {ch.path for ch in v.changes if ch.is_dir}
        assert all(p in dirs and k == "C" for p, k in ours - theirs), ours - theirs
        ours &= theirs
    assert ours == theirs, (ours ^ theirs)
    assert v.changes_total == len(v.changes)
    root = entries(v, "/")
    assert root["hello.world"].layer == "rw" and root["hello.world"].status == "added"
    v = await files_view(engine, c.id, ("/", "/data", "/data/opq"))
    opq = entries(v, "/data")["opq"]  # made opaque by the kernel at run time: trusted.*, or user.* rootless
    assert opq.opaque and opq.layer == "rw"
    assert set(entries(v, "/data/opq")) == {"z", "new.txt"} and entries(v, "/data/opq")["new.txt"].status == "deleted"
    upper = next(x for x in c.client.api.inspect_container(c.id)["GraphDriver"]["Data"].items() if x[0] == "UpperDir")[1]
    with open(os.path.join(upper, "from-the-host.txt"), "w", encoding="utf-8") as f:  # the seed's reverse step
        f.write("written on the host\n")
    v = await files_view(engine, c.id, selected="/from-the-host.txt",
                         pred=lambda v: "from-the-host.txt" in entries(v, "/"))
    assert entries(v, "/")["from-the-host.txt"].layer == "rw"
    assert v.preview is not None and v.preview.text == "written on the host\n"
    assert c.exec_run(["cat", "/from-the-host.txt"]).output == b"written on the host\n"


async def test_a_stopped_container_browses_too(engine, make_container) -> None:
    c = files_container(make_container, engine, start=False)
    v = await files_view(engine, c.id, ("/", "/opt/payload"), "/opt/payload/keep.txt")
    assert entries(v, "/opt/payload")["keep.txt"].layer == "image:1"
    assert v.preview is not None and v.preview.text == "keep\n" and not v.changes


async def test_the_watch_brings_writes_without_polling(engine, make_container) -> None:
    """With the periodic run pushed out to a minute, only the inotify watch on the writable
    layer can bring a write on screen; with the watch off too, nothing comes."""
    c = files_container(make_container, engine)
    for watched in (True, False):
        hub = hub_for(engine, 1.0)
        slot = hub._slots["files"]
        slot.source = dataclasses.replace(slot.source, every=60.0, watch=slot.source.watch if watched else None)
        hub.want(FilesPane.SOURCES)
        hub.select(c.id)
        name = f"/written-{int(watched)}"
        async with Recorder(hub) as rec:
            await rec.wait_for(lambda s: (r := s.result("files")) is not None and r.key == c.id
                               and r.value is not None and r.value.upper, timeout=20)
            await asyncio.sleep(0.5)  # the watch is placed
            await asyncio.to_thread(c.exec_run, ["sh", "-c", f"echo hi > {name} && mkdir -p /d1/d2 && touch /d1/d2/deep"])
            seen = lambda s: {ch.path for ch in s.result("files").value.changes} >= {name, "/d1/d2/deep"}  # noqa: E731
            if watched:
                snap = await rec.wait_for(seen, timeout=10)
                assert entries(snap.result("files").value, "/")[name[1:]].layer == "rw"
                await asyncio.to_thread(c.exec_run, ["rm", "/bin/vi"])  # a lower file deleted: its whiteout
                await rec.wait_for(lambda s: ("/bin/vi", "D") in {(ch.path, ch.kind) for ch in s.result("files").value.changes},
                                   timeout=10)
            else:
                with pytest.raises(asyncio.TimeoutError):
                    await rec.wait_for(seen, timeout=3)


async def test_out_of_watches_says_so_and_polling_finds_the_rest(engine, make_container, monkeypatch) -> None:
    """With room for one watch (as if fs.inotify.max_user_watches ran out), the pane says that
    part of the writable layer is not watched, and the periodic run still finds a write there."""
    monkeypatch.setattr(upper_watch, "MAX_WATCHES", 1)
    c = files_container(make_container, engine)
    assert c.exec_run(["mkdir", "-p", "/deep/er"]).exit_code == 0
    hub = hub_for(engine, 1.0)
    slot = hub._slots["files"]
    slot.source = dataclasses.replace(slot.source, every=1.0)
    hub.want(FilesPane.SOURCES)
    hub.select(c.id)
    async with Recorder(hub) as rec:
        note = lambda s: (r := s.result("files")) is not None and r.key == c.id and r.value is not None and any(  # noqa: E731
            "not watched" in n for n in r.value.notes)
        snap = await rec.wait_for(note, timeout=20)
        assert any("reading it again every" in n for n in snap.result("files").value.notes)
        await asyncio.to_thread(c.exec_run, ["touch", "/deep/er/late"])
        await rec.wait_for(lambda s: "/deep/er/late" in {ch.path for ch in s.result("files").value.changes}, timeout=10)


@pytest.fixture
def bind_dir() -> Iterator[Path]:
    """A directory to bind-mount that every engine can reach (the rootless one as its own user,
    which pytest's private tmp_path refuses)."""
    d = Path(tempfile.mkdtemp(prefix="itui-bind-"))
    os.chmod(d, 0o755)
    yield d
    shutil.rmtree(d)


async def test_volumes_and_binds_show_what_the_container_sees(engine, make_container, bind_dir) -> None:
    """A bind and an anonymous volume are browsed from their sources, with the same rules (a link
    out is shown, never followed); the engine's /etc/hosts is the file the container reads."""
    src = bind_dir
    (src / "hello.txt").write_text("from the host\n")
    os.symlink("/etc/shadow", src / "out")
    c = files_container(make_container, engine, mounts=[Mount("/srv/bound", str(src), type="bind", read_only=True),
                                                        Mount("/vol", None, type="volume")])
    assert c.exec_run(["sh", "-c", "echo inside > /vol/made-inside"]).exit_code == 0
    v = await files_view(engine, c.id, ("/", "/srv", "/srv/bound", "/vol"), "/srv/bound/hello.txt")
    assert entries(v, "/srv")["bound"].mount.startswith("bind: ")
    bound = entries(v, "/srv/bound")
    assert set(bound) == {"hello.txt", "out"} and {e.layer for e in bound.values()} == {"mount:/srv/bound"}
    assert bound["out"].kind == "link" and bound["out"].link == "/etc/shadow"
    assert v.preview is not None and v.preview.text == "from the host\n" and v.preview.path == "/srv/bound/hello.txt"
    assert v.preview.layer_path == str(src / "hello.txt")
    made = entries(v, "/vol")["made-inside"]
    assert made.layer == "mount:/vol" and made.size == len("inside\n")
    labels = dict(v.mounts)
    assert labels["mount:/srv/bound"] == f"bind: {src}" and labels["mount:/vol"].startswith("volume: ")
    v = await files_view(engine, c.id, selected="/srv/bound/out")
    assert v.preview is not None and v.preview.kind == "link" and not v.preview.text
    v = await files_view(engine, c.id, selected="/etc/hosts")
    assert v.preview is not None and v.preview.text == c.exec_run(["cat", "/etc/hosts"]).output.decode()
