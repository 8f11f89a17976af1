"""k-means clustering from scratch (slide "Unsupervised Learning" uses scikit-learn's KMeans).

Lloyd's algorithm: assign every point to its nearest centroid, move every centroid to the mean of
its points, repeat until the centroids stop moving. Initialisation is k-means++ (spread the first
centroids out, D² sampling) or k random points; ``n_init`` restarts keep the run with the lowest
inertia (the sum of squared distances of the points to their centroids). Same API and attribute
names as scikit-learn.

Shapes: ``x`` (n_samples, n_features), ``cluster_centers_`` (n_clusters, n_features), ``labels_``
(n_samples,) of ints in [0, n_clusters).
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import ArrayLike


def squared_distances(x: np.ndarray, centers: np.ndarray) -> np.ndarray:
    """‖x_i − c_j‖² for every point and centroid, shape (n_samples, n_clusters)."""
    return ((x[:, None, :] - centers[None, :, :]) ** 2).sum(axis=2)


def kmeans_plus_plus(x: np.ndarray, n_clusters: int, rng: np.random.Generator) -> np.ndarray:
    """k-means++ seeding: the first centroid uniformly, each next one with probability ∝ D(x)²."""
    centers = [x[rng.integers(len(x))]]
    for _ in range(1, n_clusters):
        d2 = squared_distances(x, np.array(centers)).min(axis=1)
        total = d2.sum()
        p = d2 / total if total > 0 else np.full(len(x), 1 / len(x))
        centers.append(x[rng.choice(len(x), p=p)])
    return np.array(centers)


def lloyd(
    x: np.ndarray, centers: np.ndarray, max_iter: int = 300, tol: float = 1e-4
) -> tuple[np.ndarray, np.ndarray, float, int]:
    """Lloyd iterations from ``centers``: returns (centers, labels, inertia, n_iter).

    Stops when no centroid moves by more than ``tol`` (squared, summed). An empty cluster keeps its
    previous centroid.
    """
    centers = centers.astype(np.float64).copy()
    n_iter = 0
    for n_iter in range(1, max_iter + 1):  # noqa: B007 - n_iter is reported
        labels = squared_distances(x, centers).argmin(axis=1)
        new_centers = centers.copy()
        for j in range(len(centers)):
            members = x[labels == j]
            if len(members):
                new_centers[j] = members.mean(axis=0)
        shift = float(((new_centers - centers) ** 2).sum())
        centers = new_centers
        if shift <= tol:
            break
    d2 = squared_distances(x, centers)
    labels = d2.argmin(axis=1)
    inertia = float(d2[np.arange(len(x)), labels].sum())
    return centers, labels, inertia, n_iter


class KMeans:
    """k-means with scikit-learn's interface: ``fit``, ``predict``, ``fit_predict``.

    ``init`` is ``"k-means++"`` or ``"random"`` (k distinct points); ``n_init`` seeded restarts,
    the best (lowest inertia) kept. After ``fit``: ``cluster_centers_``, ``labels_``, ``inertia_``,
    ``n_iter_``.
    """

    def __init__(
        self,
        n_clusters: int = 8,
        init: Literal["k-means++", "random"] = "k-means++",
        n_init: int = 10,
        max_iter: int = 300,
        tol: float = 1e-4,
        random_state: int | None = None,
    ) -> None:
        if n_clusters < 1:
            raise ValueError(f"n_clusters must be >= 1, got {n_clusters}")
        if init not in ("k-means++", "random"):
            raise ValueError(f"init must be 'k-means++' or 'random', got {init!r}")
        self.n_clusters = n_clusters
        self.init = init
        self.n_init = n_init
        self.max_iter = max_iter
        self.tol = tol
        self.random_state = random_state

    def _initial_centers(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        if self.init == "k-means++":
            return kmeans_plus_plus(x, self.n_clusters, rng)
        return x[rng.choice(len(x), size=self.n_clusters, replace=False)]

    def fit(self, x: ArrayLike) -> KMeans:
        """Cluster ``x`` (n_samples, n_features)."""
        x = np.asarray(x, dtype=np.float64)
        if x.ndim != 2 or len(x) < self.n_clusters:
            raise ValueError(
                f"expected x of shape (n_samples >= {self.n_clusters}, n_features), got {x.shape}")
        rng = np.random.default_rng(self.random_state)
        best = None
        for _ in range(self.n_init):
            run = lloyd(x, self._initial_centers(x, rng), self.max_iter, self.tol)
            if best is None or run[2] < best[2]:
                best = run
        assert best is not None
        self.cluster_centers_, self.labels_, self.inertia_, self.n_iter_ = best
        return self

    def predict(self, x: ArrayLike) -> np.ndarray:
        """The index of the nearest centroid for each row of ``x``, shape (n_samples,)."""
        x = np.asarray(x, dtype=np.float64)
        return squared_distances(x, self.cluster_centers_).argmin(axis=1)

    def fit_predict(self, x: ArrayLike) -> np.ndarray:
        return self.fit(x).labels_
