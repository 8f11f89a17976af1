"""k-means from scratch: Lloyd's fixed point, inertia, and agreement with scikit-learn."""

import numpy as np
import pytest
from sklearn.cluster import KMeans as SklearnKMeans
from sklearn.metrics import adjusted_rand_score

from vibrastic.ml import data
from vibrastic.ml.classic.kmeans import KMeans, kmeans_plus_plus, lloyd, squared_distances


@pytest.mark.parametrize("seed", range(4))
def test_finds_the_three_blobs_like_scikit_learn(seed: int) -> None:
    x, truth = data.three_blobs(seed=seed)
    ours = KMeans(3, n_init=10, random_state=seed).fit(x)
    theirs = SklearnKMeans(3, n_init=10, random_state=seed).fit(x)
    assert adjusted_rand_score(truth, ours.labels_) > 0.95
    assert adjusted_rand_score(theirs.labels_, ours.labels_) == pytest.approx(1.0)
    assert ours.inertia_ == pytest.approx(theirs.inertia_, rel=1e-9)


def test_result_is_a_fixed_point_of_lloyd() -> None:
    """Every centroid is the mean of its points and every point is with its nearest centroid."""
    x, _ = data.three_blobs(seed=5)
    km = KMeans(3, random_state=0).fit(x)
    for j, c in enumerate(km.cluster_centers_):
        np.testing.assert_allclose(c, x[km.labels_ == j].mean(axis=0))
    dists = np.linalg.norm(x[:, None, :] - km.cluster_centers_[None], axis=2)
    np.testing.assert_array_equal(km.labels_, dists.argmin(axis=1))
    assert km.inertia_ == pytest.approx(
        sum(np.sum((x[km.labels_ == j] - c) ** 2) for j, c in enumerate(km.cluster_centers_)))


def test_predict_assigns_each_centroid_to_itself() -> None:
    x, _ = data.three_blobs(seed=1)
    km = KMeans(3, random_state=1).fit(x)
    np.testing.assert_array_equal(km.predict(km.cluster_centers_), [0, 1, 2])
    np.testing.assert_array_equal(km.fit_predict(x), km.predict(x))


def test_random_init_is_seeded_and_more_restarts_never_hurt() -> None:
    x, _ = data.three_blobs(n_per_blob=20, seed=2)
    a = KMeans(4, init="random", n_init=1, random_state=7).fit(x)
    b = KMeans(4, init="random", n_init=1, random_state=7).fit(x)
    np.testing.assert_array_equal(a.cluster_centers_, b.cluster_centers_)
    many = KMeans(4, init="random", n_init=20, random_state=7).fit(x)
    assert many.inertia_ <= a.inertia_ + 1e-9


def test_kmeans_plus_plus_picks_distinct_data_points() -> None:
    x, _ = data.three_blobs(seed=0)
    centers = kmeans_plus_plus(x, 3, np.random.default_rng(0))
    assert centers.shape == (3, 2)
    assert len({tuple(c) for c in centers}) == 3
    assert all(any(np.array_equal(c, p) for p in x) for c in centers)


def test_lloyd_one_dimensional_by_hand() -> None:
    """Points 0, 1, 10, 11 from centroids 0 and 1: one step moves them to 0.5 and 10.5."""
    x = np.array([[0.0], [1.0], [10.0], [11.0]])
    centers, labels, inertia, _ = lloyd(x, np.array([[0.0], [1.0]]))
    np.testing.assert_allclose(centers, [[0.5], [10.5]])
    np.testing.assert_array_equal(labels, [0, 0, 1, 1])
    assert inertia == pytest.approx(4 * 0.25)
    np.testing.assert_allclose(squared_distances(x, centers)[0], [0.25, 110.25])


@pytest.mark.parametrize(("kwargs", "match"), [({"n_clusters": 0}, "n_clusters"),
                                               ({"init": "bogus"}, "init")])
def test_bad_parameters_are_rejected(kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        KMeans(**kwargs)


def test_too_few_points_are_rejected() -> None:
    with pytest.raises(ValueError, match="n_samples"):
        KMeans(5).fit(np.zeros((3, 2)))
