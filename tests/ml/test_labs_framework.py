"""The labs framework: registry, run_lab (fallback, errors), JSON-safe results, saved figures,
and the shared plot helpers (computation graph, curves)."""

from __future__ import annotations

import inspect
import json
import math
from pathlib import Path

import numpy as np
import pytest
import torch
from matplotlib.figure import Figure

import vibrastic as vb
from vibrastic.ml.labs import (
    REGISTRY,
    LabResult,
    UnknownLabError,
    get_lab,
    read_catalogue,
    register,
    run_lab,
)
from vibrastic.ml.labs.backends import get_backend, other_backend
from vibrastic.ml.labs.base import BACKENDS
from vibrastic.ml.plots.curves import activation_figure, loss_curve_figure
from vibrastic.ml.plots.graph import computation_graph_figure, trace_graph


@pytest.fixture
def numpy_lab():
    """A throw-away lab that neither trains nor differentiates (removed after the test)."""

    @register("test-numpy-only", "Test slide", "a numpy-only lab for tests", backends=("numpy",))
    def run(backend: str = "numpy", seed: int = 0, size: int = 3) -> LabResult:
        result = LabResult("test-numpy-only", backend, seed)
        rng = np.random.default_rng(seed)
        result.metrics["mean"] = float(rng.random(size).mean())
        result.metrics["size"] = size
        return result

    yield REGISTRY["test-numpy-only"]
    del REGISTRY["test-numpy-only"]


def test_my_labs_are_registered_with_sections_and_both_backends():
    for name in ("autograd", "activations", "mlp-backprop", "xor"):
        lab = get_lab(name)
        assert lab.section and lab.summary
        assert lab.backends == BACKENDS


def test_every_registered_lab_follows_the_conventions():
    for lab in REGISTRY.values():
        assert lab.backends == BACKENDS or lab.backends == ("numpy",), lab.name
        params = inspect.signature(lab.run).parameters
        assert "backend" in params and "seed" in params, lab.name
        assert isinstance(params["seed"].default, int)


def test_the_catalogue_lists_labs_by_name_without_importing_them(tmp_path: Path):
    assert list(REGISTRY) == sorted(REGISTRY)  # no order of its own: a course orders labs
    assert len(REGISTRY) == 10
    assert REGISTRY["xor"].target == "vibrastic.ml.labs.xor:run"
    broken = tmp_path / "labs.toml"
    broken.write_text('[[labs]]\nname = "x"\nrun = "no_colon"\nsection = "s"\nsummary = "t"\n')
    with pytest.raises(ValueError, match="module:function"):
        read_catalogue(broken)
    broken.write_text('[[labs]]\nname = "x"\nrun = "m:f"\n')
    with pytest.raises(ValueError, match="lacks section, summary"):
        read_catalogue(broken)


def test_unknown_lab_lists_the_valid_ones():
    with pytest.raises(UnknownLabError) as err:
        get_lab("no-such-lab")
    assert "no-such-lab" in str(err.value)
    for name in ("autograd", "xor"):
        assert name in str(err.value)


def test_run_lab_rejects_an_unknown_backend():
    with pytest.raises(ValueError, match="torch, vibrastic"):
        run_lab("autograd", backend="jax")


def test_run_lab_falls_back_to_the_labs_own_backend_and_says_so(numpy_lab):
    result = run_lab("test-numpy-only", backend="torch", seed=3, size=5)
    assert result.backend == "numpy"
    assert result.seed == 3 and result.metrics["size"] == 5
    assert "does not run on torch" in result.notes[0] and "numpy" in result.notes[0]
    plain = run_lab("test-numpy-only")  # no backend asked: no note
    assert plain.backend == "numpy" and plain.notes == []
    assert plain.metrics["mean"] == pytest.approx(np.random.default_rng(0).random(3).mean())


def test_run_lab_defaults_to_vibrastic_and_keeps_the_labs_seed():
    result = run_lab("autograd")
    assert result.backend == "vibrastic" and result.seed == 0
    assert run_lab("autograd", backend="torch", seed=7).backend == "torch"


def test_to_json_is_strict_json():
    result = LabResult("x", "numpy", 1, metrics={
        "a": np.float32(0.5), "b": np.int64(3), "c": float("inf"), "d": float("nan"),
        "e": np.bool_(True), "f": -math.inf, "g": "text"},
        tables={"t": [{"v": np.float64(2.0)}]}, notes=["n"])
    text = json.dumps(result.to_json(), allow_nan=False)
    back = json.loads(text)
    assert back["metrics"] == {"a": 0.5, "b": 3, "c": "inf", "d": "nan", "e": True,
                               "f": "-inf", "g": "text"}
    assert back["tables"] == {"t": [{"v": 2.0}]} and back["notes"] == ["n"]
    assert back["lab"] == "x" and back["seed"] == 1 and back["figures"] == []


