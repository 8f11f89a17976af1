"""Lab 4, ``reinforcement``: exploration vs exploitation on a 10-armed bandit.

Slide "Reinforced Learning" only describes RL: an agent takes actions "so as to maximize some
notion of cumulative reward", "finding a balance between exploration (of uncharted territory) and
exploitation (of current knowledge)". The k-armed testbed (Sutton & Barto, ch. 2) shows exactly
that: ε-greedy agents for several ε play the same ``n_runs`` random 10-armed Gaussian bandits for
``n_steps`` pulls. The greedy agent (ε = 0) exploits too early and gets stuck on a poor arm; ε = 0.1
explores enough to find the best arm and earns more in the long run; ε = 0.5 explores too much.
Metrics: average reward over the last 10% of steps, fraction of optimal actions, total reward and
total regret (the reward lost against always pulling the best arm).

NumPy only: bandit agents have no gradient; all runs are vectorised, so 2000 runs take seconds.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any

from vibrastic.ml.classic.bandit import GaussianBandit, epsilon_greedy_study
from vibrastic.ml.labs.base import LabResult
from vibrastic.ml.labs.params import Knob
from vibrastic.ml.plots.bandit import plot_bandit_curves, plot_cumulative_reward

EPSILONS = (0.0, 0.01, 0.1, 0.5)


def run(backend: str = "numpy", seed: int = 0,
        epsilons: Annotated[Sequence[float], Knob(
            "exploration rates ε", "how often each agent tries a random arm", 0.0, 1.0)]
        = EPSILONS,
        n_runs: Annotated[int, Knob("bandit problems", "averaged over this many random "
                                    "problems", 1, 5000)] = 2000,
        n_steps: Annotated[int, Knob("steps", "pulls per problem", 1, 5000)] = 1000,
        k: Annotated[int, Knob("k (arms)", "arms of each bandit", 2, 100)] = 10) -> LabResult:
    """Play every ε on the same seeded testbed; report long-run reward, % optimal and regret."""
    histories = epsilon_greedy_study(tuple(epsilons), n_runs, n_steps, k, seed)
    tail = max(1, n_steps // 10)
    metrics: dict[str, float | int | bool | str] = {"n_runs": n_runs, "n_steps": n_steps, "k": k}
    rows: list[dict[str, Any]] = []
    for eps, h in histories.items():
        row = {
            "epsilon": eps,
            "final_average_reward": float(h.average_reward[-tail:].mean()),
            "final_optimal_fraction": float(h.optimal_fraction[-tail:].mean()),
            "total_reward": float(h.cumulative_reward[-1]),
            "total_regret": float(h.cumulative_regret[-1]),
        }
        rows.append(row)
        for key, value in row.items():
            if key != "epsilon":
                metrics[f"{key}_eps={eps:g}"] = value
    best = max(rows, key=lambda r: r["total_reward"])
    metrics["best_epsilon"] = best["epsilon"]
    # an oracle that always pulls the best arm earns E[max_a q*(a)] per step (same testbed)
    metrics["oracle_average_reward"] = float(
        GaussianBandit.testbed(n_runs, k, seed).q_star.max(axis=1).mean())
    if 0.0 in histories and 0.1 in histories:
        metrics["exploration_beats_greedy"] = bool(
            metrics["total_reward_eps=0.1"] > metrics["total_reward_eps=0"]
            and metrics["total_regret_eps=0.1"] < metrics["total_regret_eps=0"])
    figures = {"curves": plot_bandit_curves(histories),
               "cumulative-reward": plot_cumulative_reward(histories)}
    return LabResult("reinforcement", backend, seed, metrics, figures, {"agents": rows})
