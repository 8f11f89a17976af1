"""A LayerNorm + GELU + Dropout MLP trained with AdamW, linear warm-up then cosine decay.

In spirit: the "modern MLP" training loops of course notebooks and blog posts (Hugging Face-style
warm-up, ``get_cosine_schedule_with_warmup`` written out with ``LambdaLR``; the same schedule with
``SequentialLR`` of ``LinearLR`` and ``CosineAnnealingLR``; ``OneCycleLR``). Exercises
``nn.LayerNorm``, ``nn.GELU`` (exact and tanh), ``nn.Dropout``, ``model.train()``/``eval()``,
AdamW with parameter groups (no weight decay on biases and norms), ``torch.no_grad()`` accuracy,
``optimizer.param_groups`` and ``scheduler.get_last_lr()``.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.optim.lr_scheduler import CosineAnnealingLR, LambdaLR, LinearLR, OneCycleLR, SequentialLR

torch.manual_seed(32)
X = torch.randn(256, 10)
y = ((X[:, :3].sum(1) > 0).long() + (X[:, 3] > 0.5).long())
X_train, y_train, X_val, y_val = X[:192], y[:192], X[192:], y[192:]


class Block(nn.Module):
    def __init__(self, dim, hidden, p=0.1, approximate="none"):
        super().__init__()
        self.norm = nn.LayerNorm(dim)
        self.fc1 = nn.Linear(dim, hidden)
        self.act = nn.GELU(approximate=approximate)
        self.drop = nn.Dropout(p)
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x):
        return x + self.fc2(self.drop(self.act(self.fc1(self.norm(x)))))


class MLP(nn.Module):
    def __init__(self, approximate="none"):
        super().__init__()
        self.inp = nn.Linear(10, 16)
        self.blocks = nn.Sequential(Block(16, 32), Block(16, 32, approximate=approximate))
        self.norm = nn.LayerNorm(16)
        self.head = nn.Linear(16, 3)

    def forward(self, x):
        return self.head(self.norm(self.blocks(self.inp(x))))


def param_groups(model, weight_decay):
    decay, no_decay = [], []
    for name, p in model.named_parameters():
        (no_decay if p.ndim < 2 or "norm" in name else decay).append(p)
    return [{"params": decay, "weight_decay": weight_decay},
            {"params": no_decay, "weight_decay": 0.0}]


def get_cosine_schedule_with_warmup(optimizer, num_warmup_steps, num_training_steps):
    def lr_lambda(current_step):
        if current_step < num_warmup_steps:
            return float(current_step) / float(max(1, num_warmup_steps))
        progress = float(current_step - num_warmup_steps) / float(
            max(1, num_training_steps - num_warmup_steps))
        return max(0.0, 0.5 * (1.0 + math.cos(math.pi * progress)))
    return LambdaLR(optimizer, lr_lambda)


def evaluate(model):
    model.eval()
    with torch.no_grad():
        logits = model(X_val)
        loss = F.cross_entropy(logits, y_val)
        acc = (logits.argmax(dim=1) == y_val).float().mean()
    return loss.item(), acc.item()


def train(model, optimizer, scheduler, epochs, label):
    for epoch in range(epochs):
        model.train()
        perm = torch.randperm(len(X_train))
        for i in range(0, len(X_train), 64):
            idx = perm[i:i + 64]
            loss = F.cross_entropy(model(X_train[idx]), y_train[idx], label_smoothing=0.1)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            scheduler.step()
        val_loss, acc = evaluate(model)
        print(f"{label} epoch {epoch} train {loss.item():.4f} val {val_loss:.4f} "
              f"acc {acc:.3f} lr {scheduler.get_last_lr()[0]:.6f}")


model = MLP()
print(model.blocks[0])
optimizer = torch.optim.AdamW(param_groups(model, 0.05), lr=3e-3, betas=(0.9, 0.95))
print([len(g["params"]) for g in optimizer.param_groups],
      [g["weight_decay"] for g in optimizer.param_groups])
scheduler = get_cosine_schedule_with_warmup(optimizer, num_warmup_steps=3, num_training_steps=12)
train(model, optimizer, scheduler, 4, "lambda")

model = MLP(approximate="tanh")
optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=0.01)
warmup = LinearLR(optimizer, start_factor=0.1, end_factor=1.0, total_iters=3)
cosine = CosineAnnealingLR(optimizer, T_max=9, eta_min=1e-5)
scheduler = SequentialLR(optimizer, schedulers=[warmup, cosine], milestones=[3])
train(model, optimizer, scheduler, 4, "sequential")

model = MLP()
optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
scheduler = OneCycleLR(optimizer, max_lr=1e-2, total_steps=12)
lrs = []
for step in range(12):
    lrs.append(round(optimizer.param_groups[0]["lr"], 7))
    optimizer.step()
    scheduler.step()
print("one cycle lrs", lrs)
print("betas", [round(g["betas"][0], 5) for g in optimizer.param_groups])
print("state", scheduler.state_dict()["total_steps"], scheduler.last_epoch)
print(F.gelu(torch.tensor([-1.0, 0.5, 2.0])), F.gelu(torch.tensor([-1.0, 0.5]), approximate="tanh"))
print(F.layer_norm(torch.arange(6.0).view(2, 3), (3,)))
