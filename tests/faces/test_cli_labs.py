"""``vibrastic lab``: list, run NAME (table or JSON, figures on disk), run --all, usage errors."""

from __future__ import annotations

import json
import re
from functools import partial
from pathlib import Path

import pytest
from typer.testing import CliRunner

from vibrastic.faces.cli import app
from vibrastic.ml.labs import registry as lab_registry
from vibrastic.ml.labs.base import LabResult
from vibrastic.ml.labs.registry import Lab
from vibrastic.platform.course import Course, Lesson, load_course

runner = CliRunner()


def invoke(*args: str):
    return runner.invoke(app, ["lab", *args])


def test_list_shows_every_lab_with_its_section():
    result = invoke("list")
    assert result.exit_code == 0
    for lab in lab_registry.REGISTRY.values():
        assert lab.name in result.stdout
    rows = re.findall(r"^│\s*(\d+) │ (\S+)", result.stdout, flags=re.MULTILINE)
    assert rows == [(str(i), name) for i, name in enumerate(load_course().labs, 1)]
    assert "lesson 4: Supervised" in result.stdout and "lesson 8: Multilayer" in result.stdout
    assert "Autograd" in result.stdout and "Backpropagation" in result.stdout


def test_run_json_and_figures(tmp_path: Path):
    result = invoke("run", "autograd", "--backend", "torch", "--out", str(tmp_path), "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["lab"] == "autograd" and data["backend"] == "torch" and data["seed"] == 0
    assert data["metrics"]["dg_dx_torch"] == 5.0 and data["metrics"]["df_dx_vibrastic"] == 2.0
    assert data["figures"] == ["graph-f", "graph-g"]
    saved = [Path(p) for p in data["saved"]]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in saved)
    assert {p.suffix for p in saved} == {".png", ".svg"} and len(saved) == 4
    assert all(p.stat().st_size > 0 for p in saved)


