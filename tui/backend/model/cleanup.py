"""The cleanup model: what the Engine view's Cleanup section shows.

``docker system df`` (totals per kind), ``docker system df -v`` (each object and its size), and,
for each object, whether the engine's own prune (``docker container prune``, ``docker image
prune``, ``docker network prune``, ``docker volume prune``) would remove it now, and why or why
not. Sizes are bytes; ``None`` is a size the engine did not give (a volume's ``-1``).
"""

from __future__ import annotations

from dataclasses import dataclass

from . import Sourced

PRUNE_KINDS = ("containers", "images", "networks", "volumes")
"""The kinds that have a prune here, in the order the section lists them."""

KIND_TITLES = {"images": "Images", "containers": "Containers", "volumes": "Local Volumes",
               "build-cache": "Build Cache", "networks": "Networks"}
"""Titles as ``docker system df`` prints them (networks: not in df, but they have a prune)."""

PRUNE_VERBS = {kind: f"prune-{kind}" for kind in PRUNE_KINDS}
"""The backend action (``tui/backend/actions.py``) that prunes each kind."""


def label_matches(labels: tuple[tuple[str, str], ...], selector: str) -> bool:
    """Whether ``labels`` pass a prune's ``--filter label=…`` (``key`` or ``key=value``)."""
    if not selector:
        return True
    key, eq, value = selector.partition("=")
    return any(k == key and (not eq or v == value) for k, v in labels)


@dataclass(frozen=True, slots=True)
class DiskObject:
    """One object of ``docker system df -v`` (or a network), and the prune's verdict on it."""

    kind: str
    """``containers``, ``images``, ``volumes``, ``networks`` or ``build-cache``."""
    id: str
    name: str
    """Container name, image tags (``<none>`` when dangling), volume or network name, or the
    build cache record's description: untrusted, shown inert."""
    size: Sourced[int | None]
    """What removing it frees: a container's writable layer (``SizeRw``), an image's unique
    size (``Size - SharedSize``), a volume's ``UsageData.Size``; None when unknown."""
    goes: bool
    """The engine's prune (no filter) would remove it now."""
    verdict: Sourced[str]
    """Why it goes or stays (``stopped``, ``tagged``, ``used by 2 containers``), and the list
    that decided it."""
    detail: str = ""
    """State, driver, or type: what ``-v`` prints beside the name."""
    shared: int | None = None
    """Images: bytes shared with other images (``SharedSize``)."""
    users: int = 0
    """Containers using it (images, volumes, networks)."""
    labels: tuple[tuple[str, str], ...] = ()
    created: float = 0.0


@dataclass(frozen=True, slots=True)
class DiskTotal:
    """One row of ``docker system df``, with what this kind's prune would remove now."""

    kind: str
    total: int
    active: int
    size: Sourced[int | None]
    reclaimable: Sourced[int | None]
    """As ``docker system df`` computes it (images: not in use by any container, tagged or not;
    more than ``image prune`` frees, which takes only dangling ones)."""


@dataclass(frozen=True, slots=True)
class DiskUsage:
    """The engine's disk use and what each prune would remove, as of one ``/system/df`` call."""

    totals: tuple[DiskTotal, ...]
    objects: tuple[DiskObject, ...]
    api_version: str
    """The API version this app talks (the engine applies that version's prune rules)."""
    volumes_all: bool
    """``volume prune`` removes every unused local volume (API < 1.42, Podman), not only
    anonymous ones (API ≥ 1.42 without ``--all``)."""
    df_seconds: float = 0.0
    """How long the engine took to answer ``/system/df`` (it walks layers and volumes)."""
    notes: tuple[str, ...] = ()
    """What this engine answers differently (Podman's df), said once under the table."""

    def total(self, kind: str) -> DiskTotal | None:
        return next((t for t in self.totals if t.kind == kind), None)

    def of_kind(self, kind: str) -> tuple[DiskObject, ...]:
        return tuple(o for o in self.objects if o.kind == kind)

    def candidates(self, kind: str, label: str = "") -> tuple[DiskObject, ...]:
        """What ``docker KIND prune`` (with ``--filter label=…`` if given) would remove."""
        return tuple(o for o in self.objects if o.kind == kind and o.goes and label_matches(o.labels, label))
