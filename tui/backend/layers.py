"""Sources ``layers`` (the selected container's stack) and ``image`` (one image, on demand).

The stack comes from what the engine reports and the kernel mounted — ``GraphDriver.Data``
(overlay2, Podman) or the overlay line of mountinfo (the containerd store, which has no
GraphDriver) — then each layer is labelled from the store's own metadata (layerdb, Podman's
``layers.json``) and cross-checked through the ``l/`` links, ``lower`` files and the mount.
Disagreements are reported on the layer, never smoothed over. Sizes that need a walk are
counted in slices on request (``SizeRequest``), so a big layer never holds the source up.
"""

from __future__ import annotations

import os
import shlex
from dataclasses import dataclass
from typing import Any

import docker

from . import layer_sizes
from .collect import Context, SourceState, Unavailable
from .model import Container, Sourced, inspect_source
from .model.layers import (
    HistoryLine, ImageDetail, ImageRequest, Layer, LayerStack, OverlayMount,
)
from .overlay import (
    MountLine, chain_ids, docker_image_config, is_overlay, layerdb_chain, layerdb_mount, list_tree,
    match_history, overlay_mount, parse_mountinfo, podman_image_config, podman_layers, read_small, readlink,
)

EVERY_S = 10.0


def store_kind(driver: str, snapshotter: bool, product: str) -> str:
    """``overlay2``, ``podman``, ``containerd`` — or empty for a store this tab does not read."""
    if snapshotter or driver in ("overlayfs", "stargz") and product != "Podman":
        return "containerd"
    if driver in ("overlay2", "fuse-overlayfs"):  # Docker's graphdrivers with the l/ layout
        return "overlay2"
    if driver == "overlay" and product == "Podman":
        return "podman"
    return ""


class _Images:
    """Image inspects and histories, cached by ID (an image never changes)."""

    def __init__(self) -> None:
        self.inspect: dict[str, dict[str, Any] | None] = {}
        self.history: dict[str, list[dict[str, Any]]] = {}

    def get(self, api: Any, image_id: str) -> dict[str, Any] | None:
        if image_id not in self.inspect:
            try:
                self.inspect[image_id] = api.inspect_image(image_id) if api is not None else None
            except docker.errors.NotFound:
                self.inspect[image_id] = None
        return self.inspect[image_id]

    def history_of(self, api: Any, image_id: str) -> list[dict[str, Any]]:
        if image_id not in self.history and api is not None:
            try:
                self.history[image_id] = list(api.history(image_id))
            except docker.errors.NotFound:
                return []
        return self.history.get(image_id, [])

    def forget_except(self, ids: set[str]) -> None:
        for gone in set(self.inspect) - ids:
            self.inspect.pop(gone, None)
            self.history.pop(gone, None)


def _images(state: SourceState) -> _Images:
    return state.cache.setdefault("images", _Images())


def _diff_ids(image: dict[str, Any] | None) -> list[str]:
    return list(((image or {}).get("RootFS") or {}).get("Layers") or ())


def _tag(image: dict[str, Any] | None, image_id: str) -> str:
    tags = (image or {}).get("RepoTags") or ()
    return tags[0] if tags else image_id.removeprefix("sha256:")[:12]


class _Build:
    """One stack being put together: layers top to bottom, problems and notes as found."""

    def __init__(self, ctx: Context, store: str, root: str, driver: str) -> None:
        self.ctx, self.store, self.root = ctx, store, root
        self.image_root = os.path.join(root, "image", driver)
        """Docker's layer and image metadata (``image/overlay2``: layerdb, imagedb)."""
        self.notes: list[str] = []
        self.layers: list[dict[str, Any]] = []

    def at(self, path: str) -> str:
        """Where to open a path under the engine's root (a fixture tree maps it)."""
        return self.ctx.paths.in_docker_root(path, self.root)

    def add(self, role: str, directory: str, source: str, **kw: Any) -> dict[str, Any]:
        layer = {"role": role, "directory": Sourced(directory, source),
                 "dir_id": os.path.basename(directory), "problems": [], **kw}
        self.layers.append(layer)
        return layer


def _graph_dirs(graph: dict[str, str]) -> tuple[str, list[str]]:
    """``(UpperDir's layer directory, LowerDir's layer directories top first)``."""
    def layer_dir(p: str) -> str:
        return os.path.dirname(p.rstrip("/")) if p.rstrip("/").endswith(("/diff", "/fs")) else p

    upper = layer_dir(graph.get("UpperDir") or "")
    lower = [layer_dir(p) for p in (graph.get("LowerDir") or "").split(":") if p]
    return upper, lower