def test_run_renders_tables_and_defaults_to_vibrastic_out(tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = invoke("run", "autograd", "--seed", "4")
    assert result.exit_code == 0, result.output
    assert "autograd on vibrastic (seed 4)" in result.stdout
    assert "dg_dx_vibrastic" in result.stdout and "derivatives" in result.stdout
    assert "∂g/∂x computed by vibrastic's" in result.stdout  # each metric explained in words
    folder = tmp_path / "vibrastic-out" / "autograd"
    assert (folder / "autograd-graph-g.png").stat().st_size > 0
    assert (folder / "autograd-graph-g.svg").stat().st_size > 0
    assert "vibrastic-out" in result.stdout


def test_unknown_lab_exits_2_and_lists_the_valid_ones():
    result = invoke("run", "no-such-lab")
    assert result.exit_code == 2
    assert "no-such-lab" in result.stderr
    for name in ("autograd", "activations", "mlp-backprop", "xor"):
        assert name in result.stderr


def test_bad_backend_exits_2_naming_the_valid_ones():
    result = invoke("run", "autograd", "--backend", "jax")
    assert result.exit_code == 2
    assert "jax" in result.stderr and "torch" in result.stderr and "vibrastic" in result.stderr


def test_negative_seed_exits_2():
    result = invoke("run", "autograd", "--seed", "-1")
    assert result.exit_code == 2
    assert "--seed" in result.output


@pytest.mark.parametrize("args", [(), ("autograd", "--all")])
def test_name_xor_all_is_required(args):
    result = invoke("run", *args)
    assert result.exit_code == 2
    assert "--all" in result.stderr and "autograd" in result.stderr


@pytest.fixture
def small_registry(monkeypatch):
    """Three real labs in small configurations plus a numpy-only one, for --all; a course whose
    one lesson names the three (the numpy-only lab is in the library, not in the course)."""

    def numpy_only(backend: str = "numpy", seed: int = 0) -> LabResult:
        return LabResult("numpy-only", backend, seed, metrics={"seed_plus_one": seed + 1})

    from vibrastic.ml.labs import autograd, mlp_backprop, xor

    registry = {
        "autograd": lab_registry.REGISTRY["autograd"],
        "numpy-only": Lab("numpy-only", "Test", "numpy only", numpy_only, ("numpy",)),
        "mlp-backprop": Lab("mlp-backprop", "MLP", "small", partial(
            mlp_backprop.run, steps=20, parity_steps=5)),
        "xor": Lab("xor", "XOR", "small", partial(xor.run, epochs=30, parity_epochs=10)),
    }
    assert autograd.run is registry["autograd"].run
    monkeypatch.setattr(lab_registry, "REGISTRY", registry)
    real = load_course()
    lesson = Lesson(1, "small", "Small", real.lessons[0].path,
                    labs=("autograd", "mlp-backprop", "xor"))
    small = Course(real.id, real.title, real.root, lessons=(lesson,))
    monkeypatch.setattr("vibrastic.platform.course.labs.load_course", lambda: small)
    return registry


def test_run_all_json_with_fallback(small_registry, tmp_path: Path):
    result = invoke("run", "--all", "--backend", "torch", "--seed", "2", "--out", str(tmp_path),
                    "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [d["lab"] for d in data] == ["autograd", "mlp-backprop", "xor", "numpy-only"]
    by_lab = {d["lab"]: d for d in data}
    assert by_lab["xor"]["backend"] == "torch" and by_lab["xor"]["metrics"]["epochs"] == 30
    assert by_lab["numpy-only"]["backend"] == "numpy"
    assert by_lab["numpy-only"]["metrics"] == {"seed_plus_one": 3}
    assert "does not run on torch" in by_lab["numpy-only"]["notes"][0]
    assert all(d["seed"] == 2 for d in data)
    for name in ("autograd", "mlp-backprop", "xor"):
        pngs = list((tmp_path / name).glob("*.png"))
        assert pngs and all(p.stat().st_size > 0 for p in pngs)
        assert len(list((tmp_path / name).glob("*.svg"))) == len(pngs)


def test_run_all_table(small_registry, tmp_path: Path):
    result = invoke("run", "--all", "--out", str(tmp_path))
    assert result.exit_code == 0, result.output
    assert "4 of 4 labs ran" in result.stdout
    for name in small_registry:
        assert name in result.stdout


def test_run_all_reports_a_failing_lab_and_exits_1(small_registry, tmp_path: Path):
    def broken(backend: str = "vibrastic", seed: int = 0) -> LabResult:
        raise RuntimeError("boom")

    small_registry["xor"] = Lab("xor", "XOR", "broken", broken)
    result = invoke("run", "--all", "--out", str(tmp_path), "--json")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert {"lab": "xor", "error": "RuntimeError: boom"} in data
    assert "xor" in result.stderr and (tmp_path / "autograd").is_dir()


def test_run_explains_the_tables_columns_in_words(monkeypatch, tmp_path: Path):
    from vibrastic.ml.labs import learning_rate

    small = Lab("learning-rate", "LR", "small",
                partial(learning_rate.run, alphas=(0.05, 0.07), max_iters=5))
    monkeypatch.setitem(lab_registry.REGISTRY, "learning-rate", small)
    result = invoke("run", "learning-rate", "--out", str(tmp_path))
    assert result.exit_code == 0, result.output
    text = " ".join(result.stdout.split())
    for column in ("final_error: E(w) after the last iteration",
                   "spectral_radius: how much each step multiplies the distance to the optimum",
                   "diverges: whether α is above 2/λ_max (theory)",
                   "error_grew: whether the error ended above where it started (observed)"):
        assert column in text


def test_lab_text_with_square_brackets_is_printed_as_written():
    """Rich would read "[a, b]" as markup and drop it; lab text is shown as the lab wrote it."""
    from rich.console import Console

    from vibrastic.faces.cli.labs import render_result

    result = LabResult("brackets", "vibrastic", 0, metrics={"shape[0]": "[2, 3]"},
                       tables={"[rows]": [{"[col]": "[a, b]", "plain": 1.5}]},
                       notes=["ran on [bold]vibrastic[/bold]"])
    console = Console(width=200, record=True, color_system=None)
    console.print(render_result(result))
    text = console.export_text()
    for written in ("[2, 3]", "shape[0]", "[rows]", "[col]", "[a, b]",
                    "ran on [bold]vibrastic[/bold]"):
        assert written in text
    assert "note:" in text
