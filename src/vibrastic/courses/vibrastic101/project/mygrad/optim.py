"""Stage 5 — optimisers: they move every parameter against its gradient.

Deck: "Perceptron learning" and "Study of Momentum Rate β": gradient descent with momentum,

    Δw(t) = −α·∇E + β·Δw(t−1),    w ← w + Δw(t),

with learning rate α (``lr``) and momentum rate β (``momentum``); β = 0 is plain gradient descent.
This gives the same numbers as ``torch.optim.SGD(lr=α, momentum=β)``, which keeps v = β·v + ∇E
and steps w ← w − α·v: that v is exactly −Δw/α. Adam is ``torch.optim.Adam``'s formula.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from mygrad.tensor import Tensor


class SGD:
    """Gradient descent with the deck's momentum."""

    def __init__(self, params: Iterable[Tensor], lr: float, momentum: float = 0.0) -> None:
        self.params = list(params)
        self.lr = lr
        self.momentum = momentum
        self.deltas = [np.zeros_like(p.data) for p in self.params]  # Δw(t−1), 0 at first

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = np.zeros_like(p.data)

    def step(self) -> None:
        # BEGIN SOLUTION: Δw = −α·grad + β·Δw_previous, then w = w + Δw, for every parameter
        for i, p in enumerate(self.params):
            self.deltas[i] = -self.lr * p.grad + self.momentum * self.deltas[i]
            p.data = p.data + self.deltas[i]
        # END SOLUTION


class Adam:
    """Adam (Kingma & Ba), as ``torch.optim.Adam``: running means of the gradient (m) and of its
    square (v), corrected for their start at zero, give each weight its own step size."""

    def __init__(self, params: Iterable[Tensor], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8) -> None:
        self.params = list(params)
        self.lr = lr
        self.betas = betas
        self.eps = eps
        self.t = 0
        self.m = [np.zeros_like(p.data) for p in self.params]
        self.v = [np.zeros_like(p.data) for p in self.params]

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = np.zeros_like(p.data)

    def step(self) -> None:
        # BEGIN SOLUTION: m = β1·m + (1−β1)·g, v = β2·v + (1−β2)·g², bias-corrected, then step
        self.t += 1
        beta1, beta2 = self.betas
        for i, p in enumerate(self.params):
            self.m[i] = beta1 * self.m[i] + (1 - beta1) * p.grad
            self.v[i] = beta2 * self.v[i] + (1 - beta2) * p.grad ** 2
            m_hat = self.m[i] / (1 - beta1 ** self.t)
            v_hat = self.v[i] / (1 - beta2 ** self.t)
            p.data = p.data - self.lr * m_hat / (np.sqrt(v_hat) + self.eps)
        # END SOLUTION
