"""The Engine view's Cleanup section: ``docker system df``, ``-v`` per object, and the prunes.

The summary table is ``docker system df`` (and networks, which have a prune but no size), with
one more column: what each prune would remove now. Beside it, every object with its size and
the prune's verdict on it (goes, or why it stays). ``p`` asks for the prune of the kind under
the cursor (or, elsewhere in the view, offers a choice); the app confirms it, listing what
goes and its size, or refuses it with ``--read-only``. Nothing here talks to the engine.
"""

from __future__ import annotations

from functools import partial
from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal

from tui.backend.model import Snapshot
from tui.backend.model.actions import Action
from tui.backend.model.cleanup import KIND_TITLES, PRUNE_KINDS, PRUNE_VERBS, DiskObject, DiskUsage
from tui.messages import DoAction
from widgets.confirm import ChoiceScreen
from widgets.format import clean, human_bytes, set_border, text
from widgets.live_table import Column, LiveTable

SOURCE = "disk_usage"
ORDER = ("images", "containers", "volumes", "build-cache", "networks")
"""Summary rows: ``docker system df``'s order, then networks."""
OBJECT_ORDER = (*PRUNE_KINDS, "build-cache")

DF_COLUMNS = (Column("type", "TYPE", 0), Column("total", "TOTAL", 6, right=True),
              Column("active", "ACTIVE", 6, right=True), Column("size", "SIZE", 9, right=True),
              Column("reclaim", "RECLAIMABLE", 15, right=True, drop=1),
              Column("prune", "PRUNE FREES", 13, right=True, drop=2))
OBJECT_COLUMNS = (Column("name", "NAME", 0), Column("size", "SIZE", 9, right=True),
                  Column("goes", "PRUNE", 6), Column("why", "WHY", 34, drop=1),
                  Column("detail", "", 16, drop=2))
MENU_KEYS = {"c": "containers", "i": "images", "n": "networks", "v": "volumes"}


def percent(part: int | None, whole: int | None) -> str:
    """``docker system df``'s ``(42%)``: truncated, as the CLI does; blank without a whole."""
    if part is None or not whole:
        return ""
    return f" ({part * 100 // whole}%)"


def prune_detail(usage: DiskUsage, kind: str) -> tuple[str, ...]:
    """The confirmation's lines: each object the prune would remove, its size, and the total
    (untrusted names escaped; the confirmation shows them as plain text)."""
    goes = usage.candidates(kind)
    width = min(48, max((len(clean(o.name)) for o in goes), default=0))
    lines = [f"{clean(o.name) or o.id[:12]:<{width}}  {human_bytes(o.size.value):>9}  {_short_id(o)}"
             for o in goes]
    known = sum(o.size.value or 0 for o in goes)
    unknown = sum(1 for o in goes if o.size.value is None)
    total = f"{len(goes)} {kind if len(goes) != 1 else kind[:-1]}, {human_bytes(known)}"
    if unknown:
        total += f" (+ {unknown} of unknown size)"
    notes = []
    if kind == "images":
        notes.append("sizes are unique sizes: layers shared with kept images stay")
    if kind == "volumes" and not usage.volumes_all:
        notes.append(f"API {usage.api_version}: named volumes stay (only anonymous ones go)")
    return (*lines, f"total: {total}", *notes)


def _short_id(o: DiskObject) -> str:
    return "" if o.kind == "volumes" else o.id.removeprefix("sha256:")[:12]


