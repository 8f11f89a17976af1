# Seeds reproduce runs; generator state round-trips; grad modes; detach and requires_grad_.
import torch

torch.manual_seed(0)
a = torch.rand(3)
torch.manual_seed(0)
b = torch.rand(3)
print(torch.equal(a, b), a)

state = torch.get_rng_state()
first = torch.randn(2)
torch.set_rng_state(state)
print(torch.equal(first, torch.randn(2)))

g = torch.Generator().manual_seed(123)
print(torch.randn(2, generator=g), torch.randperm(5, generator=g), g.initial_seed())
print(torch.randint(0, 10, (4,)), torch.randint(5, (2, 2)))

x = torch.ones(3)
print(x.requires_grad, x.requires_grad_().requires_grad, x.is_leaf)
with torch.no_grad():
    y = x * 2
print(y.requires_grad)
with torch.enable_grad():
    z = x * 2
print(z.requires_grad, z.grad_fn is not None, z.detach().requires_grad)
torch.set_grad_enabled(False)
print((x * 2).requires_grad, torch.is_grad_enabled())
torch.set_grad_enabled(True)


@torch.no_grad
def double(t):
    return t * 2


print(double(x).requires_grad)
w = torch.tensor([1.0, 2.0], requires_grad=True)
out = (w ** 2).sum()
out.backward(retain_graph=True)
out.backward()
print(w.grad)
h = w * 3
h.retain_grad()
h.sum().backward()
print(h.grad, w.grad)
