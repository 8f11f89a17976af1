"""The same training step eager and wrapped in ``torch.compile``: both must print eager's numbers.

In spirit: the PyTorch 2 "Introduction to torch.compile" tutorial (compile the whole training
step and compare with eager), using the ``backend="aot_eager"`` its troubleshooting section
suggests (torch traces forward and backward but skips code generation, which keeps the torch run
short; vibrastic runs the traced step as NumPy code). Exercises ``torch.compile`` on a step with
``zero_grad``, ``loss.backward()`` and ``optimizer.step()`` inside, ``copy.deepcopy`` of a model
so both runs start from the same weights, ``torch.allclose`` between eager and compiled weights,
and a ``@torch.no_grad()`` decorated evaluation.
"""
import copy

import torch
import torch.nn as nn
import torch.nn.functional as F


class MyModule(nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(20, 16)
        self.out = nn.Linear(16, 3)

    def forward(self, x):
        return self.out(F.relu(self.lin(x)))


torch.manual_seed(33)
X = torch.randn(128, 20)
y = (X[:, 0] > 0).long() + (X[:, 1] > 0).long()
eager_model = MyModule()
compiled_model = copy.deepcopy(eager_model)


def make_step(model, optimizer):
    def train_step(xb, yb):
        optimizer.zero_grad()
        loss = F.cross_entropy(model(xb), yb)
        loss.backward()
        optimizer.step()
        return loss
    return train_step


eager_opt = torch.optim.Adam(eager_model.parameters(), lr=1e-2)
compiled_opt = torch.optim.Adam(compiled_model.parameters(), lr=1e-2)
eager_step = make_step(eager_model, eager_opt)
compiled_step = torch.compile(make_step(compiled_model, compiled_opt), backend="aot_eager")
for epoch in range(4):
    for i in range(0, 128, 32):
        eager_loss = eager_step(X[i:i + 32], y[i:i + 32])
        compiled_loss = compiled_step(X[i:i + 32], y[i:i + 32])
    print(f"epoch {epoch} eager {eager_loss.item():.6f} compiled {compiled_loss.item():.6f}")
same = all(torch.allclose(a, b, atol=1e-6) for a, b in
           zip(eager_model.parameters(), compiled_model.parameters()))
print("same weights", same, compiled_model.lin.weight[0, :3])


@torch.no_grad()
def accuracy(model):
    return (model(X).argmax(1) == y).float().mean().item()


print(f"accuracy eager {accuracy(eager_model):.4f} compiled {accuracy(compiled_model):.4f}")
print("state", compiled_opt.state_dict()["state"][0]["step"], len(compiled_opt.state))
