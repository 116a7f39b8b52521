"""Rows for a layer stack, shared by the Layers tab and the image view: the stack top to bottom
with each layer's directory, ``l/`` short name, ``lower`` chain, IDs, size, the history line
that made it (empty-layer lines between), the ``-init`` layer's files, the overlay mount with
each entry named, and sizes side by side. Pure: no I/O, no widgets."""

from __future__ import annotations

import time

from rich.text import Text

from tui.backend.model.layers import HistoryLine, Layer, LayerStack
from widgets.format import human_bytes, text, when
from widgets.live_table import Cells, Column

COLUMNS = (Column("item", "", 10), Column("a", "", 30), Column("b", "", 9, right=True), Column("detail", "", 0))

Row = tuple[str, Cells, str]

ROLE = {"rw": "writable", "init": "-init"}


def section(title: str, what: str = "") -> Row:
    return (f"§{title}", (Text("━━", style="dim"), Text(title, style="bold underline"), Text(""),
                          Text(what, style="dim")), "")


def in_store(path: str, stack: LayerStack) -> str:
    """A path in the layer store, brief: ``…/overlay2/l/AB…`` → ``l/AB…``, ``…/overlay2/<64 hex>/diff``
    → ``overlay2/1a0a0b450337…/diff`` (the whole path is in the line's source)."""
    root = stack.store_root.rstrip("/")
    if not root or not path.startswith(root + "/"):
        return path
    parts = [p[:12] + "…" + p[64:] if len(p) >= 64 else p for p in path[len(root) + 1:].split("/")]
    rel = "/".join(parts)
    return rel if rel.startswith("l/") else f"{root.rsplit('/', 1)[-1]}/{rel}"


def row(key: str, item: str | Text, a: Text | str = "", b: Text | str = "", detail: Text | str = "",
        source: str = "") -> Row:
    cells = tuple(c if isinstance(c, Text) else text(c) for c in (a, b, detail))
    return key, (item if isinstance(item, Text) else text(item, style="bold"), *cells), source


def short_id(value: str, n: int = 12) -> str:
    v = value.removeprefix("sha256:")
    return v[:n] + "…" if len(v) > n else v


def layer_name(key: str, stack: LayerStack) -> str:
    """``image:3`` → ``layer 3``, ``rw`` → ``writable``, for the mount's entries."""
    if key.startswith("image:"):
        return f"image layer {key.split(':')[1]}"
    return {"rw": "writable layer", "init": "-init layer"}.get(key, key or "not in the stack")


def _history_text(h: HistoryLine) -> Text:
    by = " ".join(h.created_by.replace("/bin/sh -c #(nop) ", "").replace("/bin/sh -c ", "RUN ").split())
    return text(by or h.comment or "(no command recorded: imported)")


