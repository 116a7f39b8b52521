"""The Layers tab's sources on the real engines: the whole mapping of a multi-layer image checked
against the store's own files (layerdb and ``l/`` for Docker, ``layers.json`` for Podman), the
mount against mountinfo, sizes against ``docker ps --size`` and ``docker system df -v``, and the
variants: a stopped container, ``--read-only``, an image removed under its container, two
images sharing a base, the image view."""

from __future__ import annotations

import io
import json
import os
import subprocess
from typing import Any

import docker
import pytest

from tui.backend.model import Snapshot
from tui.backend.model.layers import ImageDetail, ImageRequest, LayerStack, SizeRequest
from tui.backend.overlay import chain_ids, parse_mountinfo
from widgets.layers import LayersPane

from conftest import Engine
from integration.test_hub import Recorder, hub_for

LAYERED = "itui/layered:latest"


def stack_of(snap: Snapshot, cid: str) -> LayerStack | None:
    r = snap.result("layers")
    return r.value if r is not None and r.key == cid and isinstance(r.value, LayerStack) else None


async def watch_layers(engine: Engine, cid: str, pred: Any = lambda v: True, size: bool = False,
                       timeout: float = 20.0) -> LayerStack:
    hub = hub_for(engine, 0.5)
    hub.want(LayersPane.SOURCES)
    hub.select(cid)
    async with Recorder(hub) as rec:
        await rec.wait_for(lambda s: stack_of(s, cid) is not None, timeout=timeout)
        if size:
            await hub.request("layers", SizeRequest(cid, 1))
            snap = await rec.wait_for(lambda s: (v := stack_of(s, cid)) is not None and v.engine_sizes is not None
                                      and v.usage and all(u.done for u in v.usage) and pred(v), timeout=timeout)
        else:
            snap = await rec.wait_for(lambda s: (v := stack_of(s, cid)) is not None and pred(v), timeout=timeout)
    v = stack_of(snap, cid)
    assert v is not None
    return v


def read(path: str) -> str:
    with open(path, encoding="utf-8") as f:
        return f.read().strip()


def layered(make_container: Any, engine: Engine, **kw: Any) -> Any:
    """A running container of the layered image (its entrypoint is ``sh -c``: one command string)."""
    return make_container(image=LAYERED if engine.name != "podman" else f"localhost/{LAYERED}",
                          command=["sleep 100000"], **kw)


def image_attrs(engine: Engine, ref: str) -> dict[str, Any]:
    return engine.client.api.inspect_image(ref if engine.name != "podman" else f"localhost/{ref}")


