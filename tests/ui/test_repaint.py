"""What a change repaints: a new title repaints its border line, new rows repaint from where
they land. Textual draws a dirty line again through the widget's ``render_line``; at 200
containers repainting every row for one change cost 25–30 ms (DESIGN §5: events on screen
within 250 ms). The tests count ``render_line`` calls and read the screen."""

from __future__ import annotations

from rich.text import Text
from textual.app import App, ComposeResult
from textual.strip import Strip

from widgets.format import set_border
from widgets.live_table import Column, LiveTable


class CountingTable(LiveTable):
    def __init__(self) -> None:
        super().__init__([Column("name", "NAME")], id="t")
        self.drawn: list[int] = []

    def render_line(self, y: int) -> Strip:
        self.drawn.append(y)
        return super().render_line(y)


class TableApp(App[None]):
    CSS = "#t { border: round $accent; }"

    def compose(self) -> ComposeResult:
        yield CountingTable()


def rows(names: list[str]) -> list[tuple[str, tuple[Text, ...]]]:
    return [(n, (Text(n),)) for n in names]


def screen_lines(app: App[None]) -> list[str]:
    return [strip.text for strip in app.screen._compositor.render_strips()]


async def settle(pilot, table: CountingTable) -> None:
    await pilot.pause()
    await pilot.pause()
    table.drawn.clear()


async def test_a_new_title_repaints_its_border_line_only(wait_for) -> None:
    app = TableApp()
    async with app.run_test(size=(40, 20)) as pilot:
        table = app.query_one(CountingTable)
        table.set_rows(rows([f"c{i:02d}" for i in range(10)]))
        set_border(table, "Containers 3 running / 10", "sort name")
        await settle(pilot, table)
        assert "Containers 3 running / 10" in screen_lines(app)[0]

        set_border(table, "Containers 4 running / 10 [b]x[/b]", "sort state")
        await wait_for(pilot, lambda: "Containers 4 running / 10 [b]x[/b]" in screen_lines(app)[0])
        await wait_for(pilot, lambda: "sort state" in screen_lines(app)[-1])
        assert table.drawn == []  # no row was drawn again for the title
        assert "c00" in screen_lines(app)[2] and "c09" in screen_lines(app)[11]

        set_border(table, "Containers 4 running / 10 [b]x[/b]", "sort state")  # the same: nothing
        await pilot.pause()
        assert table._repaint_required is False


async def test_rows_added_or_removed_repaint_from_where_the_order_changes(wait_for) -> None:
    app = TableApp()
    async with app.run_test(size=(40, 30)) as pilot:
        table = app.query_one(CountingTable)
        names = [f"c{i:02d}" for i in range(20)]
        table.set_rows(rows(names))
        await settle(pilot, table)

        table.set_rows(rows(names + ["c20"]))  # a container added at the end
        await wait_for(pilot, lambda: "c20" in screen_lines(app)[22])
        assert table.drawn and min(table.drawn) >= 21  # header is y 0, c20 is y 21

        await settle(pilot, table)
        table.set_rows(rows(names[:5] + names[6:] + ["c20"]))  # c05 removed
        await wait_for(pilot, lambda: "c06" in screen_lines(app)[7])
        assert min(table.drawn) == 6 and "c20" in screen_lines(app)[21] and "c20" not in screen_lines(app)[22]

        await settle(pilot, table)
        changed = rows(names[:5] + names[6:] + ["c20"])
        changed[1] = ("c01", (Text("c01 renamed"),))
        table.set_rows(changed)  # same order, one row's cells changed
        await wait_for(pilot, lambda: "c01 renamed" in screen_lines(app)[3])
        assert set(table.drawn) == {2}


async def test_rows_removed_under_a_scrolled_table_leave_no_stale_line(wait_for) -> None:
    app = TableApp()
    async with app.run_test(size=(40, 20)) as pilot:
        table = app.query_one(CountingTable)
        names = [f"c{i:02d}" for i in range(40)]
        table.set_rows(rows(names))
        table.focus()
        await wait_for(pilot, lambda: app.focused is table and table.show_vertical_scrollbar)
        await pilot.press("end")
        await wait_for(pilot, lambda: "c39" in screen_lines(app)[-2])

        table.set_rows(rows(names[:3] + names[30:]))  # shorter than the view: back to the top
        want = ["c00", "c01", "c02"] + names[30:]
        await wait_for(pilot, lambda: [line.strip("│ ") for line in screen_lines(app)[2:15]] == want)
        assert all(line.strip("│ ╰─╯") == "" for line in screen_lines(app)[15:-1])
