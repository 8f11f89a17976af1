"""Lessons (and challenge statements) as HTML: prose, math, highlighted code, executed outputs.

A lesson is executed once in a Jupyter kernel (``execute.execute_notebook``, figures as SVG) and
the rendered page is cached on disk under a *content hash*: the lesson's expanded notebook, the
quick flag, this renderer's version and the source of the library the lesson imports. Edit the
lesson or the library and the hash changes, so the next view executes it again; nothing else ever
invalidates a page.

Math is written ``$…$`` / ``$$…$$`` in the lessons. It is rendered here to MathML (latex2mathml),
so a page reads without JavaScript and screen readers get MathML; the page's script then
re-typesets each formula with KaTeX, which keeps MathML beside its HTML.
"""

from __future__ import annotations

import hashlib
import html
import json
import os
import re
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from vibrastic.platform.course.model import Lesson

if TYPE_CHECKING:
    from markdown_it import MarkdownIt
    from nbformat import NotebookNode

RENDER_VERSION = "2"
FIGURES_PLACEHOLDER = "__VIBRASTIC_FIGURES__"
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


# ---- markdown, math and code ----

def _math(tex: str, display: bool, block: bool | None = None) -> str:
    """MathML for ``tex`` inside an element that keeps the TeX (KaTeX re-renders it).

    ``block``: a ``div`` (a paragraph of its own) rather than a ``span`` (inside a paragraph);
    by default a displayed formula is a block."""
    from latex2mathml.converter import convert

    tag = "div" if (display if block is None else block) else "span"
    cls = "math display" if display else "math"
    attr = html.escape(tex.strip(), quote=True)
    try:
        mathml = convert(tex.strip(), display="block" if display else "inline")
    except Exception:  # latex2mathml does not know every macro: show the TeX itself
        return f'<{tag} class="{cls}" data-tex="{attr}"><code>{html.escape(tex)}</code></{tag}>'
    return f'<{tag} class="{cls}" data-tex="{attr}">{mathml}</{tag}>'


@lru_cache(maxsize=512)  # pure: a challenge page highlights the same statement every time
def highlight_python(code: str) -> str:
    """Python source as highlighted HTML (Pygments classes; the stylesheet colours them)."""
    from pygments import highlight
    from pygments.formatters import HtmlFormatter
    from pygments.lexers import PythonLexer

    body = highlight(code, PythonLexer(), HtmlFormatter(nowrap=True))
    return f'<pre class="code highlight"><code>{body}</code></pre>'


def _highlight_fence(code: str, lang: str, _attrs: str) -> str:
    if lang.strip().lower() in ("python", "py", "python3", ""):
        return highlight_python(code.rstrip("\n"))
    return f'<pre class="code"><code>{html.escape(code)}</code></pre>'


@cache
def _markdown() -> MarkdownIt:
    from markdown_it import MarkdownIt
    from mdit_py_plugins.anchors import anchors_plugin
    from mdit_py_plugins.dollarmath import dollarmath_plugin

    md = MarkdownIt("commonmark", {"html": False, "highlight": _highlight_fence})
    md.enable("table").enable("strikethrough")
    md.use(dollarmath_plugin, double_inline=True, allow_digits=False)
    md.use(anchors_plugin, min_level=2, max_level=3)
    md.add_render_rule("math_inline", lambda self, tokens, i, *_: _math(tokens[i].content, False))
    md.add_render_rule("math_inline_double",
                       lambda self, tokens, i, *_: _math(tokens[i].content, True, False))
    md.add_render_rule("math_block", lambda self, tokens, i, *_: _math(tokens[i].content, True))
    md.add_render_rule("math_block_label",
                       lambda self, tokens, i, *_: _math(tokens[i].content, True))
    return md


@lru_cache(maxsize=1024)  # pure: statements and posts are rendered on every view
def markdown_html(text: str) -> str:
    """Markdown (CommonMark + tables + ``$``-math) as HTML; raw HTML in the text is escaped."""
    return _markdown().render(text)


