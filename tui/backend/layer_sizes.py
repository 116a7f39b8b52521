"""Sizes of the selected container's layers, counted on request (``u`` on the Layers tab).

``docker ps --size`` for the container (the engine walks its writable layer), beside ``du`` of
the writable layer, of the merged view and of each layer the store records no size for. The
walks advance a slice per run of the ``layers`` source (it asks to run again soon while one is
unfinished), so progress is published and a big layer never holds the source up.
"""

from __future__ import annotations

import os
import time
from dataclasses import replace
import docker

from .collect import Context, SourceState
from .model import Container, Sourced
from .model.layers import EngineSizes, LayerStack, SizeRequest
from .overlay import DirWalker

SLICE_S = 0.08
"""CPU a run may spend walking before it publishes its progress."""
AGAIN_S = 0.3


class _Sizing:
    """The sizes asked for one container (``u``): ``docker ps --size`` and ``du`` of its writable
    layer, of its merged view, and of each layer the store records no size for. Kept until
    asked again; the walks advance a slice per run."""

    def __init__(self, cid: str, seq: int) -> None:
        self.cid, self.seq = cid, seq
        self.walkers: list[DirWalker] = []
        self.engine: EngineSizes | None = None
        self.asked_at = time.time()


def _start_sizing(ctx: Context, stack: LayerStack, c: Container, req: SizeRequest,
                  before: _Sizing | None) -> _Sizing:
    """A new count; an image layer counted before is kept (image layers never change)."""
    sizing = _Sizing(c.id, req.seq)
    image_dirs = {os.path.join(lay.directory.value, "fs" if stack.store == "containerd" else "diff")
                  for lay in stack.layers if lay.role == "image"}
    kept = {w.path: w for w in before.walkers if w.done and not w.error and w.path in image_dirs} if before else {}
    try:
        items = ctx.api.containers(all=True, size=True, filters={"id": c.id}) if ctx.api is not None else []
    except docker.errors.APIError:
        items = []
    if items:
        it = items[0]  # the engine omits SizeRw when it is 0
        sizing.engine = EngineSizes(int(it.get("SizeRw") or 0), it.get("SizeRootFs"),
                                    f"docker ps --size --no-trunc --filter id={c.id}")
    root = stack.store_root
    at = ctx.paths.in_docker_root
    droot = ctx.engine.docker_root_dir.value if ctx.engine is not None else ""
    for lay in stack.layers:
        diff = os.path.join(lay.directory.value, "fs" if stack.store == "containerd" else "diff")
        if lay.role == "rw":
            sizing.walkers.append(DirWalker("writable layer (diff)", diff, at(diff, droot), f"du -s --apparent-size {diff}"))
        elif lay.size.value is None and root and lay.directory.value:
            sizing.walkers.append(kept.get(diff) or DirWalker(f"{lay.role} layer", diff, at(diff, droot),
                                                              f"du -s {diff}"))
    if c.live and c.pid.value > 0:
        merged = f"/proc/{c.pid.value}/root"
        sizing.walkers.append(DirWalker("merged view (the container's /)", merged, ctx.paths.host(merged),
                                        f"du -sx --apparent-size {merged}/"))
    return sizing


def apply(ctx: Context, state: SourceState, stack: LayerStack, c: Container) -> LayerStack:
    """``stack`` with the sizes asked for ``c`` so far: a new :class:`SizeRequest` (the source's
    argument) starts a count, each call walks on for a slice and, while a walk is unfinished,
    asks for the next run soon."""
    req = ctx.arg
    sizing: _Sizing | None = state.cache.get("sizing")
    if isinstance(req, SizeRequest) and req.cid == c.id and (sizing is None or sizing.seq != req.seq):
        sizing = state.cache["sizing"] = _start_sizing(ctx, stack, c, req, sizing)
    if sizing is None or sizing.cid != c.id:
        return stack
    left = [w for w in sizing.walkers if not w.done]
    for w in left:
        w.step(SLICE_S / len(left))
    if any(not w.done for w in sizing.walkers):
        state.next_in = AGAIN_S
    usage = {u.path: u for u in (w.usage() for w in sizing.walkers)}
    sub = "fs" if stack.store == "containerd" else "diff"
    layers = []
    for lay in stack.layers:  # a counted layer's size, where the store records none
        u = usage.get(os.path.join(lay.directory.value, sub))
        if u is not None and u.done and not u.error and lay.size.value is None:
            lay = replace(lay, size=Sourced(u.allocated if stack.store == "containerd" else u.apparent, u.source))
        layers.append(lay)
    return replace(stack, layers=tuple(layers), usage=tuple(usage.values()), engine_sizes=sizing.engine,
                   sizes_at=sizing.asked_at)
