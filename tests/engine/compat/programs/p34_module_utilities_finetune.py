"""The nn.Module tour learners print, then fine-tuning with a frozen backbone.

In spirit: the "Building Models" / "Transfer learning" tutorials and Stack Overflow answers on
counting parameters and freezing layers. Exercises ``named_parameters``, ``named_children``,
``named_modules``, ``state_dict()`` keys and shapes, ``sum(p.numel() for p in ...)`` with and
without ``requires_grad``, ``model.apply(init_fn)`` with ``nn.init.kaiming_uniform_``,
``xavier_normal_``, ``zeros_``, ``calculate_gain``, ``requires_grad_(False)`` to freeze a layer,
an optimizer over ``filter(lambda p: p.requires_grad, ...)``, replacing the head, ``load_state_dict``
with ``strict=False`` and its missing/unexpected keys, ``register_buffer`` and ``torch.manual_seed``.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(34)


class Backbone(nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 16), nn.Tanh())
        self.register_buffer("scale", torch.ones(8) * 0.5)

    def forward(self, x):
        return self.layers(x * self.scale)


class Classifier(nn.Module):
    def __init__(self, num_classes):
        super().__init__()
        self.backbone = Backbone()
        self.head = nn.Linear(16, num_classes)

    def forward(self, x):
        return self.head(self.backbone(x))


def init_weights(m):
    if isinstance(m, nn.Linear):
        if m.out_features == 16:
            nn.init.kaiming_uniform_(m.weight, nonlinearity="relu")
        else:
            nn.init.xavier_normal_(m.weight, gain=nn.init.calculate_gain("tanh"))
        nn.init.zeros_(m.bias)


model = Classifier(3)
model.apply(init_weights)
print(model)
for name, param in model.named_parameters():
    print(f"{name:28s} {tuple(param.shape)!s:10s} {param.requires_grad} {param.sum().item():.4f}")
print("children", [name for name, _ in model.named_children()])
print("modules", [name for name, _ in model.named_modules()])
print("state_dict", list(model.state_dict().keys()))
total = sum(p.numel() for p in model.parameters())
print(f"total parameters: {total:,}")

torch.manual_seed(0)
X = torch.randn(120, 8)
y = (X[:, 0] * X[:, 1] > 0).long() + (X[:, 2] > 0).long()
opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
for step in range(20):
    loss = F.cross_entropy(model(X), y)
    opt.zero_grad()
    loss.backward()
    opt.step()
print("pretrained loss", round(loss.item(), 5))

# fine-tune: freeze the backbone, new head for 4 classes
pretrained = {k: v.clone() for k, v in model.state_dict().items()}
model.backbone.requires_grad_(False)
model.head = nn.Linear(16, 4)
trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
print(f"trainable {trainable} of {sum(p.numel() for p in model.parameters())}")
optimizer = torch.optim.Adam(filter(lambda p: p.requires_grad, model.parameters()), lr=0.05)
y4 = y + (X[:, 3] > 1).long()
for step in range(15):
    loss = F.cross_entropy(model(X), y4)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    if step % 5 == 4:
        print(f"finetune step {step} loss {loss.item():.5f}")
print("backbone grad", model.backbone.layers[0].weight.grad, "head grad",
      model.head.weight.grad.shape)
print("backbone unchanged", torch.equal(model.backbone.layers[0].weight,
                                        pretrained["backbone.layers.0.weight"]))

fresh = Classifier(3)
result = fresh.load_state_dict({k: v for k, v in pretrained.items() if k.startswith("backbone")},
                               strict=False)
print("missing", result.missing_keys, "unexpected", result.unexpected_keys)
print("loaded", torch.equal(fresh.backbone.layers[2].bias, pretrained["backbone.layers.2.bias"]))
print("buffers", [name for name, _ in fresh.named_buffers()], fresh.backbone.scale[:2])
for p in fresh.parameters():
    p.requires_grad = False
fresh.head.weight.requires_grad = True
print([n for n, p in fresh.named_parameters() if p.requires_grad])
print("gain", nn.init.calculate_gain("relu"), nn.init.calculate_gain("leaky_relu", 0.2))
