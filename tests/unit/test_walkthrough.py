"""The walkthrough's steps against the seed session and the README's table of them."""

from __future__ import annotations

import re
from pathlib import Path

from widgets.registry import PANES, find
from widgets.walkthrough import REGIONS, STEPS

ROOT = Path(__file__).resolve().parents[2]
SEED_REGIONS = ("Introduction", "Cgroups", "Namespaces", "Filesystem", "Runtime", "Cleanup")


def test_regions_are_the_seeds_in_its_order() -> None:
    assert REGIONS == SEED_REGIONS
    assert [s.region for s in STEPS] == sorted((s.region for s in STEPS), key=SEED_REGIONS.index)
    for s in STEPS:
        same = [x for x in STEPS if x.region == s.region]
        assert (s.in_region, s.region_size) == (same.index(s) + 1, len(same))


def test_every_step_points_at_a_registered_pane_and_a_row() -> None:
    ids = {p.PANE_ID for p in PANES} | {"list"}
    for s in STEPS:
        assert s.target.pane in ids, s.title
        assert (s.target.row is None) != (s.target.pick is None), f"{s.title}: a row or a pick, not both"
        pane = find(s.target.pane)
        assert s.target.table or (pane is not None and pane.PANE_ID in ("overview", "host-namespaces")), s.title
        assert s.says.endswith((".", ")")) and len(s.says) < 260, s.title


def test_the_readme_maps_every_step() -> None:
    readme = (ROOT / "README.md").read_text()
    rows = re.findall(r"^\| `(.+?)` \| (\d+)\. (\w+) — (.+?) \| (.+?) \|$", readme, re.M)
    assert [(int(n), region, title) for _, n, region, title, _ in rows] == \
        [(i, s.region, s.title) for i, s in enumerate(STEPS, 1)]
    for (seed, *_), s in zip(rows, STEPS):
        assert seed.replace("\\|", "|") == s.seed
