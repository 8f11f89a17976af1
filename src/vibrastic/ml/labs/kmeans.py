"""Lab 3, ``unsupervised-kmeans``: scikit-learn's KMeans and k-means from scratch on three blobs.

Slide "Unsupervised Learning": 30 points around each of (5, 5), (10, 0) and (0, 2), merged without
their labels, then ``KMeans(n_clusters=3)`` fits and predicts. Here scikit-learn's KMeans (with
``n_init`` and ``random_state`` given: seeded and silent) and ``vibrastic.ml.classic.KMeans``
run side by side; the adjusted Rand index (ARI: 1 = the same partition up to renaming, ≈ 0 =
chance) compares each with the true groups and the two with each other, and both inertias are
reported. The deck's plotting code is printed on one line and never shows the clusters it found;
the figures show the data with its true groups, as the learner sees it, and both results.

NumPy/scikit-learn only: k-means has no gradient and nothing here runs on tensors.
"""

from __future__ import annotations

from itertools import permutations
from typing import Annotated

import numpy as np

from vibrastic.ml import data
from vibrastic.ml.classic.kmeans import KMeans
from vibrastic.ml.labs.base import LabResult
from vibrastic.ml.labs.params import Knob
from vibrastic.ml.plots.clusters import clusters_before_after


def match_centers(reference: np.ndarray, centers: np.ndarray) -> np.ndarray:
    """Reorder ``centers`` (k, d) to line up with ``reference`` (k, d) (cluster numbers are
    arbitrary): every permutation is tried, fine for the k = 3 of this lab."""
    best = min(permutations(range(len(centers))),
               key=lambda p: float(((centers[list(p)] - reference) ** 2).sum()))
    return centers[list(best)]


def align_to(truth: np.ndarray, labels: np.ndarray, centers: np.ndarray
             ) -> tuple[np.ndarray, np.ndarray]:
    """Renumber clusters so that cluster j best overlaps true group j (same colours in the
    figures); returns (labels, centers) renumbered."""
    k = len(centers)
    best = max(permutations(range(k)),
               key=lambda p: int((np.array(p)[labels] == truth).sum()))  # p: old -> new number
    order = np.argsort(best)  # new -> old
    return np.array(best)[labels], centers[order]


def run(backend: str = "numpy", seed: int = 0,
        n_per_blob: Annotated[int, Knob("points per blob", "size of each of the three blobs",
                                        2, 2000)] = 30,
        n_clusters: Annotated[int, Knob("k (clusters)", "how many centroids KMeans places",
                                        1, 12)] = 3,
        n_init: Annotated[int, Knob("restarts", "KMeans keeps the best of this many starts",
                                    1, 50)] = 10) -> LabResult:
    """Cluster the deck's blobs with both implementations and compare the partitions."""
    from sklearn.cluster import KMeans as SklearnKMeans  # imported when the lab runs
    from sklearn.metrics import adjusted_rand_score

    x, truth = data.three_blobs(n_per_blob, seed=seed)
    sk = SklearnKMeans(n_clusters=n_clusters, n_init=n_init, random_state=seed).fit(x)
    ours = KMeans(n_clusters=n_clusters, n_init=n_init, random_state=seed).fit(x)
    labels_sk, labels_ours = sk.predict(x), ours.predict(x)
    true_centers = np.array([x[truth == g].mean(axis=0) for g in np.unique(truth)])
    metrics: dict[str, float | int | bool | str] = {
        "ari_sklearn_vs_truth": float(adjusted_rand_score(truth, labels_sk)),
        "ari_scratch_vs_truth": float(adjusted_rand_score(truth, labels_ours)),
        "ari_sklearn_vs_scratch": float(adjusted_rand_score(labels_sk, labels_ours)),
        "inertia_sklearn": float(sk.inertia_),
        "inertia_scratch": float(ours.inertia_),
        "n_iter_sklearn": int(sk.n_iter_),
        "n_iter_scratch": int(ours.n_iter_),
        "center_max_diff": float(np.abs(match_centers(sk.cluster_centers_, ours.cluster_centers_)
                                        - sk.cluster_centers_).max()),
        "misplaced_points_scratch": misplaced_points(truth, labels_ours),
    }
    rows = [{"model": name, "inertia": inertia, "ari_vs_truth": ari}
            for name, inertia, ari in (
                ("sklearn KMeans", metrics["inertia_sklearn"], metrics["ari_sklearn_vs_truth"]),
                ("vibrastic KMeans", metrics["inertia_scratch"], metrics["ari_scratch_vs_truth"]))]
    shown_sk = align_to(truth, labels_sk, sk.cluster_centers_)
    shown_ours = align_to(truth, labels_ours, ours.cluster_centers_)
    figures = {
        "before": clusters_before_after(x, {"Training dataset": (None, None),
                                            "Three datasets (true groups)": (truth, true_centers)}),
        "after": clusters_before_after(x, {
            f"scikit-learn KMeans (ARI {metrics['ari_sklearn_vs_truth']:.3f})":
                shown_sk,
            f"k-means from scratch (ARI {metrics['ari_scratch_vs_truth']:.3f})":
                shown_ours}),
    }
    return LabResult("unsupervised-kmeans", backend, seed, metrics, figures, {"models": rows})


def misplaced_points(truth: np.ndarray, labels: np.ndarray) -> int:
    """Points outside the majority true group of their cluster (0 for a perfect clustering)."""
    return len(truth) - int(sum(np.bincount(truth[labels == c]).max() for c in np.unique(labels)))
