"""A k-armed Gaussian bandit and ε-greedy agents: exploration vs exploitation, in numbers.

The deck's "Reinforced Learning" slide only describes RL ("maximize some notion of cumulative
reward", "a balance between exploration … and exploitation"). The smallest experiment that shows
both is the k-armed testbed (Sutton & Barto, ch. 2): each arm a pays a reward ~ N(q*(a), 1) with
q*(a) ~ N(0, 1); an ε-greedy agent pulls the arm with the highest estimated value Q(a) with
probability 1 − ε and a random arm with probability ε, and updates Q(a) as the running mean of
the rewards it got from a.

Everything is vectorised over ``n_runs`` independent bandit problems: arrays are (n_runs, k) for the
arms and (n_runs, n_steps) for the histories.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class GaussianBandit:
    """``n_runs`` independent k-armed bandits; ``q_star`` (n_runs, k) are the true arm values."""

    q_star: np.ndarray

    @classmethod
    def testbed(cls, n_runs: int, k: int = 10, seed: int = 0) -> GaussianBandit:
        """The standard testbed: q*(a) ~ N(0, 1), drawn with ``seed``."""
        return cls(np.random.default_rng(seed).standard_normal((n_runs, k)))

    @property
    def optimal_action(self) -> np.ndarray:
        """The best arm of each problem, shape (n_runs,)."""
        return self.q_star.argmax(axis=1)

    def pull(self, actions: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """One reward per problem for the chosen arms (n_runs,): N(q*(action), 1)."""
        means = self.q_star[np.arange(len(actions)), actions]
        return means + rng.standard_normal(len(actions))


class EpsilonGreedy:
    """Sample-average ε-greedy agents for ``n_runs`` problems: estimates Q (n_runs, k), counts N."""

    def __init__(self, epsilon: float, n_runs: int, k: int = 10, initial_q: float = 0.0) -> None:
        if not 0 <= epsilon <= 1:
            raise ValueError(f"epsilon must be in [0, 1], got {epsilon}")
        self.epsilon = epsilon
        self.Q = np.full((n_runs, k), initial_q, dtype=np.float64)
        self.N = np.zeros((n_runs, k), dtype=np.int64)

    def act(self, rng: np.random.Generator) -> np.ndarray:
        """Greedy arm (ties broken at random) with probability 1 − ε, else a uniform random arm."""
        n_runs, k = self.Q.shape
        greedy = self.Q.argmax(axis=1)
        is_best = self.Q[np.arange(n_runs), greedy][:, None] == self.Q
        tied = np.count_nonzero(is_best, axis=1) > 1  # only these rows need a random tie-break
        if tied.any():
            greedy[tied] = (rng.random((int(tied.sum()), k)) * is_best[tied]).argmax(axis=1)
        explore = rng.random(n_runs) < self.epsilon
        return np.where(explore, rng.integers(k, size=n_runs), greedy)

    def update(self, actions: np.ndarray, rewards: np.ndarray) -> None:
        """Q(a) ← Q(a) + (r − Q(a)) / N(a): the running mean of the rewards from a."""
        rows = np.arange(len(actions))
        self.N[rows, actions] += 1
        self.Q[rows, actions] += (rewards - self.Q[rows, actions]) / self.N[rows, actions]


@dataclass
class BanditHistory:
    """Per-step results, each (n_runs, n_steps): rewards, whether the action was optimal, the
    expected regret q*(a*) − q*(a) of the action taken."""

    rewards: np.ndarray
    optimal: np.ndarray
    regret: np.ndarray

    @property
    def average_reward(self) -> np.ndarray:
        """Mean reward at each step over the runs, (n_steps,)."""
        return self.rewards.mean(axis=0)

    @property
    def optimal_fraction(self) -> np.ndarray:
        """Fraction of runs that pulled the best arm at each step, (n_steps,)."""
        return self.optimal.mean(axis=0)

    @property
    def cumulative_regret(self) -> np.ndarray:
        """Mean total regret after each step, (n_steps,)."""
        return self.regret.cumsum(axis=1).mean(axis=0)

    @property
    def cumulative_reward(self) -> np.ndarray:
        """Mean total reward after each step, (n_steps,)."""
        return self.rewards.cumsum(axis=1).mean(axis=0)


def run_bandit(
    bandit: GaussianBandit, agent: EpsilonGreedy, n_steps: int, rng: np.random.Generator
) -> BanditHistory:
    """Let ``agent`` play ``bandit`` for ``n_steps``; every problem is played in parallel."""
    n_runs = bandit.q_star.shape[0]
    rewards = np.zeros((n_runs, n_steps))
    optimal = np.zeros((n_runs, n_steps), dtype=bool)
    regret = np.zeros((n_runs, n_steps))
    best_arm = bandit.optimal_action
    best_value = bandit.q_star.max(axis=1)
    rows = np.arange(n_runs)
    for t in range(n_steps):
        actions = agent.act(rng)
        r = bandit.pull(actions, rng)
        agent.update(actions, r)
        rewards[:, t] = r
        optimal[:, t] = actions == best_arm
        regret[:, t] = best_value - bandit.q_star[rows, actions]
    return BanditHistory(rewards, optimal, regret)


def epsilon_greedy_study(
    epsilons: tuple[float, ...], n_runs: int = 2000, n_steps: int = 1000, k: int = 10, seed: int = 0
) -> dict[float, BanditHistory]:
    """Each ε on the same ``n_runs`` testbed problems (common random numbers), one history per ε."""
    bandit = GaussianBandit.testbed(n_runs, k, seed)
    return {
        eps: run_bandit(bandit, EpsilonGreedy(eps, n_runs, k), n_steps,
                        np.random.default_rng([seed, i]))
        for i, eps in enumerate(epsilons)
    }
