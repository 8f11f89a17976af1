"""Lab xor: the deck's network learns XOR (within 0.05) on both backends from the same weights."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

import vibrastic as vb
from vibrastic.ml.labs.xor import (
    XOR_TABLE,
    initial_weights,
    predictions,
    results_table,
    run,
    train,
    weights_of,
    xor_class,
)

TARGETS = [t for _, _, t in XOR_TABLE]


@pytest.fixture(scope="module")
def short():
    return run(epochs=600, parity_epochs=300, record_every=50)


@pytest.mark.slow
def test_the_decks_full_run_learns_xor_on_vibrastic():
    m = run(backend="vibrastic").metrics  # 50,000 epochs, lr = 0.01, one sample per step
    assert m["epochs"] == 50_000 and m["lr"] == 0.01
    assert m["converged"] and m["max_error"] < 0.05
    for (x, y, t) in XOR_TABLE:
        assert abs(m[f"predicted_{int(x)}_{int(y)}"] - t) < 0.05
    assert abs(m["inference_1_0"] - 1) < 0.05
    assert m["parity_epochs"] == 1000 and m["parity_max_abs_diff"] < 1e-5


@pytest.mark.slow
def test_the_same_weights_learn_xor_on_torch():
    # torch costs ~1.3 ms per step here, so 10,000 of the deck's 50,000 epochs (seed 0 has
    # converged by then on either backend); the full run is `vibrastic lab run xor -b torch`
    lab = run(backend="torch", epochs=10_000, parity_epochs=500)
    m = lab.metrics
    assert lab.backend == "torch"
    assert m["max_error"] < 0.05
    for (x, y, t) in XOR_TABLE:
        assert abs(m[f"predicted_{int(x)}_{int(y)}"] - t) < 0.05
    assert m["parity_max_abs_diff"] < 1e-5


def test_both_backends_start_from_the_same_weights_and_stay_together():
    start = initial_weights(0)
    nets = {}
    for lib in (torch, vb):
        nets[lib.__name__] = train(lib, start, epochs=0)
        assert all(np.array_equal(weights_of(nets[lib.__name__].net)[k], start[k]) for k in start)
    runs = {lib.__name__: train(lib, start, epochs=200, record_every=50) for lib in (torch, vb)}
    a, b = weights_of(runs["torch"].net), weights_of(runs["vibrastic"].net)
    assert max(float(np.max(np.abs(a[k] - b[k]))) for k in a) < 1e-5
    assert runs["torch"].epochs == runs["vibrastic"].epochs == [0, 50, 100, 150, 199]
    assert np.allclose(runs["torch"].losses, runs["vibrastic"].losses, rtol=1e-5)


def test_initial_weights_are_seeded_like_nn_linear():
    a, b, c = initial_weights(0), initial_weights(0), initial_weights(1)
    assert all(np.array_equal(a[k], b[k]) for k in a)
    assert not np.array_equal(a["fc1.weight"], c["fc1.weight"])
    assert a["fc1.weight"].shape == (3, 2) and a["fc2.weight"].shape == (1, 3)
    assert np.abs(a["fc1.weight"]).max() <= 1 / np.sqrt(2)
    assert np.abs(a["fc2.weight"]).max() <= 1 / np.sqrt(3)
    assert a["fc1.weight"].dtype == np.float32


def test_the_decks_class_has_its_layers_on_both_libraries():
    for lib in (torch, vb):
        net = xor_class(lib)()
        assert [n for n, _ in net.named_parameters()] == [
            "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]
        assert tuple(net(lib.tensor([[1.0, 0.0]])).shape) == (1, 1)


def test_short_run_metrics_tables_and_parity(short):
    m = short.metrics
    assert m["epochs"] == 600 and m["parity_epochs"] == 300
    assert m["parity_max_abs_diff"] < 1e-5 and m["parity_loss_max_abs_diff"] < 1e-5
    predicted = [m[f"predicted_{int(x)}_{int(y)}"] for x, y, _ in XOR_TABLE]
    errors = [abs(p - t) for p, t in zip(predicted, TARGETS, strict=True)]
    assert m["max_error"] == pytest.approx(max(errors))
    assert m["converged"] == (m["max_error"] < 0.05)
    assert m["inference_1_0"] == pytest.approx(m["predicted_1_0"], abs=1e-6)
    rows = short.tables["results"]
    assert [r["input"] for r in rows] == ["[0,0]", "[0,1]", "[1,0]", "[1,1]"]
    assert [r["target"] for r in rows] == [0, 1, 1, 0]
    assert [r["error"] for r in rows] == [round(e, 4) for e in errors]
    assert [r["predicted"] for r in rows] == [round(p, 4) for p in predicted]
    log = short.tables["training_log"]  # the deck's print, every 5000 epochs
    assert [r["epoch"] for r in log] == [0] and 0 < log[0]["loss"] < 1


def test_results_table_rounds_like_the_deck():
    rows = results_table([0.012345, 0.98765, 0.5, 0.0])
    assert rows[0] == {"input": "[0,0]", "target": 0, "predicted": 0.0123, "error": 0.0123}
    assert rows[1]["error"] == 0.0123 and rows[2]["error"] == 0.5


def test_predictions_after_training_match_a_numpy_forward():
    run_ = train(vb, initial_weights(3), epochs=50)
    w = weights_of(run_.net)
    x = np.array([[a, b] for a, b, _ in XOR_TABLE], dtype=np.float32)
    hidden = 1 / (1 + np.exp(-(x @ w["fc1.weight"].T + w["fc1.bias"])))
    expected = (hidden @ w["fc2.weight"].T + w["fc2.bias"]).ravel()
    assert np.allclose(predictions(vb, run_), expected, atol=1e-6)


def test_end_to_end_figures(short, tmp_path: Path):
    assert set(short.figures) == {"loss", "surface"}
    paths = short.save_figures(tmp_path)
    assert len(paths) == 4 and all(p.stat().st_size > 0 for p in paths)
    lines = short.figures["loss"].axes[0].get_lines()
    assert len(lines) == 2  # the full run and the other backend's parity prefix


def test_sizes_must_be_positive():
    with pytest.raises(ValueError, match="at least 1"):
        run(epochs=0)
