"""Disk use and prune candidates: ``docker system df -v``, and what each prune would remove.

One ``/system/df`` call gives the sizes. Which objects a prune would remove is decided the way
the engine decides it, from the engine's own lists (there is no dry run in the API):

- ``container prune``: every container that is not running, paused or restarting (created,
  exited, dead);
- ``image prune``: dangling images (``docker images -f dangling=true``: untagged, no child)
  that no container, in any state, was made from;
- ``network prune``: local, non-predefined networks (never bridge, host, none, default,
  ingress, nor Podman's ``podman``) that the engine shows no container on (Docker: running
  endpoints; Podman: any container attached, stopped too, as its prune counts them);
- ``volume prune``: unused local volumes (``docker volume ls -f dangling=true``) that no
  container mounts; with API ≥ 1.42 (Docker 23+) only anonymous ones
  (label ``com.docker.volume.anonymous``), since the engine adds ``all=true`` only for older
  API versions. Podman removes every unused one.

Cost: ``/system/df`` sizes every container's writable layer and walks every volume, so it runs
when the Engine view opens, on Docker events that change what it counts, and once a minute.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from typing import Any

import docker.errors

from .collect import Context, SourceState, Unavailable
from .model import Sourced
from .model.cleanup import DiskObject, DiskTotal, DiskUsage

EVERY_S = 60.0
"""Seconds between refreshes while the Engine view is open (events refresh it sooner)."""
EVENTS = frozenset({
    "container:create", "container:start", "container:die", "container:destroy", "container:pause",
    "container:unpause", "container:rename", "container:commit", "image", "volume", "network",
})
"""Docker events that change what df counts or what a prune would take (never exec or health
checks: those come every few seconds on a busy host)."""

DF = "docker system df"
DF_V = "docker system df -v"
STOPPED_STATES = frozenset({"created", "exited", "dead"})
"""What ``container prune`` removes: every container that is not running (Docker's
``IsRunning`` is also true while paused or restarting)."""
ACTIVE_STATES = frozenset({"running", "paused", "restarting"})
"""What ``docker system df`` counts as active containers."""
PREDEFINED_NETWORKS = frozenset({"bridge", "host", "none", "default", "ingress"})
"""Networks ``network prune`` never removes (``runconfig.IsPreDefinedNetwork``)."""
PODMAN_DEFAULT_NETWORK = "podman"
ANONYMOUS_LABEL = "com.docker.volume.anonymous"
"""Set by Docker 23+ on volumes made without a name; ``volume prune`` takes only these at API ≥ 1.42."""

SRC_CONTAINERS = "docker ps -a --filter status=created --filter status=exited --filter status=dead"
SRC_IMAGES = "docker images --filter dangling=true"
SRC_VOLUMES = "docker volume ls --filter dangling=true"
SRC_NETWORKS = "docker network ls"


def collect_disk_usage(ctx: Context, state: SourceState) -> DiskUsage:
    """``docker system df -v`` and each prune's candidates, from the engine's API only."""
    api = ctx.api
    if api is None:
        raise Unavailable("not connected to an engine")
    product = ctx.engine.product if ctx.engine is not None else "Docker"
    try:
        t0 = time.perf_counter()
        df = api.df()
        took = time.perf_counter() - t0
        containers = api.containers(all=True)
        images = api.images()
        dangling = api.images(filters={"dangling": True})
        volumes = (api.volumes(filters={"dangling": True}) or {}).get("Volumes") or []
        networks = api.networks()
        inspected: dict[str, Any] = {}
        for n in networks:
            if not _never_pruned(n, product) and not n.get("Containers"):
                try:
                    inspected[n["Id"]] = api.inspect_network(n["Id"])
                except docker.errors.NotFound:  # removed since the list: nothing to prune
                    continue
    except docker.errors.APIError as exc:
        raise RuntimeError(f"{DF_V}: {exc.explanation or exc}") from exc
    return disk_usage_from_api(df, containers, dangling, volumes, networks, inspected, images,
                               api_version=str(getattr(api, "api_version", "") or ""), product=product,
                               df_seconds=took)


def api_at_least(version: str, want: tuple[int, int]) -> bool:
    """Whether an API version string (``1.41``) is at least ``want``."""
    try:
        major, minor = (int(p) for p in version.split(".")[:2])
    except ValueError:
        return False
    return (major, minor) >= want


def _id(raw: str | None) -> str:
    """An image or object ID without the ``sha256:`` prefix (Podman's df gives none)."""
    return (raw or "").removeprefix("sha256:")


def _labels(raw: Mapping[str, str] | None) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((str(k), str(v)) for k, v in (raw or {}).items()))


