"""REINFORCE on a 1-D corridor: a policy network learns to walk right to the goal.

In spirit: pytorch/examples' ``reinforcement_learning/reinforce.py`` and the policy-gradient
chapters of RL courses, with a pure-Python environment instead of gym. Exercises
``Categorical(logits=...)``, ``sample``/``log_prob``/``entropy``, discounted returns built in a
Python list, ``torch.tensor(list)``, returns normalised with ``mean``/``std`` and
``np.finfo(np.float32).eps``, ``torch.stack(...).sum()``, ``F.one_hot`` and Adam.
"""
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torch.distributions import Categorical

torch.manual_seed(31)
N_STATES, GOAL, gamma = 6, 5, 0.9
eps = np.finfo(np.float32).eps.item()


class Corridor:
    """Start in cell 0; action 1 moves right, 0 moves left; reward 1 at the goal, -0.05 a step."""

    def reset(self):
        self.pos = 0
        return self.pos

    def step(self, action):
        self.pos = max(0, self.pos + (1 if action == 1 else -1))
        done = self.pos == GOAL
        return self.pos, (1.0 if done else -0.05), done


class Policy(nn.Module):
    def __init__(self):
        super(Policy, self).__init__()
        self.affine1 = nn.Linear(N_STATES, 16)
        self.affine2 = nn.Linear(16, 2)

    def forward(self, x):
        x = F.relu(self.affine1(x))
        return self.affine2(x)


def one_hot(state):
    return F.one_hot(torch.tensor(state), N_STATES).float()


policy = Policy()
optimizer = optim.Adam(policy.parameters(), lr=3e-2)
env = Corridor()
running_reward = 0.0
for episode in range(1, 31):
    state, log_probs, rewards, entropies = env.reset(), [], [], []
    for t in range(20):
        m = Categorical(logits=policy(one_hot(state)))
        action = m.sample()
        log_probs.append(m.log_prob(action))
        entropies.append(m.entropy())
        state, reward, done = env.step(action.item())
        rewards.append(reward)
        if done:
            break
    R, returns = 0, []
    for r in rewards[::-1]:
        R = r + gamma * R
        returns.insert(0, R)
    returns = torch.tensor(returns)
    returns = (returns - returns.mean()) / (returns.std() + eps)
    policy_loss = []
    for log_prob, R in zip(log_probs, returns):
        policy_loss.append(-log_prob * R)
    optimizer.zero_grad()
    loss = torch.stack(policy_loss).sum() - 0.01 * torch.stack(entropies).mean()
    loss.backward()
    optimizer.step()
    ep_reward = sum(rewards)
    running_reward = 0.05 * ep_reward + (1 - 0.05) * running_reward
    if episode % 5 == 0:
        print(f"Episode {episode}\tLast reward: {ep_reward:.2f}\tsteps {len(rewards)}"
              f"\tAverage reward: {running_reward:.3f}\tloss {loss.item():.4f}")

with torch.no_grad():
    states = F.one_hot(torch.arange(N_STATES), N_STATES).float()
    probs = F.softmax(policy(states), dim=-1)
    print("P(right) per cell", probs[:, 1])
    print("greedy actions", probs.argmax(dim=1).tolist())
    dist = Categorical(probs=probs)
    print("entropy", dist.entropy())
    print("batched sample", dist.sample((3,)).shape, dist.log_prob(torch.ones(6)).shape)
