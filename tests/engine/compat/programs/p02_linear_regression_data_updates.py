# Linear regression y = 3x + 2 with .data updates and grad.data.zero_(), as older tutorials do.
import torch

torch.manual_seed(42)
X = torch.randn(100, 1)
Y = 3 * X + 2 + 0.1 * torch.randn(100, 1)

w = torch.randn(1, requires_grad=True)
b = torch.zeros(1, requires_grad=True)
lr = 0.1
for epoch in range(60):
    y_hat = X * w + b
    loss = torch.mean((y_hat - Y) ** 2)
    loss.backward()
    w.data = w.data - lr * w.grad.data
    b.data -= lr * b.grad.data
    w.grad.data.zero_()
    b.grad.data.zero_()
    if epoch % 10 == 9:
        print("epoch", epoch + 1, "loss", round(loss.item(), 6))
print("w =", w.item(), "b =", b.item())
print(w.grad, b.grad)
