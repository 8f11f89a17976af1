"""How a tensor prints: PyTorch's layout, so printed output matches torch's digit for digit.

A port of ``torch/_tensor_str.py`` for NumPy arrays. Floats print with 4 decimals
(``tensor([0.5000, 1.2500])``), whole floats with a trailing dot (``tensor([1., 2.])``), and in
scientific notation when the values span more than 1000× or leave [1e-4, 1e8]; columns are
right-aligned to one width, lines wrap at 80 characters, and tensors over 1000 elements show their
first and last 3 entries around ``...``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

PRECISION = 4
THRESHOLD = 1000
EDGEITEMS = 3
LINEWIDTH = 80
SCI_MODE: bool | None = None  # None: decided per tensor, as torch


def set_printoptions(precision: int | None = None, threshold: int | None = None,
                     edgeitems: int | None = None, linewidth: int | None = None,
                     profile: str | None = None, sci_mode: bool | None = None) -> None:
    """Change how tensors print, as ``torch.set_printoptions`` (profile: default/short/full)."""
    global PRECISION, THRESHOLD, EDGEITEMS, LINEWIDTH, SCI_MODE
    if profile is not None:
        presets = {"default": (4, 1000, 3, 80), "short": (2, 1000, 2, 80),
                   "full": (4, 2**63 - 1, 3, 80)}
        if profile not in presets:
            raise ValueError(f"profile must be one of {sorted(presets)}, got {profile!r}")
        PRECISION, THRESHOLD, EDGEITEMS, LINEWIDTH = presets[profile]
    PRECISION = PRECISION if precision is None else precision
    THRESHOLD = THRESHOLD if threshold is None else threshold
    EDGEITEMS = EDGEITEMS if edgeitems is None else edgeitems
    LINEWIDTH = LINEWIDTH if linewidth is None else linewidth
    SCI_MODE = sci_mode


class _Formatter:
    """Picks one format (integer, fixed or scientific) and one width for all of an array."""

    def __init__(self, values: np.ndarray) -> None:
        self.floating = values.dtype.kind == "f"
        self.int_mode, self.sci_mode, self.max_width = True, False, 1
        flat = values.reshape(-1)
        if not self.floating:
            for v in flat.tolist():
                self.max_width = max(self.max_width, len(str(v)))
            return
        finite = flat[np.isfinite(flat) & (flat != 0)].astype(np.float64)
        if finite.size == 0:
            return
        absolute = np.abs(finite)
        lo, hi = float(absolute.min()), float(absolute.max())
        self.int_mode = bool(np.all(finite == np.ceil(finite)))
        self.sci_mode = (hi / lo > 1000.0 or hi > 1.0e8 or lo < 1.0e-4) if SCI_MODE is None \
            else SCI_MODE
        for v in finite.tolist():
            if self.sci_mode:
                width = len(f"{v:.{PRECISION}e}")
            elif self.int_mode:
                width = len(f"{v:.0f}") + 1
            else:
                width = len(f"{v:.{PRECISION}f}")
            self.max_width = max(self.max_width, width)

    def format(self, value: Any) -> str:
        if self.floating:
            if self.sci_mode:
                text = f"{value:{self.max_width}.{PRECISION}e}"
            elif self.int_mode:
                text = f"{value:.0f}"
                if not (math.isinf(value) or math.isnan(value)):
                    text += "."
            else:
                text = f"{value:.{PRECISION}f}"
        else:
            text = str(value)
        return " " * (self.max_width - len(text)) + text


def _summarized(x: np.ndarray) -> np.ndarray:
    """The values that will be shown (edges only) for choosing the format."""
    if x.ndim == 0:
        return x
    if x.shape[0] > 2 * EDGEITEMS:
        x = np.concatenate((x[:EDGEITEMS], x[-EDGEITEMS:]))
    if x.ndim == 1:
        return x
    return np.stack([_summarized(row) for row in x])


def _vector(x: np.ndarray, indent: int, summarize: bool, fmt: _Formatter) -> str:
    per_line = max(1, math.floor((LINEWIDTH - indent) / (fmt.max_width + 2)))
    if summarize and x.shape[0] > 2 * EDGEITEMS:
        data = ([fmt.format(v) for v in x[:EDGEITEMS].tolist()] + [" ..."]
                + [fmt.format(v) for v in x[-EDGEITEMS:].tolist()])
    else:
        data = [fmt.format(v) for v in x.tolist()]
    lines = [", ".join(data[i:i + per_line]) for i in range(0, len(data), per_line)]
    return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"


def _nested(x: np.ndarray, indent: int, summarize: bool, fmt: _Formatter) -> str:
    if x.ndim == 0:
        return fmt.format(x.item())
    if x.ndim == 1:
        return _vector(x, indent, summarize, fmt)
    if summarize and x.shape[0] > 2 * EDGEITEMS:
        rows = ([_nested(x[i], indent + 1, summarize, fmt) for i in range(EDGEITEMS)] + ["..."]
                + [_nested(x[i], indent + 1, summarize, fmt)
                   for i in range(len(x) - EDGEITEMS, len(x))])
    else:
        rows = [_nested(x[i], indent + 1, summarize, fmt) for i in range(x.shape[0])]
    return "[" + ("," + "\n" * (x.ndim - 1) + " " * (indent + 1)).join(rows) + "]"


def array_str(x: np.ndarray, indent: int) -> str:
    """The bracketed values of ``x`` as torch prints them, continuation lines indented."""
    if x.size == 0:
        return "[]"
    summarize = x.size > THRESHOLD
    if x.dtype == np.float16:
        x = x.astype(np.float32)
    fmt = _Formatter(_summarized(x) if summarize else x)
    return _nested(x, indent, summarize, fmt)


def tensor_repr(x: np.ndarray, suffixes: list[str], prefix: str = "tensor(") -> str:
    """``tensor(<values>, <suffixes>)``, suffixes wrapped onto new lines past 80 characters."""
    indent = len(prefix)
    if x.size == 0 and x.shape != (0,):
        suffixes = [f"size={tuple(x.shape)}", *suffixes]
    text = array_str(x, indent)
    parts = [prefix + text]
    last_line = len(parts[0]) - parts[0].rfind("\n") + 1
    for suffix in suffixes:
        if last_line + len(suffix) + 2 > LINEWIDTH:
            parts.append(",\n" + " " * indent + suffix)
            last_line = indent + len(suffix)
        else:
            parts.append(", " + suffix)
            last_line += len(suffix) + 2
    return "".join(parts) + ")"
