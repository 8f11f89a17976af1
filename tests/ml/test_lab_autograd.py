"""Lab autograd: the deck's numbers (∂f/∂x(1, 2) = 2, ∂g/∂x(2, 5) = 5) three ways, and graphs."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

import vibrastic as vb
from vibrastic.ml.labs.autograd import by_autograd, f_by_hand, g, g_by_hand, run


@pytest.mark.parametrize("backend", ["vibrastic", "torch"])
def test_the_decks_numbers_by_hand_torch_and_vibrastic(backend):
    m = run(backend=backend).metrics
    for source in ("by_hand", "torch", "vibrastic"):
        assert m[f"df_dx_{source}"] == 2.0  # the slide's solution: ∂f/∂x (1, 2) = y = 2
        assert m[f"df_dy_{source}"] == 1.0
        assert m[f"dg_dx_{source}"] == 5.0  # the challenge: y² − 2xy = 25 − 20
        assert m[f"dg_dy_{source}"] == 16.0  # 2xy − x² = 20 − 4
    assert m["f_value"] == 2.0 and m["g_value"] == 30.0
    assert m["max_abs_diff_torch_vs_by_hand"] == 0.0
    assert m["max_abs_diff_vibrastic_vs_by_hand"] == 0.0
    assert m["parity_max_abs_diff"] == 0.0


@pytest.mark.parametrize("at", [(-1.5, 0.25), (3.0, -2.0), (0.0, 7.0)])
def test_closed_form_matches_both_libraries_elsewhere(at):
    hand = g_by_hand(*at)
    for lib in (torch, vb):
        got = by_autograd(lib, g, at)
        assert got["d_dx"] == pytest.approx(hand[0], rel=1e-6)
        assert got["d_dy"] == pytest.approx(hand[1], rel=1e-6)
    assert f_by_hand(*at) == (at[1], at[0])


def test_other_points_are_configurable():
    m = run(f_at=(4.0, -3.0), g_at=(1.0, 1.0)).metrics
    assert m["df_dx_vibrastic"] == -3.0 and m["df_dy_torch"] == 4.0
    assert m["dg_dx_by_hand"] == -1.0 and m["dg_dy_vibrastic"] == 1.0


def test_table_and_graph_figures_end_to_end(tmp_path: Path):
    result = run()
    rows = result.tables["derivatives"]
    assert [r["derivative"] for r in rows] == ["∂f/∂x", "∂f/∂y", "∂g/∂x", "∂g/∂y"]
    assert all(r["by hand"] == r["torch"] == r["vibrastic"] for r in rows)
    assert set(result.figures) == {"graph-f", "graph-g"}
    # g's graph: output, Sub, 2 Mul, 2 Pow, 2 leaves, one box each
    assert len(result.figures["graph-g"].axes[0].patches) == 8
    paths = result.save_figures(tmp_path)
    assert len(paths) == 4 and all(p.stat().st_size > 0 for p in paths)
    assert {p.suffix for p in paths} == {".png", ".svg"}