def _size(raw: Any) -> int | None:
    """A size from the API: None when absent or ``-1`` (not computed)."""
    return raw if isinstance(raw, int) and raw >= 0 else None


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _never_pruned(n: Mapping[str, Any], product: str) -> str:
    """Why ``network prune`` never takes this network ("" when it may)."""
    name = n.get("Name") or ""
    if name in PREDEFINED_NETWORKS or (product == "Podman" and name == PODMAN_DEFAULT_NETWORK):
        return "predefined network"
    if n.get("Ingress"):
        return "ingress network"
    if (n.get("Scope") or "local") != "local":
        return f"{n.get('Scope')}-scoped network (pruned by the swarm manager)"
    return ""


def disk_usage_from_api(df: Mapping[str, Any], containers: Iterable[Mapping[str, Any]],
                        dangling: Iterable[Mapping[str, Any]], volumes: Iterable[Mapping[str, Any]],
                        networks: Iterable[Mapping[str, Any]], inspected: Mapping[str, Mapping[str, Any]],
                        images: Iterable[Mapping[str, Any]] = (), api_version: str = "", product: str = "Docker", df_seconds: float = 0.0) -> DiskUsage:
    """The model from the engine's answers (``/system/df``, ``/containers/json?all=1``,
    ``/images/json?dangling``, ``/volumes?dangling``, ``/networks``, the inspect of the
    networks that may go, and ``/images/json`` for tags and labels, which Podman's df garbles):
    pure, so recorded answers test it."""
    containers = list(containers)
    notes: list[str] = []
    image_users: dict[str, int] = {}
    volume_users: dict[str, int] = {}
    for c in containers:
        iid = _id(c.get("ImageID"))
        image_users[iid] = image_users.get(iid, 0) + 1
        for m in c.get("Mounts") or ():
            if m.get("Type") == "volume" and m.get("Name"):
                volume_users[m["Name"]] = volume_users.get(m["Name"], 0) + 1

    objects: list[DiskObject] = []
    objects += _containers(df, containers)
    objects += _images(df, dangling, image_users, {_id(i.get("Id")): i for i in images})
    volumes_all = product == "Podman" or not api_at_least(api_version, (1, 42))
    objects += _volumes(df, volumes, volume_users, volumes_all)
    objects += _networks(networks, inspected, product)
    objects += _build_cache(df)
    if product == "Podman":
        notes.append("Podman's df gives no shared image sizes and no labels: sizes per image include shared layers")
    totals = _totals(df, objects, containers)
    return DiskUsage(tuple(totals), tuple(objects), api_version, volumes_all, df_seconds, tuple(notes))


def _containers(df: Mapping[str, Any], containers: list[Mapping[str, Any]]) -> list[DiskObject]:
    sizes = {c.get("Id"): c for c in df.get("Containers") or ()}
    out = []
    for c in containers:
        state = (c.get("State") or "").lower()
        sized = sizes.get(c.get("Id")) or {}
        size = _size(sized.get("SizeRw", 0 if sized else None))
        goes = state in STOPPED_STATES
        why = "stopped" if goes else f"{state or 'unknown state'}: prune takes only stopped containers"
        names = c.get("Names") or []
        out.append(DiskObject(
            "containers", c.get("Id") or "", (names[0] if names else "").lstrip("/"), Sourced(size, DF_V), goes,
            Sourced(why, SRC_CONTAINERS), detail=c.get("Status") or state, labels=_labels(c.get("Labels")),
            created=float(c.get("Created") or 0)))
    return out


