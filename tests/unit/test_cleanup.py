"""Prune candidates over answers recorded from the real engines here (rootful Docker 20.10,
rootless Docker 20.10, Podman 4.3; ``tests/fixtures/cleanup/<engine>.json``).

Each recording holds the engine's answers to the collector's calls (``/system/df``,
``/containers/json?all=1``, ``/images/json``, the dangling image and volume lists, ``/networks``
and the inspects) taken right after the integration fixture made labelled objects of every
role, and then what each real prune, filtered by that label, removed. The tests check that the
candidates computed from the answers are exactly what the engine then removed.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from rich.text import Text

from tui.backend.cleanup import ANONYMOUS_LABEL, api_at_least, disk_usage_from_api
from tui.backend.model import Sourced
from tui.backend.model.cleanup import DiskObject, DiskTotal, DiskUsage, label_matches
from tui.backend.serial import from_jsonable, to_jsonable
from widgets.cleanup import percent, prune_detail

RECORDINGS = Path(__file__).resolve().parent.parent / "fixtures" / "cleanup"
ENGINES = ("docker", "rootless", "podman")


def load(engine: str) -> dict[str, Any]:
    return json.loads((RECORDINGS / f"{engine}.json").read_text())


def usage_from(rec: dict[str, Any], api_version: str | None = None) -> DiskUsage:
    return disk_usage_from_api(rec["df"], rec["containers"], rec["dangling"], rec["volumes"], rec["networks"],
                               rec["inspected"], rec["images"], api_version=api_version or rec["api_version"],
                               product=rec["product"])


def ids(usage: DiskUsage, kind: str, label: str) -> set[str]:
    return {o.id for o in usage.candidates(kind, label)}


@pytest.mark.parametrize("engine", ENGINES)
def test_prune_lists_only_what_the_engine_would_prune(engine: str) -> None:
    rec = load(engine)
    usage = usage_from(rec)
    label, made, pruned = rec["label"], rec["made"], rec["pruned"]
    assert ids(usage, "containers", label) == set(pruned["containers"])
    assert ids(usage, "volumes", label) == set(pruned["volumes"])
    names = {o.id: o.name for o in usage.objects if o.kind == "networks"}
    assert {names[n] for n in ids(usage, "networks", label)} == set(pruned["networks"])
    removed_images = {i.removeprefix("sha256:") for i in pruned["images"]}
    assert ids(usage, "images", label) == {made["images"]["dangling"]}
    assert made["images"]["dangling"] in removed_images
    assert made["images"]["dangling-used"] not in removed_images
    everywhere = {o.id for o in usage.objects if o.goes}
    assert made["containers"]["running"] not in everywhere
    assert made["containers"].get("paused", "") not in everywhere
    assert made["networks"]["used-running"] not in everywhere
    assert made["volumes"]["used-stopped"] not in everywhere


def test_network_of_a_stopped_container_follows_the_engine() -> None:
    """Docker prunes a network whose only container is stopped (no endpoint); Podman keeps it."""
    for engine, goes in (("docker", True), ("rootless", True), ("podman", False)):
        rec = load(engine)
        nid = rec["made"]["networks"]["used-stopped"]
        assert (nid in ids(usage_from(rec), "networks", rec["label"])) is goes, engine


def test_volume_prune_follows_the_api_version() -> None:
    """API ≥ 1.42 prunes only anonymous volumes: the named unused one stays, an anonymous one goes."""
    rec = load("docker")
    named = rec["made"]["volumes"]["unused"]
    assert named in ids(usage_from(rec), "volumes", rec["label"])
    newer = usage_from(rec, api_version="1.43")
    assert not newer.volumes_all
    assert named not in ids(newer, "volumes", rec["label"])
    assert "anonymous" in next(o for o in newer.objects if o.id == named).verdict.value
    anon = copy.deepcopy(rec)
    for v in [*anon["df"]["Volumes"], *anon["volumes"]]:
        if v["Name"] == named:
            v["Labels"] = {**(v.get("Labels") or {}), ANONYMOUS_LABEL: ""}
    assert named in ids(usage_from(anon, api_version="1.43"), "volumes", rec["label"])
    assert usage_from(load("podman"), api_version="1.43").volumes_all  # Podman prunes every unused one


def test_totals_as_docker_system_df() -> None:
    rec = load("docker")
    usage = usage_from(rec)
    images = usage.total("images")
    assert images is not None and images.size.value == rec["df"]["LayersSize"]
    assert images.total == len(rec["df"]["Images"])
    cons = usage.total("containers")
    assert cons is not None and cons.total == len(rec["containers"])
    assert cons.active == sum(1 for c in rec["containers"] if c["State"] in ("running", "paused", "restarting"))
    assert all(t.size.source == "docker system df" for t in usage.totals if t.kind != "networks")
    assert all(o.size.source and o.verdict.source for o in usage.objects)


def test_podman_df_gaps_are_handled() -> None:
    """Podman's df has no LayersSize, SharedSize or labels, and garbled tags: the image list fills
    names and labels in, the sum of sizes stands for the total, and nothing is negative."""
    usage = usage_from(load("podman"))
    images = usage.total("images")
    assert images is not None and images.size.value and images.size.value > 0
    assert images.reclaimable.value is not None and images.reclaimable.value >= 0
    assert any("itui/mini:latest" in o.name for o in usage.of_kind("images"))
    assert usage.notes
    bare = disk_usage_from_api({"Images": [{"Id": "x"}], "Containers": None, "Volumes": [{"Name": "v"}]},
                               [], [], [], [], {}, api_version="")
    assert bare.total("images") is not None
    assert next(o for o in bare.objects if o.kind == "volumes").size.value is None


def test_disk_usage_round_trips_through_json() -> None:
    usage = usage_from(load("rootless"))
    assert from_jsonable(DiskUsage, json.loads(json.dumps(to_jsonable(usage)))) == usage


def test_label_selector_and_percent() -> None:
    labels = (("a", "1"), ("b", "x=y"))
    assert label_matches(labels, "") and label_matches(labels, "a") and label_matches(labels, "a=1")
    assert label_matches(labels, "b=x=y") and not label_matches(labels, "a=2") and not label_matches(labels, "c")
    assert percent(50, 200) == " (25%)" and percent(1, 3) == " (33%)" and percent(5, 0) == ""
    assert api_at_least("1.42", (1, 42)) and not api_at_least("1.41", (1, 42)) and not api_at_least("", (1, 42))


def test_prune_detail_lists_each_object_its_size_and_the_total_inert() -> None:
    hostile = "evil[bold]x[/]\x1b[31m"
    usage = DiskUsage(
        totals=(DiskTotal("containers", 2, 0, Sourced(3072, "docker system df"), Sourced(3072, "docker system df")),),
        objects=(DiskObject("containers", "a" * 64, hostile, Sourced(2048, "docker system df -v"), True,
                            Sourced("stopped", "docker ps -a")),
                 DiskObject("containers", "b" * 64, "kept", Sourced(1024, "docker system df -v"), False,
                            Sourced("running", "docker ps -a"))),
        api_version="1.41", volumes_all=True)
    lines = prune_detail(usage, "containers")
    assert len(lines) == 2
    assert lines[0].startswith("evil[bold]x[/]\\x1b[31m") and "2.0 KiB" in lines[0] and "aaaaaaaaaaaa" in lines[0]
    assert lines[1] == "total: 1 container, 2.0 KiB"
    assert Text(lines[0]).plain == lines[0]
