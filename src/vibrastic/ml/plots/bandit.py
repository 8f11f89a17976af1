"""Bandit learning curves (slide "Reinforced Learning"): mean reward, % optimal action, regret."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from matplotlib.figure import Figure

from vibrastic.ml.classic.bandit import BanditHistory


def plot_bandit_curves(histories: Mapping[float, BanditHistory]) -> Figure:
    """Three panels, one line per ε: average reward per step, fraction of optimal actions, and
    cumulative regret, all averaged over the runs."""
    fig = Figure(figsize=(14, 4))
    ax_r, ax_o, ax_g = (fig.add_subplot(1, 3, i) for i in (1, 2, 3))
    for eps, h in histories.items():
        steps = np.arange(1, h.rewards.shape[1] + 1)
        label = f"ε = {eps:g}" + (" (greedy)" if eps == 0 else "")
        ax_r.plot(steps, h.average_reward, linewidth=0.8, label=label)
        ax_o.plot(steps, 100 * h.optimal_fraction, linewidth=0.8, label=label)
        ax_g.plot(steps, h.cumulative_regret, linewidth=1.2, label=label)
    ax_r.set(xlabel="step", ylabel="average reward", title="Average reward per step")
    ax_o.set(xlabel="step", ylabel="% optimal action",
             title="How often the best arm is pulled")
    ax_g.set(xlabel="step", ylabel="cumulative regret", title="Regret (lower is better)")
    for ax in (ax_r, ax_o, ax_g):
        ax.legend(fontsize="small")
    fig.tight_layout()
    return fig


def plot_cumulative_reward(histories: Mapping[float, BanditHistory]) -> Figure:
    """Mean cumulative reward against steps, one line per ε (the quantity RL maximises)."""
    fig = Figure(figsize=(6, 4))
    ax = fig.add_subplot()
    for eps, h in histories.items():
        ax.plot(np.arange(1, h.rewards.shape[1] + 1), h.cumulative_reward, label=f"ε = {eps:g}")
    ax.set(xlabel="step", ylabel="cumulative reward", title="Cumulative reward")
    ax.legend(fontsize="small")
    fig.tight_layout()
    return fig