def _images(df: Mapping[str, Any], dangling: Iterable[Mapping[str, Any]], users: Mapping[str, int],
            listed_all: Mapping[str, Mapping[str, Any]]) -> list[DiskObject]:
    dangling_ids = {_id(d.get("Id")): d for d in dangling}
    out = []
    seen: set[str] = set()
    for im in [*(df.get("Images") or ()), *(d for i, d in dangling_ids.items())]:
        iid = _id(im.get("Id"))
        if iid in seen:
            continue
        seen.add(iid)
        listed = dangling_ids.get(iid)
        size, shared = _size(im.get("Size")), _size(im.get("SharedSize"))
        unique = size - shared if size is not None and shared is not None else size
        n = max(users.get(iid, 0), im.get("Containers") if isinstance(im.get("Containers"), int) else 0)
        names = listed_all.get(iid) or listed or im
        tags = [t for t in names.get("RepoTags") or () if t and t != "<none>:<none>"]
        digests = [d for d in names.get("RepoDigests") or () if d and d != "<none>@<none>"]
        if listed is None:
            goes, why = False, "tagged: image prune takes only dangling images" if tags else \
                "not dangling (it has child images)"
        elif n:
            goes, why = False, f"dangling, but {_plural(n, 'container')} made from it"
        else:
            goes, why = True, "dangling: untagged, no container uses it"
        labels = _labels(names.get("Labels") or im.get("Labels"))
        name = ", ".join(tags) or (f"<none> ({digests[0].split('@', 1)[0]})" if digests else "<none>")
        out.append(DiskObject("images", iid, name, Sourced(unique, DF_V), goes, Sourced(why, SRC_IMAGES),
                              detail=f"{_plural(n, 'container')}", shared=shared, users=n, labels=labels,
                              created=float(im.get("Created") or 0)))
    return out


def _volumes(df: Mapping[str, Any], dangling: Iterable[Mapping[str, Any]], users: Mapping[str, int],
             all_unused: bool) -> list[DiskObject]:
    dangling_names = {v.get("Name"): v for v in dangling}
    source = SRC_VOLUMES if all_unused else f"{SRC_VOLUMES} --filter label={ANONYMOUS_LABEL}"
    out = []
    for v in df.get("Volumes") or ():
        name = v.get("Name") or ""
        usage = v.get("UsageData") or {}
        refs = usage.get("RefCount") if isinstance(usage.get("RefCount"), int) else 0
        n = max(refs, users.get(name, 0))
        listed = dangling_names.get(name)
        labels = _labels(v.get("Labels") or (listed or {}).get("Labels"))
        anonymous = any(k == ANONYMOUS_LABEL for k, _ in labels)
        scope = v.get("Scope") or "local"
        if scope != "local":
            goes, why = False, f"{scope}-scoped: volume prune takes only local volumes"
        elif n or listed is None:
            goes, why = False, f"used by {_plural(max(n, 1), 'container')}"
        elif not all_unused and not anonymous:
            goes, why = False, "named: at API ≥ 1.42 volume prune takes only anonymous volumes (--all: all)"
        else:
            goes, why = True, "unused"
        out.append(DiskObject("volumes", name, name, Sourced(_size(usage.get("Size")), DF_V), goes,
                              Sourced(why, source), detail=v.get("Driver") or "", users=n, labels=labels,
                              created=0.0))
    return out