class CleanupSection(Horizontal):
    """``docker system df`` beside its ``-v`` list; ``p`` prunes the kind under the cursor."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("p", "prune", "Prune…", tooltip="Prune the kind under the cursor (lists what goes first)"),
    ]

    DEFAULT_CSS = """
    CleanupSection { height: 1fr; }
    CleanupSection #cleanup-df { width: 48%; }
    CleanupSection #cleanup-objects { width: 1fr; }
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._usage: DiskUsage | None = None
        self._why = ""
        self._objects: dict[str, DiskObject] = {}

    def compose(self) -> ComposeResult:
        df = LiveTable(DF_COLUMNS, id="cleanup-df", source=self._df_source, flex_min=13)
        df.border_title = "Disk usage (docker system df) · p prune"
        yield df
        objects = LiveTable(OBJECT_COLUMNS, id="cleanup-objects", source=self._object_source, flex_min=24)
        objects.border_title = "Per object (docker system df -v) and what prune takes"
        yield objects

    @property
    def usage(self) -> DiskUsage | None:
        """The last disk usage shown (None: not collected yet, or it failed)."""
        return self._usage

    def _df_source(self, key: str) -> tuple[str, str] | None:
        u = self._usage
        t = u.total(key) if u is not None else None
        if t is None:
            return None
        if key in PRUNE_KINDS:
            goes = u.candidates(key) if u is not None else ()
            verdict = goes[0].verdict.source if goes else next(
                (o.verdict.source for o in u.of_kind(key)), "") if u is not None else ""
            return (f"{t.size.source} ; {verdict}" if verdict and verdict != t.size.source else t.size.source,
                    KIND_TITLES[key])
        return t.size.source, KIND_TITLES[key]

    def _object_source(self, key: str) -> tuple[str, str] | None:
        o = self._objects.get(key)
        if o is None:
            kind = key.removeprefix("§")
            return self._df_source(kind) if kind in KIND_TITLES else None
        size, why = o.size.source, o.verdict.source
        return (f"{size} ; {why}" if why and why != size else size), clean(o.name)

    def show(self, snap: Snapshot) -> None:
        """Diff the last ``disk_usage`` result in (or say why there is none)."""
        res = snap.result(SOURCE)
        usage = res.value if res is not None and isinstance(res.value, DiskUsage) else None
        df = self.query_one("#cleanup-df", LiveTable)
        objects = self.query_one("#cleanup-objects", LiveTable)
        if snap.engine is None:
            self._why = "no engine"
        elif res is None:
            self._why = "measuring… (docker system df)"
        elif res.error:
            self._why = ("cannot read disk usage: " if not res.unavailable else "") + clean(res.error)
        else:
            self._why = ""
        self._usage = usage
        if usage is None:
            df.set_rows([("why", (text(self._why or "no answer", style="yellow"), Text(""), Text(""), Text(""),
                                  Text(""), Text("")))])
            objects.set_rows([])
            self._objects = {}
            set_border(df, subtitle=self._why)
            set_border(objects, subtitle="")
            return
        df.set_rows(self._df_rows(usage))
        self._objects = {f"{o.kind}:{o.id}": o for o in usage.objects}
        objects.set_rows(self._object_rows(usage))
        stale = f" · last answer kept: {clean(res.error)}" if res is not None and res.error else ""
        notes = " · ".join(usage.notes)
        set_border(df, subtitle=f"df took {usage.df_seconds * 1000:.0f} ms · API {usage.api_version}{stale}")
        set_border(objects, subtitle=notes or "goes = removed by this kind's prune · p prunes the kind under the cursor")

    def _df_rows(self, usage: DiskUsage) -> list[tuple[str, tuple[Text, ...]]]:
        rows = []
        for kind in ORDER:
            t = usage.total(kind)
            if t is None:
                continue
            if kind in PRUNE_KINDS:
                goes = usage.candidates(kind)
                freed = sum(o.size.value or 0 for o in goes)
                prune = f"{len(goes)} · {human_bytes(freed)}" if kind != "networks" else f"{len(goes)}"
                prune_text = Text(prune, style="bold" if goes else "dim")
            else:
                prune_text = Text("builder prune", style="dim")
            size = human_bytes(t.size.value) if t.size.value is not None else "—"
            reclaim = (human_bytes(t.reclaimable.value) + percent(t.reclaimable.value, t.size.value)
                       if t.reclaimable.value is not None else "—")
            rows.append((kind, (Text(KIND_TITLES[kind]), Text(str(t.total)), Text(str(t.active)), Text(size),
                                Text(reclaim), prune_text)))
        return rows

    def _object_rows(self, usage: DiskUsage) -> list[tuple[str, tuple[Text, ...]]]:
        rows: list[tuple[str, tuple[Text, ...]]] = []
        for kind in OBJECT_ORDER:
            objs = sorted(usage.of_kind(kind), key=lambda o: (not o.goes, -(o.size.value or 0), o.name))
            goes = [o for o in objs if o.goes]
            took = (f"prune takes {len(goes)} of {len(objs)}" if kind in PRUNE_KINDS
                    else f"{len(objs)}: docker builder prune (not offered here)")
            rows.append((f"§{kind}", (Text(f"── {KIND_TITLES[kind]}", style="bold"), Text(""), Text(""),
                                      Text(took, style="bold"), Text(""))))
            for o in objs:
                rows.append((f"{o.kind}:{o.id}", (
                    text(o.name or o.id[:12]),
                    Text(human_bytes(o.size.value) if o.size.value is not None else "—"),
                    Text("goes", style="bold red") if o.goes else Text("kept", style="dim"),
                    text(o.verdict.value, style="" if o.goes else "dim"),
                    text(o.detail, style="dim"))))
        return rows

    def kind_under_cursor(self) -> str:
        """The kind of the focused table's cursor row ("" when no table of this section has focus)."""
        focused = self.screen.focused if self.is_mounted else None
        if not isinstance(focused, LiveTable) or focused.parent is not self or focused.cursor_key is None:
            return ""
        key = focused.cursor_key
        kind = key.removeprefix("§").split(":", 1)[0]
        return kind if kind in PRUNE_KINDS else ""

    def action_prune(self) -> None:
        """``p``: prune the kind under the cursor; elsewhere, pick one first."""
        kind = self.kind_under_cursor()
        if kind:
            self.prune(kind)
            return
        entries = [(k, f"{key}  {KIND_TITLES[k].lower():<11} {self._menu_note(k)}") for key, k in MENU_KEYS.items()]
        self.app.push_screen(ChoiceScreen("Prune what?", entries, MENU_KEYS),
                             callback=partial(self._picked))

    def _menu_note(self, kind: str) -> str:
        if self._usage is None:
            return ""
        goes = self._usage.candidates(kind)
        return f"{len(goes)} would go, {human_bytes(sum(o.size.value or 0 for o in goes))}"

    def _picked(self, kind: str | None) -> None:
        if kind:
            self.prune(kind)

    def prune(self, kind: str) -> None:
        """Ask the app for ``docker KIND prune``, listing what goes; nothing to remove: say so."""
        usage = self._usage
        if usage is None:
            self.app.notify(f"prune {kind}: {self._why or 'disk usage not measured yet'}", severity="warning",
                            markup=False)
            return
        if not usage.candidates(kind):
            self.app.notify(f"{KIND_TITLES[kind]}: nothing to prune", markup=False)
            return
        self.post_message(DoAction(Action(PRUNE_VERBS[kind]), detail=prune_detail(usage, kind)))
