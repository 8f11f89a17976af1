# Save a checkpoint mid-training (model + optimizer state), reload into new objects, resume.
import torch
import torch.nn as nn
import torch.optim as optim

torch.manual_seed(10)
X = torch.randn(80, 4)
true_w = torch.tensor([[1.0], [-2.0], [0.5], [3.0]])
Y = X @ true_w + 0.05 * torch.randn(80, 1)


def make():
    model = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 1))
    optimizer = optim.Adam(model.parameters(), lr=0.01)
    return model, optimizer


def train(model, optimizer, epochs):
    for _ in range(epochs):
        loss = nn.functional.mse_loss(model(X), Y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return loss


model, optimizer = make()
loss = train(model, optimizer, 30)
print("after 30 epochs:", loss.item())
torch.save({
    "epoch": 30,
    "model_state_dict": model.state_dict(),
    "optimizer_state_dict": optimizer.state_dict(),
    "loss": loss,
}, "checkpoint.pt")
loss = train(model, optimizer, 30)
print("uninterrupted, after 60:", loss.item())

model2, optimizer2 = make()
checkpoint = torch.load("checkpoint.pt")
model2.load_state_dict(checkpoint["model_state_dict"])
optimizer2.load_state_dict(checkpoint["optimizer_state_dict"])
epoch = checkpoint["epoch"]
print("resumed at epoch", epoch, "saved loss", checkpoint["loss"].item())
model2.train()
loss2 = train(model2, optimizer2, 30)
print("resumed, after 60:", loss2.item())
print("same weights:", all(torch.allclose(a, b) for a, b in
                          zip(model.parameters(), model2.parameters())))
print(optimizer2.state_dict()["param_groups"][0]["lr"],
      len(optimizer2.state_dict()["state"]))
