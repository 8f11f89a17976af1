# A tiny text classifier: nn.Embedding, mean pooling, cross-entropy and SGD.
import torch
import torch.nn as nn

vocab = {w: i for i, w in enumerate(
    "<pad> good great fine bad awful poor movie plot acting was the".split())}
data = [("good movie", 1), ("great acting", 1), ("the plot was fine", 1), ("bad movie", 0),
        ("awful acting", 0), ("the plot was poor", 0), ("great plot", 1), ("poor movie", 0)]


def encode(text, length=4):
    ids = [vocab[w] for w in text.split()]
    return ids + [0] * (length - len(ids))


X = torch.tensor([encode(t) for t, _ in data])
y = torch.tensor([label for _, label in data])


class BagOfWords(nn.Module):
    def __init__(self, vocab_size, dim, classes):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, dim, padding_idx=0)
        self.fc = nn.Linear(dim, classes)

    def forward(self, ids):
        mask = (ids != 0).float().unsqueeze(-1)
        pooled = (self.embedding(ids) * mask).sum(dim=1) / mask.sum(dim=1)
        return self.fc(pooled)


torch.manual_seed(15)
model = BagOfWords(len(vocab), 8, 2)
optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
criterion = nn.CrossEntropyLoss()
for epoch in range(40):
    logits = model(X)
    loss = criterion(logits, y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    if epoch % 10 == 0:
        acc = (logits.argmax(-1) == y).float().mean()
        print(f"epoch {epoch} loss {loss.item():.5f} acc {acc.item():.3f}")
probs = torch.softmax(model(torch.tensor([encode("great movie"), encode("awful plot")])), dim=1)
print(probs)
print(model.embedding.weight.grad[0])