def _layer_rows(lay: Layer, stack: LayerStack, made_by: HistoryLine | None, now: float) -> list[Row]:
    """Two or three lines a layer: directory, size and what made it; its ``l/`` name and
    ``lower`` chain; its diff and chain IDs (image layers). Then sharers and mismatches."""
    k = f"layer:{lay.key}"
    label = ROLE.get(lay.role) or f"#{lay.position}" + (" base" if lay.position == 0 else "")
    style = {"rw": "bold green", "init": "bold cyan"}.get(lay.role, "bold")
    store = stack.store_root.rstrip("/").rsplit("/", 1)[-1] or "store"
    size = human_bytes(lay.size.value) if lay.size.value is not None else "—"
    what = {"rw": Text("the container's upper dir: every write lands here", style="dim"),
            "init": Text("Docker's files for this container: hosts, resolv.conf …", style="dim")}.get(lay.role)
    if what is None:
        what = _history_text(made_by) if made_by is not None else Text("")
    where = f"{store}/{short_id(lay.dir_id, 16)}" if lay.dir_id else Text("snapshot named in bbolt only", style="dim")
    rows = [row(k, Text(label, style=style), where, size, what,
                lay.directory.source)]
    if lay.short.value:
        ok = lay.short_target == f"../{lay.dir_id}/diff"
        link = Text(f"l/{lay.short.value}", style="magenta")
        link.append(" ✓" if ok else f" → {lay.short_target or 'missing'} ✗", style="green" if ok else "bold red")
        if lay.lower.value:
            lower = Text(f"lower {len(lay.lower.value)}: ", style="dim")
            lower.append(":".join(f"l/{x[:5]}…" for x in lay.lower.value[:4]) + (" …" if len(lay.lower.value) > 4 else ""))
            src = lay.lower.source
        else:
            lower = Text("no lower file: nothing below (the base)" if not lay.lower_file else "lower is empty",
                         style="yellow")
            src = f"ls {lay.directory.value}"
        rows.append(row(f"{k}:link", "", link, "", lower, src))
    if lay.role == "image" and (lay.diff_id or lay.chain_id.value):
        created = when(made_by.created, now) if made_by is not None and made_by.created else ""
        ids = Text(f"diff {short_id(lay.diff_id, 8)} chain {short_id(lay.chain_id.value, 8)}", style="dim")
        rows.append(row(f"{k}:ids", "", ids, "", Text(created, style="dim"),
                        lay.size.source or lay.chain_id.source))
    if lay.shared_with:
        rows.append(row(f"{k}:shared", "", Text(f"also used by {len(lay.shared_with)}:", style="dim"), "",
                        ", ".join(lay.shared_with), "docker ps -a ; docker images"))
    for i, p in enumerate(lay.problems):
        rows.append(row(f"{k}:problem{i}", "", Text(f"✗ {p}", style="bold red"), "", "", lay.directory.source))
    return rows


def stack_rows(stack: LayerStack, now: float | None = None) -> list[Row]:
    """The stack section: top to bottom, empty history lines between the layers they follow."""
    now = time.time() if now is None else now
    container = any(lay.role == "rw" for lay in stack.layers)
    rows: list[Row] = [section("Layer stack", "top → bottom: what the container's / is made of" if container
                               else "top → bottom: what a container of this image starts from")]
    made = {h.layer: h for h in stack.history if h.layer >= 0}
    empties: dict[int, list[HistoryLine]] = {}
    last = -1
    for h in stack.history:
        if h.layer >= 0:
            last = h.layer
        else:
            empties.setdefault(last, []).append(h)
    for lay in stack.layers:
        if lay.role == "image":
            for j, h in enumerate(reversed(empties.get(lay.position, []))):
                rows.append(row(f"empty:{lay.position}:{j}", "", Text("· no layer: metadata only", style="dim"), "",
                                Text(_history_text(h).plain, style="dim italic"), stack.history_source))
        rows += _layer_rows(lay, stack, made.get(lay.position), now)
    if not stack.layers:
        rows.append(row("layer:none", "—", Text("no layer found", style="yellow")))
    if stack.history:
        rows.append(row("hist:how", "", Text("history ↔ layer", style="dim"), "", Text(stack.history_matched, style="dim"),
                        stack.history_source))
    return rows


def init_rows(stack: LayerStack) -> list[Row]:
    if not stack.init_files.value:
        return []
    rows = [section("-init layer", "what Docker writes before the container starts (find …-init/diff)")]
    for i, path in enumerate(stack.init_files.value):
        rows.append(row(f"init:{i}", "", path, "", "", stack.init_files.source))
    return rows


