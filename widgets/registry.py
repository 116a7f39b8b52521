"""The pane registry: every pane the app shows, one line each.

Tab numbers are fixed for users (DESIGN.md §1); only registered panes appear, in key order.
"""

from __future__ import annotations

from widgets.cgroups import CgroupsPane
from widgets.engine import EngineView
from widgets.events import EventsPane
from widgets.files import FilesPane
from widgets.host_cgroups import HostCgroupsView
from widgets.host_network import HostNetworkView
from widgets.host_namespaces import HostNamespacesView
from widgets.host_processes import HostProcessesView
from widgets.layers import LayersPane
from widgets.logs import LogsPane
from widgets.overview import OverviewPane
from widgets.namespaces import NamespacesPane
from widgets.network import NetworkPane
from widgets.pane import Pane
from widgets.processes import ProcessesPane

TAB_KEYS: dict[str, str] = {
    "overview": "1", "processes": "2", "namespaces": "3", "cgroups": "4",
    "network": "5", "layers": "6", "files": "7", "events": "8", "logs": "9",
}

PANES: tuple[type[Pane], ...] = (
    OverviewPane,
    ProcessesPane,
    NamespacesPane,
    CgroupsPane,
    NetworkPane,
    LayersPane,
    FilesPane,
    EventsPane,
    LogsPane,
    EngineView,
    HostProcessesView,
    HostNamespacesView,
    HostCgroupsView,
    HostNetworkView,
)


def tabs() -> list[type[Pane]]:
    """The per-container panes, in tab order."""
    return sorted((p for p in PANES if not p.SCREEN), key=lambda p: p.KEY)


def find(name: str) -> type[Pane] | None:
    """A pane by id or title, any case (``--tab events``, ``--tab Engine``)."""
    name = name.strip().lower()
    for p in PANES:
        if name in (p.PANE_ID, p.TITLE.lower()):
            return p
    return None
