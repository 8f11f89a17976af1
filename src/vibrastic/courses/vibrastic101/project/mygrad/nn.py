"""Stage 4 — layers and losses with PyTorch's names, shapes and defaults.

Deck: "Build MLP in PyTorch": ``class XOR(nn.Module)`` with ``nn.Linear(2, 3)`` and
``nn.Linear(3, 1)``, ``criterion = nn.MSELoss()``. A Linear layer computes the deck's
net = x·Wᵀ + b for a whole batch of rows x; its weight has shape (out, in), as in PyTorch, and both
weight and bias start uniform in ±1/√in (PyTorch's default initialisation).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from mygrad.tensor import Tensor


class Module:
    """A layer or a network: its Tensor attributes (and its sub-modules') are its parameters."""

    def parameters(self) -> list[Tensor]:
        """Every Tensor attribute, then those of sub-modules and of lists of modules, in the
        order the attributes were set; each Tensor once."""
        # BEGIN SOLUTION: walk vars(self) in order; recurse into Modules, lists and tuples
        found: list[Tensor] = []

        def visit(value: Any) -> None:
            if isinstance(value, Tensor):
                if all(value is not p for p in found):
                    found.append(value)
            elif isinstance(value, Module):
                for item in vars(value).values():
                    visit(item)
            elif isinstance(value, list | tuple):
                for item in value:
                    visit(item)

        visit(self)
        return found
        # END SOLUTION

    def zero_grad(self) -> None:
        for p in self.parameters():
            p.grad = np.zeros_like(p.data)

    def forward(self, *args: Any) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} has no forward()")

    def __call__(self, *args: Any) -> Tensor:
        return self.forward(*args)


class Linear(Module):
    """y = x·Wᵀ + b for x of shape (batch, in_features); W is (out_features, in_features)."""

    def __init__(self, in_features: int, out_features: int, bias: bool = True,
                 rng: np.random.Generator | None = None) -> None:
        rng = rng if rng is not None else np.random.default_rng()
        # BEGIN SOLUTION: weight (out, in) and bias (out,), both uniform in ±1/√in_features
        bound = 1.0 / np.sqrt(in_features)
        self.weight = Tensor(rng.uniform(-bound, bound, (out_features, in_features)))
        self.bias = Tensor(rng.uniform(-bound, bound, out_features)) if bias else None
        # END SOLUTION

    def forward(self, x: Tensor) -> Tensor:
        # BEGIN SOLUTION: x @ Wᵀ, plus b when there is one
        out = x @ self.weight.T
        return out + self.bias if self.bias is not None else out
        # END SOLUTION


class Sequential(Module):
    """Modules applied one after the other."""

    def __init__(self, *layers: Module) -> None:
        self.layers = list(layers)

    def forward(self, x: Tensor) -> Tensor:
        for layer in self.layers:
            x = layer(x)
        return x


class ReLU(Module):
    def forward(self, x: Tensor) -> Tensor:
        return x.relu()


class Sigmoid(Module):
    def forward(self, x: Tensor) -> Tensor:
        return x.sigmoid()


class Tanh(Module):
    def forward(self, x: Tensor) -> Tensor:
        return x.tanh()


class MSELoss(Module):
    """ℓ = mean((ŷ − y)²) over every element (PyTorch's default reduction, "mean")."""

    def forward(self, prediction: Tensor, target: Tensor | Any) -> Tensor:
        # BEGIN SOLUTION: the mean of the squared differences
        return ((prediction - target) ** 2).mean()
        # END SOLUTION


class BCELoss(Module):
    """ℓ = −mean(y·ln p + (1 − y)·ln(1 − p)) for probabilities p strictly between 0 and 1."""

    def forward(self, probability: Tensor, target: Tensor | Any) -> Tensor:
        # BEGIN SOLUTION: y·ln p + (1 − y)·ln(1 − p), averaged and negated
        return -(target * probability.log() + (1.0 - target) * (1.0 - probability).log()).mean()
        # END SOLUTION


class CrossEntropyLoss(Module):
    """ℓ = mean over rows of −ln softmax(logits)[target], from raw scores (logits) of shape
    (batch, classes) and class indices ``target`` of shape (batch,), as in PyTorch."""

    def forward(self, logits: Tensor, target: Any) -> Tensor:
        target = np.asarray(target, dtype=np.int64)
        # BEGIN SOLUTION: log-softmax with each row's max subtracted, then pick the targets
        shifted = logits - logits.data.max(axis=1, keepdims=True)  # a constant: no overflow
        log_probs = shifted - shifted.exp().sum(axis=1, keepdims=True).log()
        picked = log_probs * np.eye(logits.shape[1])[target]  # one-hot rows select the target
        return -picked.sum() * (1.0 / len(target))
        # END SOLUTION
