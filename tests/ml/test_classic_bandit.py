"""The k-armed bandit and ε-greedy agents: rewards, estimates, exploration, regret."""

import numpy as np
import pytest

from vibrastic.ml.classic.bandit import (
    EpsilonGreedy,
    GaussianBandit,
    epsilon_greedy_study,
    run_bandit,
)


def test_testbed_arm_values_are_standard_normal() -> None:
    q = GaussianBandit.testbed(4000, 10, seed=0).q_star
    assert q.shape == (4000, 10)
    assert abs(q.mean()) < 4 / np.sqrt(q.size)
    assert q.std() == pytest.approx(1.0, abs=0.02)


def test_rewards_average_to_the_arm_value() -> None:
    bandit = GaussianBandit(np.tile([[0.0, 2.0, -1.0]], (20000, 1)))
    rng = np.random.default_rng(0)
    for arm, value in enumerate([0.0, 2.0, -1.0]):
        rewards = bandit.pull(np.full(20000, arm), rng)
        assert rewards.mean() == pytest.approx(value, abs=4 / np.sqrt(20000))
        assert rewards.std() == pytest.approx(1.0, abs=0.03)
    np.testing.assert_array_equal(bandit.optimal_action, np.ones(20000))


def test_estimates_are_running_means() -> None:
    agent = EpsilonGreedy(0.0, n_runs=1, k=3)
    for r in (1.0, 2.0, 6.0):
        agent.update(np.array([2]), np.array([r]))
    agent.update(np.array([0]), np.array([-4.0]))
    np.testing.assert_allclose(agent.Q, [[-4.0, 0.0, 3.0]])
    np.testing.assert_array_equal(agent.N, [[1, 0, 3]])


def test_greedy_picks_the_best_estimate_and_breaks_ties_at_random() -> None:
    rng = np.random.default_rng(1)
    agent = EpsilonGreedy(0.0, n_runs=5000, k=4)
    counts = np.bincount(agent.act(rng), minlength=4)  # all Q equal: a fair tie-break
    assert counts.min() > 5000 / 4 - 4 * np.sqrt(5000 * 3 / 16)
    agent.Q[:, 2] = 1.0
    assert np.all(agent.act(rng) == 2)


def test_epsilon_one_explores_uniformly() -> None:
    bandit = GaussianBandit.testbed(2000, 5, seed=2)
    history = run_bandit(bandit, EpsilonGreedy(1.0, 2000, 5), 50, np.random.default_rng(2))
    assert history.optimal.mean() == pytest.approx(1 / 5, abs=0.01)


def test_regret_is_the_value_lost_against_the_best_arm() -> None:
    bandit = GaussianBandit.testbed(300, 10, seed=3)
    h = run_bandit(bandit, EpsilonGreedy(0.1, 300, 10), 200, np.random.default_rng(3))
    assert np.all(h.regret >= 0)
    np.testing.assert_array_equal(h.regret == 0, h.optimal)
    np.testing.assert_allclose(h.cumulative_regret, h.regret.cumsum(axis=1).mean(axis=0))
    np.testing.assert_allclose(h.cumulative_reward[-1], h.rewards.sum(axis=1).mean())


def test_some_exploration_beats_greed_in_the_long_run() -> None:
    study = epsilon_greedy_study((0.0, 0.1), n_runs=400, n_steps=600, seed=0)
    greedy, explorer = study[0.0], study[0.1]
    assert explorer.cumulative_reward[-1] > greedy.cumulative_reward[-1]
    assert explorer.cumulative_regret[-1] < greedy.cumulative_regret[-1]
    assert explorer.optimal_fraction[-100:].mean() > greedy.optimal_fraction[-100:].mean() + 0.2


def test_study_is_reproducible() -> None:
    a = epsilon_greedy_study((0.1,), n_runs=50, n_steps=30, seed=9)[0.1]
    b = epsilon_greedy_study((0.1,), n_runs=50, n_steps=30, seed=9)[0.1]
    np.testing.assert_array_equal(a.rewards, b.rewards)


def test_bad_epsilon_is_rejected() -> None:
    with pytest.raises(ValueError, match="epsilon"):
        EpsilonGreedy(1.5, 1)
