# SGD with momentum on a 0-d parameter, and counters built from 0-d results.
import torch

p = torch.tensor(1.0, requires_grad=True)
opt = torch.optim.SGD([p], lr=0.1, momentum=0.9)
for step in range(3):
    opt.zero_grad()
    loss = 2 * p
    loss.backward()
    opt.step()
    print(step, p.item())
print(opt.state_dict()["state"][0]["momentum_buffer"])

q = torch.tensor(0.5, requires_grad=True)
(q * q).backward()
g = q.grad
g.zero_()
print(g, q.grad)

pred = torch.tensor([0, 1, 1, 2])
y = torch.tensor([0, 1, 2, 2])
correct = 0
for _ in range(3):
    correct += (pred == y).sum()
print(correct, correct.item(), correct.dtype)
total = torch.tensor(0.0)
total += torch.tensor([1.5, 2.5]).sum()
total += 1
print(total, total.shape)
print(torch.tensor(3.0) * 2, (torch.ones(3).sum() / 3).dtype)