async def test_multi_layer_mapping_against_the_store(engine, make_container) -> None:
    """Every layer's directory, IDs and size agree with the store's files, and the chain runs
    writable → -init → image top … base, each lower file naming exactly the layers below."""
    c = layered(make_container, engine)
    v = await watch_layers(engine, c.id, lambda v: v.mount is not None)
    img = image_attrs(engine, LAYERED)
    diff_ids = img["RootFS"]["Layers"]
    chains = chain_ids(diff_ids)
    roles = [lay.role for lay in v.layers]
    images = [lay for lay in v.layers if lay.role == "image"]
    assert [lay.position for lay in images] == list(range(len(diff_ids) - 1, -1, -1)) and len(diff_ids) == 5
    assert [lay.diff_id for lay in images] == diff_ids[::-1]
    assert [lay.chain_id.value for lay in images] == chains[::-1]
    assert not any(lay.problems for lay in v.layers), [lay.problems for lay in v.layers]
    assert list(v.notes) == (["Podman makes no -init layer: the container's /etc/hosts, hostname and resolv.conf "
                              "are bind mounts from its userdata directory"] if engine.name == "podman" else [])
    root = v.store_root
    if engine.name == "podman":
        assert roles == ["rw"] + ["image"] * 5  # Podman has no -init layer
        layers = {e["id"]: e for e in json.load(open(os.path.join(os.path.dirname(root), "overlay-layers",
                                                                  "layers.json")))}
        for lay in images:
            assert layers[lay.dir_id]["diff-digest"] == lay.diff_id and layers[lay.dir_id]["diff-size"] == lay.size.value
    else:
        assert roles == ["rw", "init"] + ["image"] * 5
        image_root = os.path.join(os.path.dirname(root), "image", "overlay2")
        mounts = os.path.join(image_root, "layerdb", "mounts", c.id)
        assert read(f"{mounts}/mount-id") == v.layers[0].dir_id and read(f"{mounts}/init-id") == v.layers[1].dir_id
        assert read(f"{mounts}/parent") == chains[-1]
        for lay in images:
            db = os.path.join(image_root, "layerdb", "sha256", lay.chain_id.value.removeprefix("sha256:"))
            assert read(f"{db}/cache-id") == lay.dir_id and read(f"{db}/diff") == lay.diff_id
            assert int(read(f"{db}/size")) == lay.size.value
            assert os.path.exists(f"{db}/parent") == (lay.position > 0)
        assert v.init_files.value and {".dockerenv", "etc/hosts", "etc/hostname", "etc/resolv.conf"} \
            <= set(v.init_files.value)
    for i, lay in enumerate(v.layers):  # l/ links back, lower lists every layer below
        assert read(os.path.join(lay.directory.value, "link")) == lay.short.value
        assert os.readlink(os.path.join(root, "l", lay.short.value)) == f"../{lay.dir_id}/diff"
        below = [x.short.value for x in v.layers[i + 1:]]
        assert list(lay.lower.value) == below
        assert lay.lower_file == bool(below) == os.path.exists(os.path.join(lay.directory.value, "lower"))
    hist = [h for h in v.history if h.layer >= 0]
    assert [h.layer for h in hist] == list(range(5)) and len(v.history) == len(engine.client.api.history(img["Id"]))
    assert any(h.layer == -1 and "LABEL" in h.created_by for h in v.history)
    assert "rm /opt/payload/doomed.txt" in hist[3].created_by  # a 0-byte layer (a whiteout), not an empty one
    assert "image config" in v.history_matched and not v.history_matched.startswith("guessed")


async def test_mount_line_against_mountinfo(engine, make_container) -> None:
    c = layered(make_container, engine)
    v = await watch_layers(engine, c.id, lambda v: v.mount is not None)
    m = v.mount
    assert m is not None
    pid = c.attrs["State"]["Pid"]
    host = [x for x in parse_mountinfo(read("/proc/self/mountinfo")) if x.mount_point == dict(v.graph.value)["MergedDir"]]
    if engine.name == "rootless":  # mounted in rootlesskit's mount namespace only
        assert not host and m.mountinfo == f"/proc/{pid}/mountinfo" and m.mount_point == "/"
        assert "userxattr" in m.options
        line = next(x for x in parse_mountinfo(read(f"/proc/{pid}/mountinfo")) if x.mount_point == "/")
    else:
        assert m.mountinfo == "/proc/self/mountinfo" and len(host) == 1
        line = host[0]
    assert m.line == line.line
    want = ["init"] * (engine.name != "podman") + [f"image:{i}" for i in range(4, -1, -1)]
    assert [e.layer for e in m.lowerdir] == want and m.upper_layer == "rw"
    assert m.upperdir == dict(v.graph.value)["UpperDir"] and m.workdir == dict(v.graph.value)["WorkDir"]
    assert all(os.path.realpath(e.path) == os.path.join(next(x.directory.value for x in v.layers if x.key == e.layer),
                                                        "diff") for e in m.lowerdir)
    assert not m.read_only


async def test_sizes_match_docker_ps_size_and_system_df(engine, make_container) -> None:
    c = make_container()
    c.exec_run(["sh", "-c", "head -c 300000 /dev/zero > /big && ln /big /big.link && echo x > /etc/added"])
    v = await watch_layers(engine, c.id, size=True)
    es = v.engine_sizes
    ps = engine.client.api.containers(all=True, size=True, filters={"id": c.id})[0]
    assert es is not None and es.size_rw == ps.get("SizeRw", 0) and es.size_root_fs == ps["SizeRootFs"]
    rw = next(u for u in v.usage if u.path.endswith("/diff") and "writable" in u.label)
    assert rw.apparent >= 300000 and rw.entries >= 3
    if engine.name != "podman":  # overlay2 counts SizeRw as this: st_size sum, hard links once
        assert rw.apparent == es.size_rw
        assert es.size_root_fs == es.size_rw + sum(lay.size.value or 0 for lay in v.layers if lay.role == "image")
    merged = next(u for u in v.usage if "merged" in u.label)
    assert merged.apparent > rw.apparent and merged.entries > 100
    rw_layer = next(lay for lay in v.layers if lay.role == "rw")
    assert rw_layer.size.value == rw.apparent
    if engine.name != "podman":  # the CLI's df -v: the same SizeRw, printed in SI units
        out = subprocess.run(["docker", "system", "df", "-v", "--format", "{{json .}}"], env=engine.env,
                             capture_output=True, text=True, timeout=60, check=True).stdout
        row = next(r for r in json.loads(out)["Containers"] if r["ID"].startswith(c.id[:12]))
        assert abs(si_bytes(row["Size"]) - es.size_rw) <= es.size_rw * 0.005, row


