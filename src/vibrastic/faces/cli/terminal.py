"""Lessons for the terminal with Rich: Markdown text, highlighted code, formulas as text."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from rich.console import Group, RenderableType
from rich.markdown import Markdown
from rich.panel import Panel
from rich.rule import Rule
from rich.syntax import Syntax
from rich.table import Table
from rich.text import Text

from vibrastic.faces.cli.latex import markdown_math_to_text
from vibrastic.platform.course.model import Course, Lesson

if TYPE_CHECKING:  # Jupyter's client and nbformat load slowly; `lesson list` needs neither
    from vibrastic.platform.course.execute import CellRun, Output


def lesson_table(course: Course) -> Table:
    """The lessons in order, with their labs and challenges."""
    table = Table(title=course.title, show_lines=True)
    table.add_column("#", justify="right")
    table.add_column("Lesson", min_width=29)
    table.add_column("Labs and challenges", no_wrap=True)
    for lesson in course.lessons:
        items = [f"lab {lab}" for lab in lesson.labs]
        items += [f"challenge {name}" for name in lesson.challenges]
        table.add_row(str(lesson.number), f"{lesson.title}\n[dim]{lesson.name}[/dim]",
                      "\n".join(items) or "—")
    return table


def lesson_renderables(lesson: Lesson, course: Course) -> Iterator[RenderableType]:
    """The lesson's cells in order, then its labs and challenges."""
    from vibrastic.platform.course.export import ending_markdown

    yield Rule(f"Lesson {lesson.number}: {lesson.title}")
    for cell in lesson.cells():
        if cell.kind == "markdown":
            yield Markdown(markdown_math_to_text(cell.source))
        else:
            code = Syntax(cell.source, "python", theme="ansi_dark", background_color="default",
                          word_wrap=True)
            yield Panel(code, border_style="dim", expand=False)
    yield Markdown(markdown_math_to_text(ending_markdown(lesson, course)))


def cell_header(cell: CellRun) -> RenderableType:
    """A code cell about to run: its number and its code (its output follows as it comes)."""
    return Group(Rule(f"cell {cell.index}", align="left", style="dim"),
                 Syntax(cell.source, "python", theme="ansi_dark", background_color="default",
                        word_wrap=True))


def output_renderable(out: Output) -> RenderableType:
    """One output of a running cell: text as printed, a figure as the path it was saved to."""
    if out.kind == "image":
        return Text(f"[figure saved: {out.path}]", style="green")
    if out.kind == "error":
        return Text(out.text, style="bold red")
    return Text(out.text.rstrip("\n"))
