# %% [markdown]
# # Lesson 5 — Reinforcement learning
#
# ## Reinforced Learning
#
# - Inspired by behaviorist psychology;
# - How to take actions in an environment so as to maximize some notion of cumulative reward?
# - Differs from standard supervised learning in that correct input/output pairs are never
#   presented,
# - ...nor sub-optimal actions explicitly corrected.
# - Involves finding a balance between **exploration** (of uncharted territory) and
#   **exploitation** (of current knowledge).
# - See: https://www.youtube.com/watch?v=yEOEqaEgu94 (a 4-minute video).
#
# The words of lesson 3, on the smallest example there is, the *multi-armed bandit*:
#
# - the **environment** is a row of $k = 10$ slot machines ("arms"); arm $a$ pays a random reward
#   with a mean $q_*(a)$ that the agent does not know;
# - an **action** is pulling one arm, the **reward** is what it pays;
# - the **agent** keeps an estimate $Q(a)$ of each arm's mean (the average of what $a$ paid so
#   far), and is $\varepsilon$-greedy: with probability $1-\varepsilon$ it *exploits* (pulls the
#   arm with the highest $Q$), with probability $\varepsilon$ it *explores* (a random arm).
#
# Nobody ever tells the agent which arm was right: it only sees rewards.

# %%
import numpy as np
from vibrastic.ml.classic.bandit import EpsilonGreedy, GaussianBandit, run_bandit

bandit = GaussianBandit.testbed(n_runs=1, k=10, seed=3)
print("true arm values q*(a), hidden from the agent:", bandit.q_star[0].round(2))
agent = EpsilonGreedy(epsilon=0.1, n_runs=1, k=10)
history = run_bandit(bandit, agent, n_steps=500, rng=np.random.default_rng(0))
print("the agent's estimates Q(a) after 500 pulls: ", agent.Q[0].round(2))
print("pulls per arm:", agent.N[0].tolist())
print("best arm:", int(bandit.optimal_action[0]), "| arm the agent likes best:", int(agent.Q[0].argmax()))

# %% [markdown]
# One problem is luck; averaged over many bandit problems the trade-off shows. A greedy agent
# ($\varepsilon = 0$) sticks with the first arm that looked good; exploring agents keep finding
# better arms. (The same study, with more runs, is the `reinforcement` lab; both use
# `epsilon_greedy_study` and `plot_bandit_curves`.)

# %%
import os
from vibrastic.ml.classic.bandit import epsilon_greedy_study
from vibrastic.ml.plots import plot_bandit_curves

N_RUNS = 200 if os.environ.get("VIBRASTIC_QUICK") else 2000
histories = epsilon_greedy_study((0.0, 0.01, 0.1), n_runs=N_RUNS, n_steps=1000, seed=0)
for eps, h in histories.items():
    print(f"epsilon = {eps:<5} average reward over the last 100 steps: "
          f"{h.average_reward[-100:].mean():.3f}, optimal arm {100 * h.optimal_fraction[-100:].mean():.0f}%")
plot_bandit_curves(histories)

# %% [markdown]
# ## Remark
#
# The deck closes the tour of learning kinds with a summary picture:
#
# - **supervised**: learn from pairs $\langle \vec{x}_i, \vec{y}_i \rangle$ (SVR, lesson 4);
# - **unsupervised**: learn structure from $\{\vec{x}_i\}$ alone (KMeans, lesson 4);
# - **reinforcement**: learn actions from rewards (the bandit, here).
#
# The rest of the course focuses on one family that can do all three: artificial neural
# networks.
