"""The source registry: every collector the hub schedules, declared once.

Order matters only for one-shot collection (``internals-tui snapshot``), which runs them in
this order: a source comes after the ones whose values it reads. The engine connection and
the Docker events feed are the hub's own (``link.py``), not entries here.
"""

from __future__ import annotations

from . import (
    actions, cgroup_detail, cgroup_tree, cleanup, docker_api, files, fsview, layers, logs, metrics, namespaces, network,
    network_host, probe, processes, upper_watch,
)
from .collect import Source
from .model import ComponentVersion, Container, DiskFile, FileView, HostInfo, ImageInfo, Metrics
from .model.actions import ActionResult
from .model.cg import CgroupView, HostCgroups
from .model.cleanup import DiskUsage
from .model.fs import FilesView
from .model.layers import ImageDetail, LayerStack
from .model.logs import LogView
from .model.net import HostNetwork, NetView
from .model.ns import HostNamespaces, NamespaceSet
from .model.procs import HostProcesses, ProcDetail, ProcessTree

SOURCES: tuple[Source, ...] = (
    Source("host", probe.collect_host, HostInfo, needs_engine=False, always=True),
    Source("clients", docker_api.collect_clients, tuple[ComponentVersion, ...], needs_engine=False),
    Source("containers", docker_api.collect_containers, tuple[Container, ...], every=docker_api.RELIST_S,
           events=docker_api.CONTAINER_EVENTS, scope="containers", always=True),
    Source("access", probe.collect_access, HostInfo, after=("containers",), scope="containers", always=True),
    Source("metrics", metrics.collect_metrics, tuple[Metrics, ...], tick=True, after=("containers",),
           scope="containers", needs_local=True, always=True, samples=2),
    Source("images", docker_api.collect_images, tuple[ImageInfo, ...], events=frozenset({"image"})),
    Source("disk_usage", cleanup.collect_disk_usage, DiskUsage, every=cleanup.EVERY_S, events=cleanup.EVENTS),
    Source("disk_files", files.collect_disk_files, tuple[DiskFile, ...], every=2.0,
           events=docker_api.CONTAINER_EVENTS, scope="selected", needs_local=True),
    Source("file", files.collect_file, FileView, scope="selected", needs_local=True, on_demand=True),
    Source("processes", processes.collect_processes, ProcessTree, tick=True, scope="selected",
           events=frozenset({"container:start", "container:die", "container:exec_start", "container:exec_die",
                             "container:pause", "container:unpause"}),
           after=("containers",), needs_local=True, samples=2, watch=processes.ProcWatch),
    Source("host_processes", processes.collect_host_processes, HostProcesses, tick=True, after=("containers",),
           needs_engine=False, samples=2),
    Source("proc_detail", processes.collect_proc_detail, ProcDetail, needs_engine=False, on_demand=True),
    Source("namespaces", namespaces.collect_namespaces, NamespaceSet, tick=True, scope="selected",
           events=docker_api.CONTAINER_EVENTS, after=("containers",), needs_local=True),
    Source("host_namespaces", namespaces.collect_host_namespaces, HostNamespaces, tick=True, after=("containers",),
           needs_engine=False),
    Source("cgroup", cgroup_detail.collect_cgroup, CgroupView, tick=True, scope="selected",
           events=docker_api.CONTAINER_EVENTS, after=("containers",), needs_local=True, samples=2),
    Source("network", network.collect_network, NetView, every=network.REDUMP_S, scope="selected",
           events=docker_api.CONTAINER_EVENTS | {"network"}, after=("containers",), needs_local=True,
           watch=network.LinkWatch),
    Source("host_network", network_host.collect_host_network, HostNetwork, every=network.REDUMP_S,
           events=docker_api.CONTAINER_EVENTS | {"network"}, after=("containers",), needs_local=True,
           watch=network.LinkWatch),
    Source("network_inspect", network_host.collect_network_inspect, FileView, on_demand=True),
    Source("layers", layers.collect_layers, LayerStack, every=layers.EVERY_S, scope="selected",
           events=docker_api.CONTAINER_EVENTS, after=("containers", "images"), needs_local=True),
    Source("files", fsview.collect_files, FilesView, every=fsview.EVERY_S, scope="selected",
           events=docker_api.CONTAINER_EVENTS, after=("layers",), needs_local=True, watch=upper_watch.UpperWatch),
    Source("image", layers.collect_image, ImageDetail, on_demand=True, needs_local=True),
    Source("action", actions.run_action, ActionResult, on_demand=True),
    Source("logs", logs.collect_logs, LogView, tick=True, scope="selected", events=docker_api.CONTAINER_EVENTS,
           after=("containers",)),
    Source("host_cgroups", cgroup_tree.collect_host_cgroups, HostCgroups, tick=True, after=("containers",),
           needs_engine=False, samples=2),
)

VALUE_TYPES: dict[str, object] = {"engine": type(None), **{s.name: s.value_type for s in SOURCES}}
"""How to read each source's value back from a recorded snapshot (the hub's ``engine`` result
carries no value: the engine's description is the snapshot's ``engine``)."""
