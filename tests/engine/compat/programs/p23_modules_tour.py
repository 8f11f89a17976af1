# nn beyond Linear: BatchNorm1d, Dropout in train and eval, Embedding, nn.init, apply,
# named_modules, freezing with requires_grad_, no_grad as a decorator.
import torch
import torch.nn as nn


def init_weights(m):
    if isinstance(m, nn.Linear):
        nn.init.xavier_uniform_(m.weight)
        nn.init.zeros_(m.bias)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(4, 6), nn.BatchNorm1d(6), nn.ReLU(), nn.Dropout(0.25))
        self.head = nn.Linear(6, 2)

    def forward(self, x):
        return self.head(self.body(x))


torch.manual_seed(14)
net = Net()
net.apply(init_weights)
for name, module in net.named_modules():
    print(repr(name), type(module).__name__)
print([name for name, _ in net.named_parameters()])
print(list(net.state_dict().keys()))

x = torch.randn(8, 4)
y = torch.randint(0, 2, (8,))
opt = torch.optim.SGD(net.parameters(), lr=0.1)
for step in range(5):
    loss = nn.CrossEntropyLoss()(net(x), y)
    opt.zero_grad()
    loss.backward()
    opt.step()
    print(step, loss.item())
bn = net.body[1]
print(bn.running_mean, bn.running_var, bn.num_batches_tracked)


@torch.no_grad()
def predict(model, inputs):
    model.eval()
    return model(inputs)


out = predict(net, x)
print(out, out.requires_grad, net.training, net.body[3].training)
net.train()
drop = nn.Dropout(p=0.5)
print(drop(torch.ones(2, 6)), drop.eval()(torch.ones(2, 6)))

emb = nn.Embedding(10, 3)
words = torch.tensor([[1, 2, 4], [4, 3, 9]])
print(emb(words).shape, emb.weight[4], emb(torch.tensor([4]))[0])
emb2 = nn.Embedding(5, 2, padding_idx=0)
print(emb2.weight[0])

net.head.requires_grad_(False)
print([p.requires_grad for p in net.parameters()])
w = torch.empty(3, 5)
nn.init.kaiming_uniform_(w, nonlinearity="relu")
nn.init.normal_(w, mean=0.0, std=0.02)
nn.init.constant_(w[0], 0.3)
print(w.abs().max().item() < 1, w[0])
lin = nn.Linear(3, 3)
nn.init.kaiming_normal_(lin.weight, mode="fan_out", nonlinearity="relu")
nn.init.uniform_(lin.bias, -0.1, 0.1)
nn.init.ones_(lin.bias)
print(lin.bias, lin.weight.std().item() > 0)