def _label_links(b: _Build, store_root: str) -> None:
    """``link``, ``l/<short>`` and ``lower`` of each overlay2/Podman layer, cross-checked."""
    shorts: dict[str, str] = {}
    for lay in b.layers:
        d = lay["directory"].value
        try:
            short = read_small(b.at(os.path.join(d, "link")))
            lower = read_small(b.at(os.path.join(d, "lower")))
        except PermissionError:
            return
        if short is None:
            lay["problems"].append(f"no link file in {d}")
            continue
        lay["short"] = Sourced(short, f"cat {shlex.quote(os.path.join(d, 'link'))}")
        shorts[lay["dir_id"]] = short
        link = os.path.join(store_root, "l", short)
        target = readlink(b.at(link))
        lay["short_target"] = target
        want = f"../{lay['dir_id']}/diff"
        if target != want:
            lay["problems"].append(f"l/{short} → {target or 'missing'}, expected {want}")
        if lower is not None:
            lay["lower_file"] = True
            lay["lower"] = Sourced(tuple(p.removeprefix("l/") for p in lower.split(":") if p),
                                   f"cat {shlex.quote(os.path.join(d, 'lower'))}")
    for i, lay in enumerate(b.layers):  # a layer's lower names every layer below it, nearest first
        below = [shorts.get(x["dir_id"], "?") for x in b.layers[i + 1:]]
        have = list(lay.get("lower", Sourced(())).value)
        if lay["dir_id"] in shorts and have != below and (have or below):
            if not below:
                lay["problems"].append("a base layer with a lower file")
            else:
                lay["problems"].append(f"lower names {len(have)} layers, the stack below has {len(below)}"
                                       if len(have) != len(below) else "lower does not match the layers below")


def _label_overlay2(b: _Build, image_layers: list[dict[str, Any]], top_chain: str, chains: list[str]) -> str:
    """Labels from ``layerdb``: cache-id (must be the directory), chain ID, diff ID, size."""
    image_root = b.image_root
    walked = layerdb_chain(b.at(image_root), top_chain)
    layerdb = os.path.join(image_root, "layerdb", "sha256")
    for lay, ent in zip(image_layers, walked):
        hexid = ent.chain_id.removeprefix("sha256:")
        files = f"head {layerdb}/{hexid}/{{cache-id,diff,parent,size}}"
        if "chain_id" not in lay:
            lay["chain_id"] = Sourced(ent.chain_id, files)
        lay["diff_id"] = lay.get("diff_id") or ent.diff_id
        lay["size"] = Sourced(ent.size, files)
        if ent.cache_id != lay["dir_id"]:
            lay["problems"].append(f"layerdb cache-id {ent.cache_id[:12]}… is not this directory")
        if lay.get("diff_id") and ent.diff_id and ent.diff_id != lay["diff_id"]:
            lay["problems"].append(f"layerdb diff {ent.diff_id[:19]}… differs from the image's")
    if chains and [e.chain_id for e in walked] != list(reversed(chains))[:len(walked)]:
        b.notes.append("layerdb's parent chain differs from the chain IDs computed from the image's layers")
    if len(walked) != len(image_layers):
        b.notes.append(f"layerdb has {len(walked)} layers under {top_chain[:19]}…, the stack {len(image_layers)}")
    return layerdb


def _label_podman(b: _Build, image_layers: list[dict[str, Any]]) -> str:
    path = os.path.join(b.root, "overlay-layers", "layers.json")
    by_id = podman_layers(b.at(b.root))
    for lay in image_layers:
        ent = by_id.get(lay["dir_id"])
        if ent is None:
            lay["problems"].append("not in layers.json")
            continue
        digest = str(ent.get("diff-digest") or "")
        lay["diff_id"] = lay.get("diff_id") or digest
        if digest and digest != lay["diff_id"]:
            lay["problems"].append(f"layers.json diff-digest {digest[:19]}… differs from the image's")
        size = ent.get("diff-size")
        lay["size"] = Sourced(int(size) if isinstance(size, int) else None,
                              f"jq '.[] | select(.id==\"{lay['dir_id']}\")' {path}")
    return path


def _freeze(b: _Build) -> tuple[Layer, ...]:
    out = []
    for lay in b.layers:
        kw = dict(lay)
        kw["problems"] = tuple(kw["problems"])
        out.append(Layer(**kw))
    return tuple(out)


