# A two-headed net (nn.ModuleDict heads, loss weights learned in an nn.ParameterList) with gradient
# clipping and ReduceLROnPlateau; then Adagrad with a cosine schedule, clip_grad_value_ and
# parameters_to_vector.
import torch
import torch.nn as nn
from torch.nn.utils import clip_grad_norm_, clip_grad_value_, parameters_to_vector

torch.manual_seed(29)
X = torch.randn(200, 4)
y_class = (X[:, 0] - X[:, 1] > 0).long()
y_value = (X[:, 2] * 3 + X[:, 3]).unsqueeze(1)


class TwoHeads(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(4, 16), nn.Tanh())
        self.heads = nn.ModuleDict({"cls": nn.Linear(16, 2), "reg": nn.Linear(16, 1)})
        self.log_vars = nn.ParameterList([torch.zeros(1), torch.zeros(1)])  # learned weights

    def forward(self, x):
        h = self.body(x)
        return {name: head(h) for name, head in self.heads.items()}


model = TwoHeads()
print(model)
print([name for name, _ in model.named_parameters()])
optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, patience=1, factor=0.5,
                                                       threshold=0.2, cooldown=1)
ce, mse = nn.CrossEntropyLoss(), nn.MSELoss()
for epoch in range(12):
    out = model(X[:150])
    losses = [ce(out["cls"], y_class[:150]), mse(out["reg"], y_value[:150])]
    loss = sum(torch.exp(-s) * part + s for s, part in zip(model.log_vars, losses)).sum()
    optimizer.zero_grad()
    loss.backward()
    norm = clip_grad_norm_(model.parameters(), max_norm=1.0)
    optimizer.step()
    with torch.no_grad():
        val = model(X[150:])
        val_loss = ce(val["cls"], y_class[150:]) + mse(val["reg"], y_value[150:])
    scheduler.step(val_loss)
    print(f"epoch {epoch} loss {loss.item():.4f} grad norm {norm.item():.4f} "
          f"val {val_loss.item():.4f} lr {scheduler.get_last_lr()[0]:.4f}")

optimizer = torch.optim.Adagrad(model.parameters(), lr=0.05, lr_decay=0.01)
scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=3, eta_min=0.001)
for epoch in range(7):
    out = model(X)
    loss = ce(out["cls"], y_class) + mse(out["reg"], y_value)
    optimizer.zero_grad()
    loss.backward()
    clip_grad_value_(model.parameters(), clip_value=0.5)
    optimizer.step()
    scheduler.step()
    print(f"adagrad {epoch} loss {loss.item():.4f} lr {scheduler.get_last_lr()[0]:.5f}")
print("state", optimizer.state_dict()["state"][0]["step"])
vector = parameters_to_vector(model.parameters())
print(vector.shape, vector.norm().item())
print(model.heads["reg"].bias)
