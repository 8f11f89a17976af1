# A softmax classifier trained with a DataLoader (seeded shuffling), counting correct predictions.
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(8)
centers = torch.tensor([[0.0, 3.0], [3.0, -1.0], [-3.0, -1.0]])
labels = torch.randint(0, 3, (240,))
features = centers[labels] + torch.randn(240, 2)

dataset = TensorDataset(features, labels)
g = torch.Generator()
g.manual_seed(0)
loader = DataLoader(dataset, batch_size=32, shuffle=True, generator=g)

model = nn.Linear(2, 3)
loss_fn = nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)

for epoch in range(4):
    correct = 0
    total = 0
    running = 0.0
    for xb, yb in loader:
        logits = model(xb)
        loss = loss_fn(logits, yb)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        running += loss.item() * xb.size(0)
        pred = logits.argmax(dim=1)
        correct += (pred == yb).sum()
        total += yb.size(0)
    print(f"epoch {epoch}: loss {running / total:.5f} accuracy {correct / total:.4f} "
          f"({int(correct)}/{total})")
print(len(loader), "batches per epoch")