def _history(ctx: Context, state: SourceState, b: _Build, image_id: str,
             n_layers: int) -> tuple[tuple[HistoryLine, ...], str]:
    api_history = _images(state).history_of(ctx.api, image_id)
    if not api_history:
        return (), ""
    config = None
    try:
        if b.store == "overlay2":
            config = docker_image_config(b.at(b.image_root), image_id)
        elif b.store == "podman":
            config = podman_image_config(b.at(b.root), image_id)
    except PermissionError:
        config = None
    return match_history(api_history, config, n_layers)


def _shared(ctx: Context, state: SourceState, chains: list[str], own_image: str, own_cid: str) -> dict[str, list[str]]:
    """For each chain ID: the other images and containers built on it."""
    images = _images(state)
    users: dict[str, list[str]] = {c: [] for c in chains}
    by_image: dict[str, set[str]] = {}
    listed = [i.id for i in ctx.value("images", ())]
    images.forget_except(set(listed) | {own_image})
    for iid in listed:
        img = images.get(ctx.api, iid)
        mine = set(chain_ids(_diff_ids(img))) & set(chains)
        by_image[iid] = mine
        if iid != own_image:
            for ch in mine:
                users[ch].append(f"image {_tag(img, iid)}")
    for c in ctx.containers:
        if c.id == own_cid or c.detail is None:
            continue
        for ch in by_image.get(c.detail.image_id.value, ()):
            users[ch].append(f"container {c.name.value}")
    return users


def build_stack(ctx: Context, state: SourceState, graph: dict[str, str], image_id: str,
                container: Container | None = None) -> LayerStack:
    """The layer stack of ``container``, or of image ``image_id`` when no container is given."""
    e = ctx.engine
    if e is None:
        raise Unavailable("not connected to an engine")
    d = container.detail if container is not None else None
    driver = d.graph_driver if d is not None else e.storage_driver.value
    store = store_kind(driver, e.containerd_snapshotter, e.product)
    if not store:
        raise Unavailable(f"storage driver {driver or 'unknown'}: this tab reads overlay2, Podman's overlay "
                          "and the containerd image store")
    root = e.docker_root_dir.value
    b = _Build(ctx, store, root, driver)
    images = _images(state)
    image = images.get(ctx.api, image_id) if image_id else None
    diff_ids = _diff_ids(image)
    chains = chain_ids(diff_ids)
    if store == "podman" and container is not None:
        b.notes.append("Podman makes no -init layer: the container's /etc/hosts, hostname and resolv.conf are "
                       "bind mounts from its userdata directory")
    if image is None and image_id:
        b.notes.append(f"image {image_id.removeprefix('sha256:')[:12]} is gone (docker rmi -f): its layers stay "
                       "on disk while a container uses them; IDs below come from the store's metadata")
    name = container.name.value if container is not None else image_id.removeprefix("sha256:")[:12]
    gsrc = inspect_source(name, ".GraphDriver.Data") if container is not None \
        else f"docker image inspect -f '{{{{json .GraphDriver.Data}}}}' {name}"
    found, mount_note = _find_mount(ctx, container, store, root)
    upper, lower = _graph_dirs(graph)
    store_root = os.path.dirname(upper) if upper else os.path.join(root, {"podman": "overlay"}.get(store, "overlay2"))
    if store == "containerd":
        upper, lower, store_root = _containerd_dirs(found, b, container is None)
        if found is None:
            lower = [""] * len(diff_ids)  # the image's layers, their snapshots unnamed
    init_files: Sourced[tuple[str, ...]] = Sourced(())
    if container is not None and upper:
        b.add("rw", upper, inspect_source(name, ".GraphDriver.Data.UpperDir") if store != "containerd"
              else (found.mountinfo if found else ""))
        if lower and (store == "containerd" or lower[0].endswith("-init")):
            init = lower.pop(0)
            b.add("init", init, inspect_source(name, ".GraphDriver.Data.LowerDir") if store != "containerd" else "")
            diff = os.path.join(init, "fs" if store == "containerd" else "diff")
            try:
                init_files = Sourced(list_tree(b.at(diff)), f"find {shlex.quote(diff)}")
            except PermissionError:
                pass
    elif container is None and upper:
        lower.insert(0, upper)  # an image: UpperDir is its top layer
    image_layers = []
    n = len(lower)
    for i, path in enumerate(lower):
        pos = n - 1 - i
        lay = b.add("image", path, gsrc, position=pos)
        if len(diff_ids) == n:
            lay["diff_id"] = diff_ids[pos]
            lay["chain_id"] = Sourced(chains[pos], "computed: sha256(parent chain ID + \" \" + diff ID)")
        image_layers.append(lay)
    if diff_ids and len(diff_ids) != n:
        b.notes.append(f"the image has {len(diff_ids)} layers, the stack below it {n}")
    metadata = _label_store(b, container, image_layers, chains, store_root)
    own_chains = [lay["chain_id"].value for lay in image_layers if "chain_id" in lay]
    users = _shared(ctx, state, own_chains, image_id, container.id if container else "") if own_chains else {}
    for lay in image_layers:
        if "chain_id" in lay:
            lay["shared_with"] = tuple(users.get(lay["chain_id"].value, ()))
    mount = _name_mount(found, b, store_root) if found is not None else None
    history, how = _history(ctx, state, b, image_id, len(image_layers)) if image is not None else ((), "")
    return LayerStack(driver=Sourced(driver, inspect_source(name, ".GraphDriver.Name") if container is not None
                                     else e.storage_driver.source),
                      store=store, store_root=store_root,
                      backing_fs=dict(e.driver_status).get("Backing Filesystem", ""),
                      graph=Sourced(tuple(sorted(graph.items())), gsrc), image_id=image_id,
                      image_ref=_tag(image, image_id) if image_id else "",
                      layers=_freeze(b), history=history, history_source=f"docker image history --no-trunc {_tag(image, image_id)}"
                      if history else "", history_matched=how, init_files=init_files, mount=mount,
                      mount_note=mount_note, notes=tuple(b.notes), metadata=metadata)


