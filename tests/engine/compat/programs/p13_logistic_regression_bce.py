# Logistic regression on two Gaussian blobs: nn.Linear + sigmoid, BCELoss, accuracy by counting.
import torch
import torch.nn as nn

torch.manual_seed(7)
n = 100
x0 = torch.randn(n, 2) + torch.tensor([-2.0, -2.0])
x1 = torch.randn(n, 2) + torch.tensor([2.0, 2.0])
X = torch.cat([x0, x1], dim=0)
y = torch.cat([torch.zeros(n), torch.ones(n)]).unsqueeze(1)


class LogisticRegression(nn.Module):
    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(2, 1)

    def forward(self, x):
        return torch.sigmoid(self.linear(x))


model = LogisticRegression()
criterion = nn.BCELoss()
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
for epoch in range(50):
    outputs = model(X)
    loss = criterion(outputs, y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    if (epoch + 1) % 10 == 0:
        print(f"Epoch [{epoch + 1}/50], Loss: {loss.item():.4f}")

with torch.no_grad():
    predicted = (model(X) > 0.5).float()
    correct = 0
    correct += (predicted == y).sum()
    print("correct:", correct.item(), "accuracy:", (predicted == y).float().mean().item())
w, b = model.linear.weight, model.linear.bias
print("weights", w.detach().numpy().round(4).tolist(), "bias", round(b.item(), 4))
