# Deck style: one scalar weight, gradient descent by hand, no_grad update and grad.zero_().
import torch

x = torch.tensor([1.0, 2.0, 3.0, 4.0])
y = torch.tensor([2.0, 4.0, 6.0, 8.0])

w = torch.tensor(1.0, requires_grad=True)


def forward(x):
    return w * x


def loss(y, y_pred):
    return ((y_pred - y) ** 2).mean()


print(f"Prediction before training: f(5) = {forward(5).item():.3f}")
learning_rate = 0.01
n_iters = 20
for epoch in range(n_iters):
    y_pred = forward(x)
    l = loss(y, y_pred)
    l.backward()
    with torch.no_grad():
        w -= learning_rate * w.grad
    w.grad.zero_()
    if epoch % 2 == 0:
        print(f"epoch {epoch + 1}: w = {w.item():.3f}, loss = {l.item():.8f}")
print(f"Prediction after training: f(5) = {forward(5).item():.3f}")
print(w)
