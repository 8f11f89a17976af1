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
    from vibrastic.platform.course.execute import LessonRun


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


def run_renderables(run: LessonRun) -> Iterator[RenderableType]:
    """Each executed code cell with its output; figures as the paths they were saved to."""
    yield Rule(f"Running lesson {run.lesson.number}: {run.lesson.title}")
    for cell in run.cells:
        parts: list[RenderableType] = [Syntax(cell.source, "python", theme="ansi_dark",
                                              background_color="default", word_wrap=True)]
        for out in cell.outputs:
            if out.kind == "image":
                parts.append(Text(f"[figure saved: {out.path}]", style="green"))
            elif out.kind == "error":
                parts.append(Text(out.text, style="bold red"))
            else:
                parts.append(Text(out.text.rstrip("\n")))
        yield Panel(Group(*parts), title=f"cell {cell.index}", title_align="left",
                    border_style="red" if any(o.kind == "error" for o in cell.outputs) else "dim")