def _label_store(b: _Build, container: Container | None, image_layers: list[dict[str, Any]], chains: list[str],
                 store_root: str) -> str:
    """Label the layers from the store's own metadata and links; returns where that metadata is."""
    store, root = b.store, b.root
    metadata = ""
    try:
        if store == "overlay2":
            top = chains[-1] if chains else ""
            if container is not None:
                ids = layerdb_mount(b.at(b.image_root), container.id)
                if ids is not None:
                    mount_id, init_id, top = ids
                    for lay in b.layers:
                        if lay["role"] == "rw" and lay["dir_id"] != mount_id:
                            lay["problems"].append(f"layerdb mount-id is {mount_id[:12]}…")
                        if lay["role"] == "init" and lay["dir_id"] != init_id:
                            lay["problems"].append(f"layerdb init-id is {init_id[:12]}…")
            if top:
                metadata = _label_overlay2(b, image_layers, top, chains)
        elif store == "podman":
            metadata = _label_podman(b, image_layers)
        if store != "containerd":
            _label_links(b, store_root)
    except PermissionError:
        b.notes.append(f"needs root: {root} is readable by root only — the stack comes from docker inspect; "
                       "cache IDs, l/ links, lower files and layer sizes need root")
    return metadata


def _containerd_dirs(found: _Found | None, b: _Build, image: bool) -> tuple[str, list[str], str]:
    """The containerd store has no GraphDriver: the stack is the mount's (``lowerdir[0]`` the
    ``-init`` snapshot, then the image top to bottom; relative entries under ``snapshots/``)."""
    if found is None:
        b.notes.append("containerd image store: each layer's snapshot is named in containerd's bbolt "
                       "databases; this app finds them in a container's overlay mount"
                       + ("" if image else ", which exists only while it runs"))
        return "", [], ""
    m = overlay_mount(found.line, found.mountinfo, "", {})

    def snap(p: str) -> str:
        return os.path.dirname(p.rstrip("/")) if p.rstrip("/").endswith("/fs") else p

    return snap(m.upperdir), [snap(x.path) for x in m.lowerdir], os.path.dirname(snap(m.upperdir))


@dataclass(frozen=True)
class _Found:
    line: MountLine
    mountinfo: str
    read_only: bool = False


def _find_mount(ctx: Context, c: Container | None, store: str, root: str) -> tuple[_Found | None, str]:
    """The container's root overlay: at ``/`` in its init's mountinfo (whether it sees it
    read-only), shown from the host's mountinfo where the host has it at MergedDir (rootful
    Docker, Podman; the containerd store's ``rootfs/overlayfs/<id>``). Rootless engines mount it
    in their own mount namespace only."""
    if c is None:
        return None, "an image is not mounted: MergedDir exists only for a container that runs"
    if not c.live or c.pid.value <= 0:
        return None, f"{c.state.value or 'not running'}: no overlay mount (merged/ is mounted only while " \
                     "the container runs); the layers stay on disk"
    own = f"/proc/{c.pid.value}/mountinfo"
    try:
        inside = next((m for m in parse_mountinfo(_read(ctx, own)) if m.mount_point == "/" and is_overlay(m.fstype)),
                      None)
    except OSError as exc:
        return None, f"cannot read {own}: {exc.strerror or exc}"
    if inside is None:
        return None, f"no overlay mounted at / in {own}"
    ro = "ro" in inside.mount_options.split(",")
    graph = dict(c.detail.graph_data) if c.detail is not None else {}
    merged = graph.get("MergedDir") or (os.path.join(root, "rootfs", "overlayfs", c.id) if store == "containerd" else "")
    try:
        host = next((m for m in parse_mountinfo(_read(ctx, "/proc/self/mountinfo"))
                     if merged and m.mount_point == merged and is_overlay(m.fstype)), None)
    except OSError:
        host = None
    return (_Found(host, "/proc/self/mountinfo", ro) if host is not None else _Found(inside, own, ro)), ""


