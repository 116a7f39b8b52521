"""Cleanup against the real engines: the prune candidates are exactly what the engine's prune
then removes, and running, paused or used objects are never listed.

Every object made here carries ``internals-tui.test=1`` and a label of this run only
(``internals-tui.cleanup=<hex>``); every prune runs through the app's own action path
(``run_action``) filtered by that label, so nothing another user or test made is touched.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import docker.errors
import pytest

from tui.backend import docker_api
from tui.backend.actions import run_action
from tui.backend.cleanup import collect_disk_usage
from tui.backend.collect import Context, SourceState
from tui.backend.model.actions import Action
from tui.backend.model.cleanup import PRUNE_VERBS, DiskUsage
from tui.backend.procfs import HostPaths

from conftest import TEST_IMAGE, TEST_LABEL, Engine

pytestmark = pytest.mark.engine
RUN_KEY = "internals-tui.cleanup"


@dataclass
class Made:
    """What one test made on its engine, by role, and the label that selects only it."""

    label: str
    containers: dict[str, str] = field(default_factory=dict)
    images: dict[str, str] = field(default_factory=dict)
    networks: dict[str, str] = field(default_factory=dict)
    volumes: dict[str, str] = field(default_factory=dict)
    paused: bool = False


def usage_of(engine: Engine) -> DiskUsage:
    """One run of the ``disk_usage`` collector on ``engine``, as the hub would run it."""
    api = engine.client.api
    info = docker_api.engine_from_api(engine.host, api.version(), api.info())
    ctx = Context(paths=HostPaths(), interval=1.0, endpoint=engine.host, api=api, engine=info)
    return collect_disk_usage(ctx, SourceState())


def _commit(api: Any, container: str, repo: str, tag: str, labels: dict[str, str]) -> str:
    changes = [f"LABEL {k}={v}" for k, v in labels.items()]
    return str(api.commit(container, repository=repo, tag=tag, changes=changes)["Id"]).removeprefix("sha256:")


@pytest.fixture
def made(engine: Engine) -> Iterator[Made]:
    """Labelled objects of every kind and role; whatever the test leaves is removed after it."""
    api = engine.client.api
    run = uuid.uuid4().hex[:10]
    labels = {**TEST_LABEL, RUN_KEY: run}
    m = Made(f"{RUN_KEY}={run}")
    name = f"itui-clean-{run}"

    def container(role: str, start: bool, **host: Any) -> str:
        cid = api.create_container(TEST_IMAGE, ["sleep", "100000"], name=f"{name}-{role}", labels=labels,
                                   host_config=api.create_host_config(**host))["Id"]
        m.containers[role] = cid
        if start:
            api.start(cid)
        return str(cid)

    try:
        for role in ("unused", "used-running", "used-stopped"):
            m.networks[role] = api.create_network(f"{name}-{role}", labels=labels)["Id"]
        for role in ("unused", "used-stopped"):
            m.volumes[role] = api.create_volume(f"{name}-{role}", labels=labels)["Name"]
        container("running", True, network_mode=f"{name}-used-running")
        container("exited", True)
        api.kill(m.containers["exited"])
        container("created", False, network_mode=f"{name}-used-stopped",
                  binds={m.volumes["used-stopped"]: {"bind": "/data", "mode": "rw"}})
        paused = container("paused", True)
        try:
            api.pause(paused)
            m.paused = True
        except docker.errors.APIError:  # rootless Docker on cgroup v1 has no freezer: no pause
            api.remove_container(paused, force=True, v=True)
            del m.containers["paused"]
        repo = f"itui/cleanup-{run}"
        m.images["dangling"] = _commit(api, m.containers["exited"], repo, "a", labels)
        _commit(api, m.containers["exited"], repo, "a", labels)  # takes the tag: the first is dangling
        m.images["dangling-used"] = _commit(api, m.containers["exited"], repo, "b", labels)
        user = api.create_container(m.images["dangling-used"], ["true"], name=f"{name}-image-user", labels=labels)
        m.containers["image-user"] = user["Id"]
        _commit(api, m.containers["exited"], repo, "b", labels)  # "dangling-used" is dangling, and used
        yield m
    finally:
        for cid in m.containers.values():
            try:
                api.remove_container(cid, force=True, v=True)
            except docker.errors.APIError:
                pass
        for im in api.images(filters={"label": m.label}, all=True):
            try:
                api.remove_image(im["Id"], force=True)
            except docker.errors.APIError:
                pass
        for nid in m.networks.values():
            try:
                api.remove_network(nid)
            except docker.errors.APIError:
                pass
        for vol in m.volumes.values():
            try:
                api.remove_volume(vol, force=True)
            except docker.errors.APIError:
                pass


def _ids(usage: DiskUsage, kind: str, label: str) -> set[str]:
    return {o.id for o in usage.candidates(kind, label)}


def test_candidates_never_list_what_is_in_use(engine: Engine, made: Made) -> None:
    """Running and paused containers, tagged or used images, networks with a running container
    and volumes a container mounts are never candidates; the unused ones are."""
    usage = usage_of(engine)
    assert _ids(usage, "containers", made.label) == {made.containers["exited"], made.containers["created"],
                                                    made.containers["image-user"]}
    assert made.containers["running"] not in _ids(usage, "containers", "")
    if made.paused:
        assert made.containers["paused"] not in _ids(usage, "containers", "")
    assert _ids(usage, "images", made.label) == {made.images["dangling"]}
    assert made.networks["unused"] in _ids(usage, "networks", made.label)
    assert made.networks["used-running"] not in _ids(usage, "networks", "")
    assert made.volumes["used-stopped"] not in _ids(usage, "volumes", "")
    if usage.volumes_all:
        assert _ids(usage, "volumes", made.label) == {made.volumes["unused"]}
    kept = {o.id: o for o in usage.objects}
    assert "running" in kept[made.containers["running"]].verdict.value
    assert "container" in kept[made.images["dangling-used"]].verdict.value
    assert all(o.size.source for o in usage.objects)
    assert {t.kind for t in usage.totals} == {"images", "containers", "volumes", "build-cache", "networks"}


def test_prune_removes_exactly_the_candidates(engine: Engine, made: Made) -> None:
    """Each prune, filtered by this run's label and run through the app's action path, removes
    exactly the candidates listed before it (images, networks and volumes first: a container
    prune would free what they use)."""
    usage = usage_of(engine)
    api = engine.client.api
    ctx = Context(paths=HostPaths(), interval=1.0, endpoint=engine.host, api=api)
    removed: dict[str, set[str]] = {}
    for kind in ("images", "networks", "volumes", "containers"):
        result = run_action(Context(**{**ctx.__dict__, "arg": Action(PRUNE_VERBS[kind], arg=made.label)}),
                            SourceState())
        assert result.ok, result.message
        removed[kind] = {line for line in result.output.splitlines() if line}
    assert {i.removeprefix("sha256:") for i in removed["images"]} >= _ids(usage, "images", made.label)
    left = {i["Id"].removeprefix("sha256:") for i in api.images(filters={"label": made.label}, all=True)}
    assert _ids(usage, "images", made.label).isdisjoint(left)
    assert made.images["dangling-used"] in left
    names = {o.id: o.name for o in usage.objects if o.kind == "networks"}
    assert removed["networks"] == {names[n] for n in _ids(usage, "networks", made.label)}
    assert removed["volumes"] == _ids(usage, "volumes", made.label)
    assert removed["containers"] == _ids(usage, "containers", made.label)
    alive = {c["Id"] for c in api.containers(all=True, filters={"label": made.label})}
    assert made.containers["running"] in alive
    if made.paused:
        assert made.containers["paused"] in alive
