"""The walkthrough's steps: the seed shell session (reference ``000_9fe7319a942930a8.txt``),
region by region, each tied to the pane row that answers it live.

A step names the seed's command, says in a sentence or two what it reveals, and points at
a pane and a row (:class:`Target`): the app shows that pane on the selected container with
the cursor on the row, whose footer is the command or file the value came from. Steps that
change something offer an action (``a``), confirmed and refused with ``--read-only``. A step
the host cannot show says why, and what the user would see on a host that can.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace

from tui.backend.model import Container, Snapshot
from tui.backend.model.actions import Action
from widgets.live_table import LiveTable

SnapFn = Callable[[Snapshot, "Container | None"], str]


@dataclass(frozen=True)
class Target:
    """Where the answer is: a pane (tab or view id), a table in it (CSS selector) and a row key
    computed from the snapshot and the container; ``columns`` are the cells shown as the answer."""

    pane: str
    table: str = ""
    row: Callable[[Snapshot, Container | None], str | None] | None = None
    pick: Callable[[LiveTable, Container | None], str | None] | None = None
    """Instead of ``row``: find the key among the table's rows (their order differs per engine)."""
    columns: tuple[str, ...] = ()

    def key(self, snap: Snapshot, c: Container | None, table: LiveTable) -> str | None:
        if self.row is not None:
            return self.row(snap, c)
        return self.pick(table, c) if self.pick is not None else None


def _pid(c: Container | None) -> str:
    return str(c.pid.value) if c is not None and c.pid.value else "$containerbash"


@dataclass(frozen=True)
class Step:
    """One step of the walkthrough."""

    region: str
    title: str
    seed: str
    """The command as the seed session ran it (with its shell variables)."""
    says: str
    target: Target
    concrete: SnapFn | None = None
    """The same command for the selected container (names, IDs and PIDs filled in)."""
    needs: str = "container"
    """``container`` (any), ``running``, ``local`` (host files: not API-only), ``running-local``, or ``""``."""
    action: Callable[[Snapshot | None, Container | None], Action | None] | None = None
    action_label: str = ""
    missing: str = "this pane has no such row for this container"
    in_region: int = 0
    region_size: int = 0

    def command(self, snap: Snapshot, c: Container | None) -> str:
        return self.concrete(snap, c) if self.concrete is not None and c is not None else self.seed

    def answer(self, cells: tuple[str, ...]) -> str:
        return "  ·  ".join(x for x in cells if x.strip()) or "(shown in the pane)"

    def unavailable(self, snap: Snapshot, c: Container | None) -> str:
        """Why the step cannot show its answer now ("" when it can)."""
        if snap.engine is None and self.needs:
            return "no engine: start one (the Engine view says how), then come back"
        if "container" in self.needs or "running" in self.needs:
            if c is None:
                return "no container selected: pick one in the list, or press a to start one like the seed's " \
                       "(docker run -dit --memory=256m --cpus=2, from a local image)"
        if "running" in self.needs and c is not None and not c.live:
            return f"{c.name.value} is {c.state.value}: this needs its processes (start it with x, s)"
        if "local" in self.needs and not snap.host.local:
            return f"API-only mode ({snap.host.local_reason}): the host's files are not readable from here"
        return ""


def _role(*roles: str) -> Callable[[Snapshot, Container | None], str | None]:
    """The Processes tree key of the container's process with one of ``roles`` (shim, init)."""
    def row(snap: Snapshot, c: Container | None) -> str | None:
        r = snap.result("processes")
        tree = r.value if r is not None and c is not None and r.key == c.id else None
        for p in getattr(tree, "procs", ()):
            if p.role in roles:
                return str(p.key)
        return None
    return row


def _runtime(label: str) -> Callable[[LiveTable, Container | None], str | None]:
    """The Processes runtime line whose label is ``label`` (their order differs per engine)."""
    return lambda t, c: next((k for k in t.ordered_keys if t.get_cell(k, "label").plain == label), None)


def _first(pattern: str) -> Callable[[LiveTable, Container | None], str | None]:
    rx = re.compile(pattern)
    return lambda t, c: next((k for k in t.ordered_keys if rx.fullmatch(k)), None)


def _own_cgroup(t: LiveTable, c: Container | None) -> str | None:
    """The host cgroup tree's row of the container (``/docker/<id>``, ``docker-<id>.scope``,
    ``libpod-<id>``): the deepest path naming it."""
    names = [k for k in t.ordered_keys if c is not None and c.id in k]
    return min(names, key=len) if names else None