def _networks(networks: Iterable[Mapping[str, Any]], inspected: Mapping[str, Mapping[str, Any]],
              product: str) -> list[DiskObject]:
    out = []
    for n in networks:
        nid, name = n.get("Id") or "", n.get("Name") or ""
        attached = n.get("Containers") or (inspected.get(nid) or {}).get("Containers") or {}
        never = _never_pruned(n, product)
        if never:
            goes, why, src = False, never, SRC_NETWORKS
        elif attached:
            goes, why, src = False, f"{_plural(len(attached), 'container')} attached", \
                f"docker network inspect -f '{{{{json .Containers}}}}' {name}"
        elif nid not in inspected:
            continue  # removed between the list and its inspect
        else:
            goes, why, src = True, "no container attached", \
                f"docker network inspect -f '{{{{json .Containers}}}}' {name}"
        out.append(DiskObject("networks", nid, name, Sourced(None, SRC_NETWORKS), goes, Sourced(why, src),
                              detail=n.get("Driver") or "", users=len(attached), labels=_labels(n.get("Labels"))))
    return out


def _build_cache(df: Mapping[str, Any]) -> list[DiskObject]:
    out = []
    for b in df.get("BuildCache") or ():
        why = "in use" if b.get("InUse") else "shared" if b.get("Shared") else "unused"
        out.append(DiskObject("build-cache", b.get("ID") or "", b.get("Description") or b.get("Type") or "",
                              Sourced(_size(b.get("Size")), DF_V), False,
                              Sourced(f"{why}: docker builder prune (not offered here)", DF_V),
                              detail=b.get("Type") or "", users=int(b.get("UsageCount") or 0)))
    return out


def _totals(df: Mapping[str, Any], objects: list[DiskObject],
            containers: list[Mapping[str, Any]]) -> list[DiskTotal]:
    """``docker system df``'s rows, computed as the docker CLI computes them."""
    def kind(k: str) -> list[DiskObject]:
        return [o for o in objects if o.kind == k]

    images = df.get("Images") or ()
    layers = _size(df.get("LayersSize"))
    if not layers:  # Podman answers 0: the sum of image sizes is the closest figure it gives
        layers = sum(_size(i.get("Size")) or 0 for i in images)
    used = sum((_size(i.get("Size")) or 0) - (_size(i.get("SharedSize")) or 0)
               for i in images if isinstance(i.get("Containers"), int) and i["Containers"] > 0)
    image_objs = [o for o in kind("images") if any(_id(i.get("Id")) == o.id for i in images)]
    out = [DiskTotal("images", len(image_objs), sum(1 for o in image_objs if o.users),
                     Sourced(layers, DF), Sourced(max(0, layers - used), DF))]

    cons = kind("containers")
    active = {c.get("Id") for c in containers if (c.get("State") or "").lower() in ACTIVE_STATES}
    out.append(DiskTotal("containers", len(cons), len(active),
                         Sourced(sum(o.size.value or 0 for o in cons), DF),
                         Sourced(sum(o.size.value or 0 for o in cons if o.id not in active), DF)))

    vols = kind("volumes")
    out.append(DiskTotal("volumes", len(vols), sum(1 for o in vols if o.users),
                         Sourced(sum(o.size.value or 0 for o in vols), DF),
                         Sourced(sum(o.size.value or 0 for o in vols if not o.users), DF)))

    cache = df.get("BuildCache") or ()
    size = sum(_size(b.get("Size")) or 0 for b in cache if not b.get("Shared"))
    in_use = sum(_size(b.get("Size")) or 0 for b in cache if b.get("InUse") and not b.get("Shared"))
    builder = _size(df.get("BuilderSize"))
    out.append(DiskTotal("build-cache", len(cache), sum(1 for b in cache if b.get("InUse")), Sourced(size, DF),
                         Sourced(max(0, (builder if builder else size) - in_use), DF)))

    nets = kind("networks")
    out.append(DiskTotal("networks", len(nets), sum(1 for o in nets if o.users),
                         Sourced(None, SRC_NETWORKS), Sourced(None, SRC_NETWORKS)))
    return out