def pygments_css() -> str:
    """Stylesheet for highlighted code: a light style, and a dark one for dark system themes."""
    from pygments.formatters import HtmlFormatter

    light = HtmlFormatter(style="default").get_style_defs(".highlight")
    dark = HtmlFormatter(style="monokai").get_style_defs(".highlight")
    light = re.sub(r"\.highlight \{ background: [^;]+; \}", "", light)
    dark = re.sub(r"\.highlight \{ background: [^;]+; \}", "", dark)
    return f"{light}\n@media (prefers-color-scheme: dark) {{\n{dark}\n}}\n"


# ---- a lesson's page ----

@dataclass
class LessonPage:
    """A rendered lesson: the HTML body, whether it was executed, the error of a failed cell.

    ``html`` refers to figures as ``FIGURES_PLACEHOLDER/<file>``; the face substitutes the URL.
    """

    key: str
    html: str
    executed: bool
    error: str | None = None
    seconds: float = 0.0
    figures: dict[str, bytes] = field(default_factory=dict)
    built_at: float = 0.0


@cache
def library_digest() -> str:
    """sha256 of the Python source a lesson can import (engine, ML library, course model)."""
    root = Path(__file__).resolve().parents[2]
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root).as_posix()
        if rel.startswith(("faces/", "courses/")) or "__pycache__" in rel:
            continue
        digest.update(rel.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def lesson_key(lesson: Lesson, nb: NotebookNode | None = None, *, quick: bool = False) -> str:
    """The content hash a lesson's page is cached under (see the module docstring)."""
    nb = nb if nb is not None else lesson.notebook()
    digest = hashlib.sha256()
    digest.update(f"{RENDER_VERSION}|{int(quick)}|{library_digest()}|".encode())
    for cell in nb.cells:  # types and sources only: cell ids are random per read
        digest.update(f"\0{cell.cell_type}\0{cell.source}".encode())
    return digest.hexdigest()[:24]


def _output_html(out: NotebookNode, cell_no: int, k: int,
                 figures: dict[str, bytes]) -> str:
    kind = out.get("output_type")
    if kind == "stream":
        cls = "output stderr" if out.get("name") == "stderr" else "output"
        return f'<pre class="{cls}">{html.escape(ANSI.sub("", out.get("text", "")))}</pre>'
    if kind == "error":
        trace = ANSI.sub("", "\n".join(out.get("traceback", [])))
        return (f'<pre class="output error" role="alert">{html.escape(out.get("ename", ""))}: '
                f'{html.escape(out.get("evalue", ""))}\n{html.escape(trace)}</pre>')
    data = out.get("data", {})
    alt = f"Figure from code cell {cell_no}"
    if "image/svg+xml" in data:
        svg = data["image/svg+xml"]
        name = f"cell{cell_no:02d}-{k}.svg"
        figures[name] = (svg if isinstance(svg, str) else "".join(svg)).encode()
    elif "image/png" in data:
        import base64

        name = f"cell{cell_no:02d}-{k}.png"
        figures[name] = base64.b64decode(data["image/png"])
    elif "text/plain" in data:
        return f'<pre class="output">{html.escape(ANSI.sub("", data["text/plain"]))}</pre>'
    else:
        return ""
    return (f'<figure class="output-figure"><img src="{FIGURES_PLACEHOLDER}/{name}" '
            f'alt="{alt}"></figure>')


def render_notebook(nb: NotebookNode, *, executed: bool) -> tuple[str, dict[str, bytes]]:
    """HTML of every cell in order (code with its outputs when ``executed``), and the figures."""
    parts: list[str] = []
    figures: dict[str, bytes] = {}
    code_no = 0
    for cell in nb.cells:
        if not cell.source.strip():
            continue
        if cell.cell_type == "markdown":
            parts.append(f'<section class="prose">{markdown_html(cell.source)}</section>')
        elif cell.cell_type == "code":
            code_no += 1
            outs = "".join(_output_html(o, code_no, k, figures)
                           for k, o in enumerate(cell.get("outputs", []), 1)) if executed else ""
            outputs = (f'<div class="outputs" aria-label="Output of code cell {code_no}">'
                       f"{outs}</div>") if outs else ""
            parts.append(f'<div class="cell" id="cell-{code_no}">'
                         f'<div class="cell-label">In [{code_no}]</div>'
                         f"{highlight_python(cell.source)}{outputs}</div>")
    return "\n".join(parts), figures


def unexecuted_page(lesson: Lesson, *, quick: bool = False) -> LessonPage:
    """The lesson's text and code without outputs (shown while it executes, and without JS)."""
    nb = lesson.notebook()
    body, _ = render_notebook(nb, executed=False)
    return LessonPage(lesson_key(lesson, nb, quick=quick), body, executed=False)


class LessonCache:
    """Rendered lesson pages on disk: ``<root>/<key>/page.json`` plus its figure files."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def key(self, lesson: Lesson, *, quick: bool = False) -> str:
        return lesson_key(lesson, quick=quick)

    def load(self, key: str) -> LessonPage | None:
        """The cached page for ``key``, or None (a damaged entry counts as missing)."""
        meta = self.root / key / "page.json"
        try:
            data = json.loads(meta.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return LessonPage(key, data["html"], True, data.get("error"), data.get("seconds", 0.0),
                          built_at=data.get("built_at", 0.0))

    def figure(self, key: str, name: str) -> Path | None:
        """The path of one cached figure, or None (names are checked: no path tricks)."""
        if not re.fullmatch(r"[0-9a-f]{8,64}", key) or not re.fullmatch(
                r"cell\d+-\d+\.(svg|png)", name):
            return None
        path = self.root / key / name
        return path if path.is_file() else None

    def store(self, page: LessonPage) -> None:
        """Write a page atomically: a temporary folder renamed into place."""
        self.root.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{page.key}-", dir=self.root))
        for name, data in page.figures.items():
            (tmp / name).write_bytes(data)
        (tmp / "page.json").write_text(json.dumps({
            "html": page.html, "error": page.error, "seconds": page.seconds,
            "built_at": page.built_at}), encoding="utf-8")
        final = self.root / page.key
        if final.exists():
            old = final.with_name(f".{page.key}-old-{os.getpid()}-{time.monotonic_ns()}")
            os.replace(final, old)
            shutil.rmtree(old, ignore_errors=True)
        os.replace(tmp, final)

    def build(self, lesson: Lesson, *, quick: bool = False,
              timeout: int | None = None) -> LessonPage:
        """Execute the lesson (figures as SVG), render it, store it; return the page.

        A failing cell does not lose the rest: the page keeps the outputs up to it and says
        which error stopped the run (``page.error``).
        """
        from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

        from vibrastic.platform.course.execute import execute_notebook

        nb = lesson.notebook()
        key = lesson_key(lesson, nb, quick=quick)
        limit = timeout or (lesson.budget_seconds if quick else None)
        start = time.perf_counter()
        error = None
        with tempfile.TemporaryDirectory(prefix="vibrastic-lesson-") as cwd:
            try:
                execute_notebook(nb, cwd=Path(cwd), timeout=limit, quick=quick,
                                 figure_format="svg")
            except CellExecutionError as exc:
                error = (f"a cell ran longer than {limit} s" if exc.ename == "CellTimeoutError"
                         else f"a cell failed: {exc.ename}: {exc.evalue}")
            except CellTimeoutError:
                error = f"a cell ran longer than {limit} s and did not stop"
            except DeadKernelError as exc:
                error = f"the kernel died: {exc}"
        body, figures = render_notebook(nb, executed=True)
        page = LessonPage(key, body, True, error, time.perf_counter() - start, figures,
                          built_at=time.time())
        self.store(page)
        return page
