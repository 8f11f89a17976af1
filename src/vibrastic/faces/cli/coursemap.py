"""The course map in the terminal (``vibrastic`` with no arguments): a Rich table, a row per lesson.

The map itself (lessons, labs, challenges and the learner's progress) is built by
``vibrastic.platform.progress.coursemap``; this module only draws it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.table import Table
from rich.text import Text

if TYPE_CHECKING:
    from vibrastic.platform.progress.coursemap import CourseMap

STATUS_STYLE = {"passed": "green", "attempted": "yellow", "not started": "dim"}


def render_course_map(course_map: CourseMap) -> Table:
    """The map as a Rich table, one row per lesson."""
    progress = (f"challenges solved: {course_map.solved}/{course_map.total}"
                if course_map.progress_available else "progress: the store cannot be read")
    table = Table(title=course_map.title, show_lines=True,
                  caption=progress + "  ·  vibrastic lesson show N  ·  vibrastic lab run NAME"
                  "  ·  vibrastic challenge start NAME")
    table.add_column("#", justify="right")
    table.add_column("Lesson", min_width=29)
    table.add_column("Labs and challenges", no_wrap=True)
    for entry in course_map.entries:
        cell = Text()
        for lab in entry.labs:
            cell.append(f"lab {lab}\n")
        for c in entry.challenges:
            mark = "✓" if c.done else ("·" if c.status == "not started" else "✗")
            score = (f" {c.best_score:g}/{c.max_score:g}"
                     if c.best_score is not None and c.max_score else "")
            state = "" if c.status == "not started" else f" ({c.status}{score})"
            cell.append(f"{mark} {c.name}{state}\n",
                        style=STATUS_STYLE[c.status])
        cell.rstrip()
        table.add_row(str(entry.number), f"{entry.title}\n[dim]vibrastic lesson show "
                      f"{entry.number}[/dim]", cell if cell.plain else "—")
    stages = Text()
    for number, c in enumerate(course_map.project):
        mark = "✓" if c.done else ("·" if c.status == "not started" else "✗")
        stages.append(f"{mark} stage {number} {c.name}"
                      + ("" if c.status == "not started" else f" ({c.status})") + "\n",
                      style=STATUS_STYLE[c.status])
    stages.rstrip()
    if course_map.project:
        passed = sum(c.done for c in course_map.project)
        table.add_row("", f"{course_map.project_title}\n[dim]{passed}/{len(course_map.project)} "
                      "stages passed · vibrastic project status · vibrastic's own engine: "
                      "import vibrastic as vb[/dim]", stages)
    else:
        table.add_row("", "Let's build our own: vibrastic's NumPy autograd engine\n"
                      "[dim]import vibrastic as vb[/dim]", "—")
    return table
