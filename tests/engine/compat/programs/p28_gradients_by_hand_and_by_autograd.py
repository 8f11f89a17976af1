# Checking autograd against hand-derived gradients: autograd.grad, retain_graph, accumulation.
import torch

torch.manual_seed(18)
x = torch.randn(4, 3)
w = torch.randn(3, 1, requires_grad=True)
b = torch.zeros(1, requires_grad=True)
y = torch.randn(4, 1)

pred = torch.sigmoid(x @ w + b)
loss = torch.nn.functional.binary_cross_entropy(pred, (y > 0).float())
gw, gb = torch.autograd.grad(loss, [w, b], retain_graph=True)
manual_gw = x.t() @ (pred - (y > 0).float()) / 4
print(gw.squeeze(), manual_gw.squeeze(), torch.allclose(gw, manual_gw, atol=1e-6))
print(gb, w.grad)

loss.backward(retain_graph=True)
first = w.grad.clone()
loss.backward()
print(torch.allclose(w.grad, 2 * first), w.grad.squeeze())

z = torch.linspace(-2, 2, 5, requires_grad=True)
s = torch.tanh(z).sum()
(dz,) = torch.autograd.grad(s, z)
print(dz, 1 - torch.tanh(z.detach()) ** 2)

h = torch.tensor([0.5, -1.0, 2.0], requires_grad=True)
out = (h.exp() * h.sin()).sum()
out.backward()
print(h.grad, (h.exp() * (h.sin() + h.cos())).detach())
with torch.no_grad():
    h -= 0.1 * h.grad
h.grad.zero_()
print(h, h.grad, h.requires_grad, h.is_leaf)