def test_lab_tables_read_the_same_before_and_after_json():
    """What the CLI prints and the web shows: cells as text (yes/no, 6 significant digits, a
    missing cell empty), columns in first-seen order, names with an underscore explained."""
    from vibrastic.ml.labs.glossary import explain_column, lab_tables

    tables = {"alpha_runs": [{"alpha": np.float32(0.05), "final_error": 1 / 3,
                              "diverges": np.bool_(False)},
                             {"alpha": 0.07, "final_error": math.inf, "diverges": True,
                              "steps": np.int64(25)}]}
    [shown] = lab_tables("learning-rate", tables)
    assert shown.title == "alpha runs" and shown.columns == ["alpha", "final_error", "diverges",
                                                             "steps"]
    assert shown.rows == [["0.05", "0.333333", "no", ""], ["0.07", "inf", "yes", "25"]]
    assert shown.explained == {c: explain_column("learning-rate", c)
                               for c in ("final_error", "diverges")}
    assert shown.numeric == ["alpha", "final_error", "steps"]  # right-aligned; yes/no are not
    back = json.loads(json.dumps(LabResult("learning-rate", "numpy", 0, tables=tables).to_json(),
                                 allow_nan=False))
    assert lab_tables("learning-rate", back["tables"]) == [shown]


def test_save_figures_writes_png_and_svg(tmp_path: Path):
    fig = Figure()
    fig.add_subplot().plot([0, 1], [1, 0])
    result = LabResult("demo", "numpy", 0, figures={"line": fig})
    paths = result.save_figures(tmp_path / "nested")
    assert sorted(p.name for p in paths) == ["demo-line.png", "demo-line.svg"]
    assert all(p.stat().st_size > 0 for p in paths)
    assert paths[0].read_bytes()[:4] == b"\x89PNG"


def test_backends():
    assert get_backend("torch") is torch and get_backend("vibrastic") is vb
    assert other_backend("torch") == "vibrastic" and other_backend("vibrastic") == "torch"
    with pytest.raises(ValueError, match="expected one of"):
        get_backend("numpy")


# ---- plots ----

@pytest.mark.parametrize("lib", [torch, vb], ids=["torch", "vibrastic"])
def test_trace_graph_of_g(lib):
    x = lib.tensor(2.0, requires_grad=True)
    y = lib.tensor(5.0, requires_grad=True)
    g = x * y**2 - x**2 * y
    nodes = trace_graph(g, {"x": x, "y": y}, "g")
    names = sorted(n.name.rstrip("0123456789") for n in nodes)
    assert names == ["AccumulateGrad", "AccumulateGrad", "MulBackward", "MulBackward",
                     "PowBackward", "PowBackward", "SubBackward", "output"]
    by_label = {n.label.split("\n")[0]: n for n in nodes}
    assert by_label["g = 30"].depth == 0
    assert by_label["x = 2"].kind == "leaf" and by_label["y = 5"].kind == "leaf"
    assert by_label["x = 2"].depth == by_label["y = 5"].depth == 4  # Sub, Mul, Pow, leaf
    sub = next(n for n in nodes if n.name.startswith("SubBackward"))
    assert len(sub.inputs) == 2
    fig = computation_graph_figure(g, {"x": x, "y": y}, "g")
    assert isinstance(fig, Figure) and len(fig.axes[0].patches) == len(nodes)


@pytest.mark.parametrize("lib", [torch, vb], ids=["torch", "vibrastic"])
def test_an_input_without_gradient_is_drawn_and_named(lib):
    """Lesson 2's f = x * y with y a constant: y is in the graph, as a "no gradient" box."""
    x, y = lib.tensor(1.0, requires_grad=True), lib.tensor(2.0)
    nodes = trace_graph(x * y, {"x": x, "y": y}, "f")
    assert [(n.kind, n.label) for n in nodes if n.kind in ("leaf", "const")] == [
        ("leaf", "x = 1\nAccumulateGrad"), ("const", "y = 2\nno gradient")]
    mul = next(n for n in nodes if n.kind == "op")
    assert len(mul.inputs) == 2
    fig = computation_graph_figure(x * y, {"x": x, "y": y}, "f")
    assert len(fig.axes[0].patches) == 4
    unnamed = trace_graph(x * y, {"x": x}, "f")  # nothing to name it after
    assert [n.label for n in unnamed if n.kind == "const"] == ["constant\nno gradient"]


def test_trace_graph_needs_a_graph():
    with pytest.raises(ValueError, match="requires_grad"):
        trace_graph(vb.tensor(1.0))


def test_a_leaf_used_twice_appears_once():
    x = vb.tensor(3.0, requires_grad=True)
    nodes = trace_graph(x * x, {"x": x})
    assert [n.kind for n in nodes].count("leaf") == 1
    mul = next(n for n in nodes if n.kind == "op")
    assert len(mul.inputs) == 2 and mul.inputs[0] == mul.inputs[1]


def test_curve_helpers_draw_what_they_are_given():
    x = np.linspace(-1, 1, 5)
    fig = activation_figure(x, x**2, 2 * x, "square", "f(x) = x²")
    lines = fig.axes[0].get_lines()
    assert np.allclose(lines[-1].get_ydata(), 2 * x) and np.allclose(lines[-2].get_ydata(), x**2)
    fig = loss_curve_figure({"a": ([0, 1, 2], [1.0, 0.5, 0.25]), "b": ([0, 1], [2.0, 1.0])})
    ax = fig.axes[0]
    assert ax.get_yscale() == "log" and len(ax.get_lines()) == 2