def _read(ctx: Context, path: str) -> str:
    with open(ctx.paths.host(path), encoding="utf-8", errors="replace") as f:
        return f.read()


def _name_mount(found: _Found, b: _Build, store_root: str) -> OverlayMount:
    """Resolve the mount's entries and name each with its layer; check the order matches the stack."""
    names: dict[str, str] = {}
    for lay in b.layers:
        key = lay["role"] if lay["role"] != "image" else f"image:{lay['position']}"
        d = lay["directory"].value
        names[os.path.join(d, "fs" if b.store == "containerd" else "diff")] = key
        short = lay.get("short")
        if short is not None:
            names[os.path.join(store_root, "l", short.value)] = key
    mount = overlay_mount(found.line, found.mountinfo, store_root, names, found.read_only)
    if found.line.fstype.startswith("fuse."):
        b.notes.append("fuse-overlayfs: mountinfo does not show a FUSE mount's layers (no lowerdir); "
                       "the stack comes from docker inspect")
        return mount
    want = [x["role"] if x["role"] != "image" else f"image:{x['position']}" for x in b.layers if x["role"] != "rw"]
    got = [e.layer for e in mount.lowerdir]
    if b.layers and got != want:
        b.notes.append("the mount's lowerdir does not name the stack's layers in order: "
                       + ", ".join(g or "?" for g in got))
    return mount


# ---------------------------------------------------------------- sources

def collect_layers(ctx: Context, state: SourceState) -> LayerStack:
    """The selected container's stack; with a :class:`SizeRequest`, its sizes (``layer_sizes``)."""
    c = ctx.selected
    if c is None or c.detail is None:
        raise Unavailable("waiting for docker inspect")
    stack = build_stack(ctx, state, dict(c.detail.graph_data), c.detail.image_id.value, c)
    return layer_sizes.apply(ctx, state, stack, c)


def collect_image(ctx: Context, state: SourceState) -> ImageDetail:
    """One image (on demand, from the Engine view): inspect essentials, stack, its containers."""
    req = ctx.arg
    if not isinstance(req, ImageRequest):
        raise Unavailable("no image asked for")
    if ctx.api is None:
        raise Unavailable("not connected to an engine")
    try:
        i = ctx.api.inspect_image(req.image_id)
    except docker.errors.NotFound:
        raise Unavailable(f"image {req.image_id.removeprefix('sha256:')[:12]} is gone") from None
    cfg = i.get("Config") or {}
    stack, why = None, ""
    try:
        stack = build_stack(ctx, state, dict((i.get("GraphDriver") or {}).get("Data") or {}), i.get("Id") or "")
    except Unavailable as exc:
        why = str(exc)
    users = tuple(sorted(c.name.value for c in ctx.containers
                         if c.detail is not None and c.detail.image_id.value == i.get("Id")))
    return ImageDetail(
        id=i.get("Id") or "", tags=tuple(i.get("RepoTags") or ()), digests=tuple(i.get("RepoDigests") or ()),
        created=str(i.get("Created") or ""),
        platform="/".join(x for x in (i.get("Os"), i.get("Architecture"), i.get("Variant")) if x),
        size=int(i.get("Size") or 0), entrypoint=tuple(cfg.get("Entrypoint") or ()), cmd=tuple(cfg.get("Cmd") or ()),
        env_names=tuple(str(v).split("=", 1)[0] for v in cfg.get("Env") or ()),
        ports=tuple(sorted((cfg.get("ExposedPorts") or {}).keys())), working_dir=str(cfg.get("WorkingDir") or ""),
        user=str(cfg.get("User") or ""), containers=users, stack=stack, stack_error=why,
        source=f"docker image inspect {req.image_id.removeprefix('sha256:')[:12]}")