def _cmd_has(word: str) -> Callable[[LiveTable, Container | None], str | None]:
    return lambda t, c: next((k for k in t.ordered_keys if word in t.get_cell(k, "cmd").plain.split()), None)


def _ns_of_container(kind: str) -> Callable[[LiveTable, Container | None], str | None]:
    return lambda t, c: next((k for k in t.ordered_keys if c is not None and k.startswith(kind + ":")
                              and c.name.value in t.get_cell(k, "containers").plain), None)


def seed_run(snap: Snapshot | None, c: Container | None) -> Action | None:
    """``docker run`` like the seed's, from the selected container's image or the first local one."""
    image = c.image.value if c is not None else next(
        (t for im in (snap.images if snap is not None else ()) for t in im.tags), "")
    return Action("run", "", "itui-walkthrough", image) if image else None


def _on(verb: str, arg: str = "", live: bool = False) -> Callable[[Snapshot | None, Container | None], Action | None]:
    """The step's action on the selected container (``live``: only while it runs)."""
    return lambda snap, c: Action(verb, c.id, c.name.value, arg) if c is not None and (c.live or not live) else None


ST = Step
STEPS_FLAT: tuple[Step, ...] = (
    # ---------------------------------------------------------------- Introduction
    ST("Introduction", "client and server", "docker --version ; docker system info",
       "Docker is a client and a server: the CLI talks to dockerd over its socket, and dockerd drives "
       "containerd and runc. This is the server's own version.",
       Target("engine", "#engine-info", pick=_first(r"server-.*"), columns=("field", "value")), needs=""),
    ST("Introduction", "the image", "docker image inspect ubuntu",
       "A container is made from an image: read-only layers plus a config (command, env). This is the image ID "
       "the container was created from.",
       Target("overview", row=lambda s, c: "imageid", columns=("value",)),
       concrete=lambda s, c: f"docker image inspect {c.image.value}"),
    ST("Introduction", "run one with limits", 'docker run --name ubuntu -dit --memory=256m --cpus="2" ubuntu bash',
       "The seed starts its container with a memory and a CPU limit; they become cgroup files (region Cgroups). "
       "Here is the memory limit the engine recorded for this container.",
       Target("overview", row=lambda s, c: "lim-mem", columns=("value",)),
       action=seed_run, action_label="start one like the seed's (local image, never pulled)", needs=""),
    ST("Introduction", "list containers", "docker ps -a",
       "Every container, running or not: the list on the left is this command, live.",
       Target("list", "#containers-table", row=lambda s, c: c.id if c else None, columns=("name", "image", "state")),
       concrete=lambda s, c: f"docker ps -a --filter name={c.name.value}"),
    ST("Introduction", "its process on the host", "dockerPSID=$(ps aux | grep -v grep | grep $dockid | awk '{print $2}')",
       "Grepping ps for the container's ID finds the containerd shim: the one host process whose command line "
       "names the container. It is the parent of the container's processes.",
       Target("processes", "#proc-host", row=_role("shim", "conmon"), columns=("pid", "cmd")), needs="running-local",
       concrete=lambda s, c: f"ps aux | grep -v grep | grep {c.id[:12]}"),
    ST("Introduction", "configuration on disk", "sudo ls -l /var/lib/docker/containers/$dockerlongid ; sudo cat …/config.v2.json",
       "The engine keeps each container's configuration, hostname, hosts and resolv.conf and its JSON log in "
       "a directory of its own. enter opens the file.",
       Target("overview", pick=_first(r"file2?-config(\.v2)?\.json"), columns=("field", "value")), needs="local",
       concrete=lambda s, c: f"sudo ls -l /var/lib/docker/containers/{c.id}"),
    ST("Introduction", "another distribution, the same kernel", "cat /etc/os-release ; docker exec mariner cat /etc/os-release",
       "Inside, the image's distribution; outside, the host's: one kernel runs both.",
       Target("processes", "#proc-runtime", pick=_runtime("Distro"), columns=("label", "value")), needs="running-local",
       concrete=lambda s, c: f"docker exec {c.name.value} cat /etc/os-release ; cat /etc/os-release ; uname -r"),
    # ---------------------------------------------------------------- Cgroups
    ST("Cgroups", "how many cgroups", "cat /proc/cgroups",
       "The kernel's controllers, their hierarchy and how many cgroups each has; each container adds one per controller "
       "on cgroup v1.",
       Target("engine", "#engine-cgroups", row=lambda s, c: "memory", columns=("subsys", "hier", "num", "en")), needs="local"),
    ST("Cgroups", "the container process's cgroup", "cat /proc/$containerbash/cgroup",
       "A process's cgroup is a line per hierarchy in /proc/PID/cgroup: the container's init sits in the "
       "container's own cgroup, named after its ID.",
       Target("cgroups", "#cg-facts", row=lambda s, c: "init", columns=("value",)), needs="running-local",
       concrete=lambda s, c: f"cat /proc/{_pid(c)}/cgroup"),
    ST("Cgroups", "controllers available (v2)", "cat /sys/fs/cgroup/cgroup.controllers ; cat …/cgroup.subtree_control",
       "On cgroup v2 one tree holds every controller, listed in cgroup.controllers.",
       Target("engine", "#engine-info", row=lambda s, c: "cgctl", columns=("value",)), needs="local",
       missing="cgroup v1 host: there is no cgroup.controllers at /sys/fs/cgroup; on cgroup v2 it lists "
               "cpuset cpu io memory hugetlb pids rdma misc"),
    ST("Cgroups", "the container's cgroup directory", "ls /sys/fs/cgroup/system.slice/docker-$dockerlongid.scope/ ; lscgroup",
       "The engine makes one directory per container: /docker/<id> with the cgroupfs driver, "
       "system.slice/docker-<id>.scope with systemd, libpod-<id> for Podman. Here it is in the host's tree.",
       Target("host-cgroups", "#hcg-tree", pick=_own_cgroup, columns=("cgroup", "what", "procs", "mem")),
       needs="running-local", concrete=lambda s, c: f"lscgroup | grep {c.id[:12]}"),
    ST("Cgroups", "processes in the cgroup", "cat …/cgroup.procs ; cat …/pids.current",
       "pids.current counts the container's processes; pids.max is --pids-limit.",
       Target("cgroups", "#cg-table", row=lambda s, c: "pids", columns=("limit", "usage")), needs="running-local"),
    ST("Cgroups", "the memory limit", "cat /sys/fs/cgroup/system.slice/docker-$dockerlongid.scope/memory.max",
       "--memory=256m is 268435456 bytes in memory.max (v2) or memory.limit_in_bytes (v1): the kernel enforces it.",
       Target("cgroups", "#cg-table", row=lambda s, c: "mem", columns=("limit", "usage")), needs="running-local"),
    ST("Cgroups", "the CPU limit", "cat /sys/fs/cgroup/system.slice/docker-$dockerlongid.scope/cpu.max",
       '--cpus="2" becomes a quota per period: 200000 100000 in cpu.max (v2), cpu.cfs_quota_us / cpu.cfs_period_us '
       "(v1): two CPUs' worth of time every 100 ms.",
       Target("cgroups", "#cg-table", row=lambda s, c: "cpu", columns=("limit", "usage")), needs="running-local"),
    # ---------------------------------------------------------------- Namespaces
    ST("Namespaces", "mine, and the container's", "sudo ls -l /proc/$$/ns ; sudo ls -l /proc/$containerbash/ns",
       "Each /proc/PID/ns link names a namespace by inode: the container's differ from the host's for cgroup, ipc, "
       "mnt, net, pid and uts.",
       Target("namespaces", "#ns-table", row=lambda s, c: "net", columns=("ns", "host", "verdict")),
       needs="running-local", concrete=lambda s, c: f"sudo readlink /proc/{_pid(c)}/ns/net /proc/$$/ns/net"),
    ST("Namespaces", "its own PIDs", "ps -eF ; docker exec ubuntu ps -ef",
       "In its PID namespace the container's first process is PID 1; the host sees the same process under "
       "another PID, a child of the shim.",
       Target("processes", "#proc-host", row=_role("init"), columns=("pid", "cpid", "cmd")), needs="running-local",
       concrete=lambda s, c: f"ps -o pid,args -p {_pid(c)} ; docker exec {c.name.value} ps -ef"),
    ST("Namespaces", "burn some CPU", 'docker exec ubuntu sh -c "yes > /dev/null &"',
       "A process started with docker exec joins the container's namespaces and cgroup: it shows in the tree, "
       "under the shim, with both PIDs.",
       Target("processes", "#proc-host", pick=_cmd_has("yes"), columns=("pid", "cpid", "cpu", "cmd")),
       needs="running-local", action=_on("exec", 'sh -c "yes > /dev/null &"', live=True),
       action_label="start the yes loop",
       missing="no yes process: press a to start one",
       concrete=lambda s, c: f'docker exec {c.name.value} sh -c "yes > /dev/null &"'),
    ST("Namespaces", "kill it", "docker exec ubuntu kill <pid>",
       "Killing it inside the container ends the same process the host sees.",
       Target("processes", "#proc-host", row=_role("init"), columns=("pid", "cpid", "cmd")), needs="running-local",
       action=_on("exec", "pkill yes", live=True), action_label="kill the yes loop",
       concrete=lambda s, c: f"docker exec {c.name.value} pkill yes"),
    ST("Namespaces", "its network", "docker network ls ; docker network inspect bridge",
       "The Docker network the container is on: its address and gateway.",
       Target("network", "#net-table", pick=_first(r"net:.*"), columns=("item", "a", "b")), needs="running",
       concrete=lambda s, c: f"docker inspect -f '{{{{json .NetworkSettings.Networks}}}}' {c.name.value}"),
    ST("Namespaces", "network namespaces", "sudo lsns -t net",
       "Every process on the host is in one network namespace, except the container's.",
       Target("host-namespaces", "", pick=_ns_of_container("net"), columns=("ns", "nprocs", "pid", "containers")),
       needs="running-local"),
    ST("Namespaces", "eth0, the bridge and the veth", "ip link",
       "On the host: the uplink, the docker0 bridge and one veth per container, whose other end is the container's eth0.",
       Target("network", "#net-table", pick=_first(r"topo:\d+:0"), columns=("item", "a", "b")), needs="running-local"),
    ST("Namespaces", "its view of the network", "docker exec ubuntu ip link",
       "Inside, only lo and eth0: the other end of the host's veth.",
       Target("network", "#net-table", pick=_first(r"topo:\d+"), columns=("item", "a", "b")), needs="running-local",
       concrete=lambda s, c: f"sudo nsenter -t {_pid(c)} -n ip link"),
    # ---------------------------------------------------------------- Filesystem
    ST("Filesystem", "the storage driver", "docker info",
       "overlay2 stacks the image's read-only layers under a writable one.",
       Target("engine", "#engine-info", row=lambda s, c: "driver", columns=("value",)), needs=""),
    ST("Filesystem", "GraphDriver", "docker container inspect ubuntu",
       "GraphDriver names the container's directories: LowerDir (the image's layers and -init), UpperDir (writable), "
       "MergedDir (the view), WorkDir.",
       Target("overview", pick=_first(r"gd-UpperDir"), columns=("field", "value")),
       concrete=lambda s, c: f"docker container inspect -f '{{{{json .GraphDriver}}}}' {c.name.value}"),
    ST("Filesystem", "the writable layer", "docker ps --size ; sudo ls /var/lib/docker/overlay2/$containerImageRef",
       "The container's own layer: only what it created, changed or deleted. u counts its size, as docker ps --size.",
       Target("layers", "#layer-table", row=lambda s, c: "layer:rw", columns=("item", "a", "b")), needs="local"),
    ST("Filesystem", "the -init layer", "sudo ls /var/lib/docker/overlay2/$containerImageRef-init",
       "Docker's -init layer holds the files every container needs (hostname, hosts, resolv.conf, /dev/console) "
       "before the container writes anything.",
       Target("layers", "#layer-table", row=lambda s, c: "layer:init", columns=("item", "a", "b")), needs="local"),
    ST("Filesystem", "lower and l/", "sudo cat …-init/lower ; sudo ls -l /var/lib/docker/overlay2/l",
       "Each layer names its parents in its lower file, through short links in l/ that keep the mount options short.",
       Target("layers", "#layer-table", row=lambda s, c: "layer:init:link", columns=("a", "detail")), needs="local"),
    ST("Filesystem", "the image's layers", "docker image history ubuntu ; sudo ls /var/lib/docker/overlay2/$ubuntuImageRef",
       "The image's layers, the base first: it has no lower file.",
       Target("layers", "#layer-table", row=lambda s, c: "layer:image:0", columns=("item", "a", "b")), needs="local"),
    ST("Filesystem", "a file written inside", "docker exec ubuntu touch hello.world",
       "A file the container writes lands in its writable layer (diff/) at once.",
       Target("files", "#fs-tree", row=lambda s, c: "/hello.world", columns=("name", "layer", "status")),
       needs="running-local", action=_on("exec", "touch /hello.world", live=True),
       action_label="touch /hello.world inside",
       missing="no /hello.world yet: press a to write it",
       concrete=lambda s, c: f"docker exec {c.name.value} touch /hello.world"),
    ST("Filesystem", "a file put there from the host", "sudo touch /var/lib/docker/overlay2/$containerImageRef/diff/hellofrom.host",
       "A file added to the writable layer from outside shows inside too. This app never writes under "
       "/var/lib/docker itself: a asks the engine to put it there (docker cp).",
       Target("files", "#fs-tree", row=lambda s, c: "/hellofrom.host", columns=("name", "layer", "status")),
       needs="local", action=_on("put", "/hellofrom.host"), action_label="put /hellofrom.host (docker cp)",
       missing="no /hellofrom.host yet: press a to put it there"),
    ST("Filesystem", "the overlay mount", "mount | grep overlay",
       "The container's root is one overlay mount: lowerdir (image layers, -init), upperdir, workdir.",
       Target("layers", "#layer-table", row=lambda s, c: "mount:point", columns=("a", "b", "detail")),
       needs="running-local"),
    ST("Filesystem", "the merged view", "sudo ls /var/lib/docker/overlay2/$containerImageRef/merged",
       "What the container sees: every layer merged, the upper one winning. Each entry says its layer.",
       Target("files", "#fs-tree", pick=_first(r"/(bin|etc|usr)"), columns=("name", "layer", "status")),
       needs="local"),
    ST("Filesystem", "volumes", "docker run --volume /host/dir:/stuff … ; docker exec ubuntu ls /stuff",
       "A volume or bind mount sits over the container's filesystem, outside the layers; enter browses it in Files.",
       Target("overview", pick=_first(r"mnt-.*"), columns=("field", "value")),
       missing="this container has no volume or bind mount (run one with --volume to see it here)"),
    # ---------------------------------------------------------------- Runtime
    ST("Runtime", "the containerd shim", "pstree -lpTs",
       "dockerd asks containerd to run the container; containerd starts a shim, the shim runs runc, runc "
       "starts the process and exits: the shim stays its parent.",
       Target("processes", "#proc-runtime", pick=_runtime("Shim"), columns=("label", "value")), needs="running-local",
       missing="no containerd shim (Podman's conmon plays its part; see the Parent line)"),
    ST("Runtime", "containerd", "ctr",
       "containerd manages the container's lifecycle for dockerd; ctr is its own client.",
       Target("processes", "#proc-runtime", pick=_runtime("containerd"), columns=("label", "value")),
       needs="running-local", missing="no containerd for this engine (Podman runs containers without it)"),
    ST("Runtime", "the OCI runtime", "docker info -f '{{.DefaultRuntime}}'",
       "runc made the namespaces and the cgroup, and started the process.",
       Target("processes", "#proc-runtime", pick=_runtime("Runtime"), columns=("label", "value")), needs="local"),
    # ---------------------------------------------------------------- Cleanup
    ST("Cleanup", "stop it", "docker stop ubuntu",
       "Stopping sends SIGTERM, then SIGKILL after 10 s; the container, its layer and its files stay.",
       Target("list", "#containers-table", row=lambda s, c: c.id if c else None, columns=("name", "state")),
       action=_on("stop"), action_label="stop it", concrete=lambda s, c: f"docker stop {c.name.value}"),
    ST("Cleanup", "remove it", "docker rm ubuntu",
       "Removing deletes its writable layer, its -init layer and its directory under containers/.",
       Target("list", "#containers-table", row=lambda s, c: c.id if c else None, columns=("name", "state")),
       action=_on("remove"), action_label="remove it", concrete=lambda s, c: f"docker rm {c.name.value}"),
    ST("Cleanup", "clean up everything left over", "docker system prune",
       "What is left: stopped containers, dangling images, unused networks and volumes, build cache. In the "
       "Cleanup section, p prunes one kind after listing what goes.",
       Target("engine", "#cleanup-df", pick=_first(r".+"), columns=()), needs=""),
)


def _numbered(steps: tuple[Step, ...]) -> tuple[Step, ...]:
    out = []
    for s in steps:
        same = [x for x in steps if x.region == s.region]
        out.append(replace(s, in_region=same.index(s) + 1, region_size=len(same)))
    return tuple(out)


STEPS: tuple[Step, ...] = _numbered(STEPS_FLAT)
REGIONS = tuple(dict.fromkeys(s.region for s in STEPS))
"""The seed's regions, in its order."""
