"""Lab unsupervised-kmeans: both k-means find the three blobs, and agree with each other."""

from pathlib import Path

import numpy as np
import pytest

from vibrastic.ml import data
from vibrastic.ml.labs import REGISTRY
from vibrastic.ml.labs.kmeans import align_to, misplaced_points, run


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_both_recover_the_true_groups(seed: int) -> None:
    m = run(seed=seed).metrics
    assert m["ari_sklearn_vs_truth"] > 0.95
    assert m["ari_scratch_vs_truth"] > 0.95
    assert m["ari_sklearn_vs_scratch"] == pytest.approx(1.0)
    assert m["inertia_scratch"] == pytest.approx(m["inertia_sklearn"], rel=1e-9)
    assert m["center_max_diff"] < 1e-9
    assert m["misplaced_points_scratch"] <= 2


def test_inertia_is_the_within_cluster_sum_of_squares() -> None:
    """For a perfect clustering the inertia is Σ ‖x − mean of its true group‖²."""
    r = run(seed=0)
    x, truth = data.three_blobs(seed=0)
    assert r.metrics["ari_scratch_vs_truth"] == 1.0
    wcss = sum(float(np.sum((x[truth == g] - x[truth == g].mean(axis=0)) ** 2)) for g in range(3))
    assert r.metrics["inertia_scratch"] == pytest.approx(wcss)


def test_registered_as_numpy_only_and_writes_figures(tmp_path: Path) -> None:
    assert REGISTRY["unsupervised-kmeans"].backends == ("numpy",)
    r = run(seed=3)
    paths = r.save_figures(tmp_path)
    assert {p.name for p in paths} == {f"unsupervised-kmeans-{n}.{f}" for n in ("before", "after")
                                       for f in ("png", "svg")}
    assert [len(r.figures[n].axes) for n in ("before", "after")] == [2, 2]


def test_align_to_renumbers_clusters_and_centres_together() -> None:
    truth = np.array([0, 0, 1, 1, 2, 2])
    labels = np.array([2, 2, 0, 0, 1, 1])
    centers = np.array([[1.0], [2.0], [0.0]])  # centre of cluster 2 is the one of true group 0
    new_labels, new_centers = align_to(truth, labels, centers)
    np.testing.assert_array_equal(new_labels, truth)
    np.testing.assert_array_equal(new_centers, [[0.0], [1.0], [2.0]])


def test_misplaced_points() -> None:
    truth = np.array([0, 0, 0, 1, 1, 1])
    assert misplaced_points(truth, np.array([1, 1, 1, 0, 0, 0])) == 0
    assert misplaced_points(truth, np.array([0, 0, 1, 1, 1, 1])) == 1