def mount_rows(stack: LayerStack) -> list[Row]:
    m = stack.mount
    rows = [section("Overlay mount", "mount | grep overlay: each lowerdir entry named")]
    if m is None:
        rows.append(row("mount:none", "—", Text(stack.mount_note or "not mounted", style="yellow")))
        return rows
    src = f"grep ' {m.mount_point} ' {m.mountinfo}"
    where = "on the host" if m.mountinfo == "/proc/self/mountinfo" else \
        "not in the host's mount table: mounted in the engine's own mount namespace"
    rows.append(row("mount:point", "mounted", in_store(m.mount_point, stack), m.fstype, Text(f"{m.mountinfo} ({where})", style="dim"), src))
    for i, e in enumerate(m.lowerdir):
        shown = in_store(e.raw, stack) if e.raw == e.path else f"{e.raw} = {in_store(e.path, stack)}"
        rows.append(row(f"mount:lower{i}", "lowerdir" if i == 0 else "", shown, f"[{i}]",
                        Text(f"→ {layer_name(e.layer, stack)}", style="cyan" if e.layer else "red"), src))
    rows.append(row("mount:upper", "upperdir", in_store(m.upperdir, stack), "",
                    Text(f"→ {layer_name(m.upper_layer, stack)}", style="green" if m.upper_layer else "red"), src))
    rows.append(row("mount:work", "workdir", in_store(m.workdir, stack), "", Text("overlayfs scratch: never content", style="dim"), src))
    if m.options:
        rows.append(row("mount:opts", "options", ",".join(m.options), "", "", src))
    if m.read_only:
        rows.append(row("mount:ro", "read-only", Text("the container sees / read-only", style="yellow"), "",
                        Text("--read-only: its / is remounted ro in its own namespace; the overlay stays rw",
                             style="dim"), "grep ' / / ' /proc/<init PID>/mountinfo"))
    if m.relative:
        rows.append(row("mount:rel", "", Text(f"relative entries, resolved against {m.relative_to}", style="yellow"),
                        "", Text("the absolute options would not fit in one page", style="dim"), src))
    return rows


def size_rows(stack: LayerStack, now: float, counting_key: str = "u") -> list[Row]:
    when_counted = f"counted {when(stack.sizes_at, now)}; {counting_key}: again" if stack.sizes_at else \
        f"{counting_key}: count"
    rows = [section("Sizes", f"docker ps --size, du of diff and of merged ({when_counted})")]
    es = stack.engine_sizes
    image_total = sum(lay.size.value or 0 for lay in stack.layers if lay.role == "image")
    if es is not None:
        rows.append(row("size:rw", "writable", "docker ps --size: SIZE", human_bytes(es.size_rw),
                        Text(f"{es.size_rw:,} B: the upper dir only", style="dim"), es.source))
        if es.size_root_fs is not None:
            rows.append(row("size:virtual", "virtual", "docker ps --size: (virtual …)", human_bytes(es.size_root_fs),
                            Text(f"{es.size_root_fs:,} B: writable + the image's layers "
                                 f"({human_bytes(image_total)} recorded by the store)", style="dim"), es.source))
    elif image_total:
        rows.append(row("size:image", "image layers", human_bytes(image_total), "",
                        Text("sum of the layer sizes the store records", style="dim"), stack.metadata))
    for i, u in enumerate(stack.usage):
        if u.error:
            rows.append(row(f"du:{i}", u.label, Text(u.error, style="yellow"), "", "", u.source))
            continue
        state = "" if u.done else f"counting… {u.entries:,} entries"
        rows.append(row(f"du:{i}", "du", Text(u.label), human_bytes(u.apparent),
                        Text(state or f"{u.entries:,} entries · {human_bytes(u.allocated)} on disk",
                             style="yellow" if state else "dim"), u.source))
    if any(u.done and "merged" in u.label for u in stack.usage):
        rows.append(row("du:why", "", Text("why merged ≫ diff", style="italic"), "",
                        Text("merged is a view of every layer, not a copy: it uses no disk beyond the layers",
                             style="italic"), ""))
    if es is None and not stack.usage:
        rows.append(row("size:ask", "", Text(f"press {counting_key} to count the writable layer and the merged "
                                             "view (the way docker ps --size does)", style="dim")))
    return rows


def graph_rows(stack: LayerStack) -> list[Row]:
    if not stack.graph.value:
        return []
    rows = [section("GraphDriver", stack.graph.source)]
    container = any(lay.role == "rw" for lay in stack.layers)
    what = {"LowerDir": "read-only layers, top first", "UpperDir": "writable layer" if container else "the image's top layer",
            "MergedDir": "the container's / while it runs" if container else "none: an image is never mounted",
            "WorkDir": "overlayfs scratch"}
    for k, v in stack.graph.value:
        parts = v.split(":") if k == "LowerDir" else [v]
        for i, p in enumerate(parts):
            rows.append(row(f"graph:{k}:{i}", k.removesuffix("Dir") if i == 0 else "", in_store(p, stack), "",
                            Text(what.get(k, "") if i == 0 else "", style="dim"), stack.graph.source))
    return rows