def si_bytes(text: str) -> float:
    """``300kB`` → 300000 (docker's HumanSize: SI units, 3 significant digits)."""
    for unit, mult in (("kB", 1e3), ("MB", 1e6), ("GB", 1e9), ("B", 1)):
        if text.endswith(unit):
            return float(text[:-len(unit)]) * mult
    raise ValueError(text)


async def test_stopped_read_only_and_removed_image(engine, make_container, docker_client) -> None:
    stopped = make_container(start=False)
    v = await watch_layers(engine, stopped.id)
    assert v.mount is None and "no overlay mount" in v.mount_note and v.layers[0].role == "rw"
    assert all(os.path.isdir(lay.directory.value) for lay in v.layers)  # the layers stay on disk
    ro = make_container(read_only=True)
    v = await watch_layers(engine, ro.id, lambda v: v.mount is not None)
    assert v.mount is not None and v.mount.read_only
    if engine.name == "podman":
        return  # podman rmi -f removes the container with its image
    tag = f"itui/gone:{os.getpid()}"
    img, _ = docker_client.images.build(fileobj=io.BytesIO(
        b"FROM itui/mini:latest\nLABEL internals-tui.test=1\nRUN echo y > /y\n"), tag=tag, rm=True)
    c = make_container(image=tag, start=False)
    docker_client.images.remove(tag, force=True)
    with pytest.raises(docker.errors.ImageNotFound):
        docker_client.images.get(img.id)
    v = await watch_layers(engine, c.id)
    assert any("is gone" in n for n in v.notes)
    images = [lay for lay in v.layers if lay.role == "image"]
    assert len(images) == 2 and images[0].diff_id and images[0].chain_id.value  # from layerdb
    assert not any(lay.problems for lay in v.layers)


async def test_shared_base_and_the_image_view(engine, make_container) -> None:
    c = layered(make_container, engine)
    other = make_container()  # itui/mini: the layered image's base

    def base_of(v: LayerStack) -> Any:
        return next(lay for lay in v.layers if lay.role == "image" and lay.position == 0)

    # the stack can come before the container list has ``other``; its arrival makes the source run again
    v = await watch_layers(engine, c.id, lambda v: f"container {other.name}" in base_of(v).shared_with)
    base = base_of(v)
    assert any("itui/mini" in s for s in base.shared_with) and f"container {other.name}" in base.shared_with
    top = next(lay for lay in v.layers if lay.role == "image" and lay.position == 4)
    assert f"container {other.name}" not in top.shared_with
    img = image_attrs(engine, LAYERED)
    hub = hub_for(engine, 0.5)
    async with Recorder(hub) as rec:
        await rec.wait_for(lambda s: s.container(c.id) is not None, timeout=15)
        res = await hub.request("image", ImageRequest(img["Id"]))
    im = res.value
    assert isinstance(im, ImageDetail), res
    assert im.id == img["Id"] and any("itui/layered" in t for t in im.tags) and im.platform.startswith("linux/")
    assert im.entrypoint == ("/bin/sh", "-c") and im.cmd == ("sleep 100000",) and "PATH" in im.env_names
    assert c.name in im.containers and other.name not in im.containers
    s = im.stack
    assert s is not None and [lay.role for lay in s.layers] == ["image"] * 5
    assert s.layers[0].directory.value == os.path.dirname(dict(s.graph.value)["UpperDir"])  # the top layer
    assert s.mount is None and not any(lay.problems for lay in s.layers)
    assert [lay.dir_id for lay in s.layers] == [lay.dir_id for lay in v.layers if lay.role == "image"]
