# A feed-forward net on 8x8 digit images: a Dataset subclass, DataLoader collation, train/eval.
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from sklearn.datasets import load_digits
from torch.utils.data import DataLoader, Dataset

digits = load_digits()
images = (digits.images / 16.0).astype(np.float32)
targets = digits.target


class DigitsDataset(Dataset):
    def __init__(self, images, targets):
        self.images = images
        self.targets = targets

    def __len__(self):
        return len(self.targets)

    def __getitem__(self, idx):
        image = torch.tensor(self.images[idx])
        return image, int(self.targets[idx])


train_set = DigitsDataset(images[:1200], targets[:1200])
test_set = DigitsDataset(images[1200:], targets[1200:])
torch.manual_seed(9)
train_loader = DataLoader(train_set, batch_size=64, shuffle=True)
test_loader = DataLoader(test_set, batch_size=200)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.flatten = nn.Flatten()
        self.fc1 = nn.Linear(64, 32)
        self.fc2 = nn.Linear(32, 10)

    def forward(self, x):
        x = self.flatten(x)
        x = F.relu(self.fc1(x))
        return self.fc2(x)


model = Net()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
for epoch in range(2):
    model.train()
    for batch, (X, y) in enumerate(train_loader):
        pred = model(X)
        loss = F.cross_entropy(pred, y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if batch % 6 == 0:
            print(f"loss: {loss.item():>7f}  [{batch * len(X):>4d}/{len(train_loader.dataset)}]")
    model.eval()
    test_loss, correct = 0, 0
    with torch.no_grad():
        for X, y in test_loader:
            pred = model(X)
            test_loss += F.cross_entropy(pred, y, reduction="sum").item()
            correct += (pred.argmax(1) == y).type(torch.float).sum().item()
    size = len(test_loader.dataset)
    print(f"Test Error: Accuracy: {(100 * correct / size):>0.1f}%, "
          f"Avg loss: {test_loss / size:>8f}")
