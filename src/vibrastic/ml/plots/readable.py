"""What makes a figure readable on its own, checked on matplotlib's objects (for course authors
and the tests of every lab and lesson figure).

A figure passes when each axes has a title in words (its own, or the figure's suptitle when the
panel's is only a formula such as ``α = 0.02``), both axis labels in words (``x (input)``,
``iteration``, ``$w_0$ (slope)``: not a bare symbol such as ``x`` or ``E(w)``; the words say what
is measured, in which unit), a legend wherever more than one labelled thing is drawn (on the axes
or elsewhere on the figure), and a label on every colorbar. Axes turned off (a diagram) need only
the title; insets (a zoom) are parts of their axes and are not checked on their own.
"""

from __future__ import annotations

import re

from matplotlib.axes import Axes
from matplotlib.figure import Figure

WORD = re.compile(r"[A-Za-z]{3,}")
MATH = re.compile(r"\$[^$]*\$")


def words(text: str) -> list[str]:
    """The words of a label, leaving out its math (``$\\alpha=0.02$`` has none)."""
    return WORD.findall(MATH.sub(" ", text))


def _title(ax: Axes, fig: Figure) -> str:
    own = ax.get_title()
    suptitle = fig._suptitle.get_text() if fig._suptitle is not None else ""
    return own if len(words(own)) >= 2 else suptitle


def _has_legend(ax: Axes, fig: Figure) -> bool:
    return (ax.get_legend() is not None or bool(fig.legends)
            or any(other.get_legend() is not None for other in fig.axes))


def figure_problems(fig: Figure, name: str = "figure") -> list[str]:
    """Every way ``fig`` falls short of the rules above, one line each (empty: it passes)."""
    found = []
    for i, ax in enumerate(fig.axes):
        where = f"{name} (axes {i})"
        if ax.get_label() == "<colorbar>":
            if not words(ax.get_ylabel()) and not words(ax.get_xlabel()):
                found.append(f"{where}: colorbar without a label in words")
            continue
        if len(words(_title(ax, fig))) < 2:
            found.append(f"{where}: no title in words ({ax.get_title()!r})")
        if not ax.axison:  # a diagram (the computation graph): no axes to label
            continue
        for axis, label in (("x", ax.get_xlabel()), ("y", ax.get_ylabel())):
            if not words(label):
                found.append(f"{where}: {axis} axis label not in words ({label!r})")
        _handles, labels = ax.get_legend_handles_labels()
        if len(labels) > 1 and not _has_legend(ax, fig):
            found.append(f"{where}: {len(labels)} labelled things drawn ({', '.join(labels)}) "
                         "but no legend")
    return found
