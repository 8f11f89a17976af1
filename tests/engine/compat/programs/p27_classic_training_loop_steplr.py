# The classic tutorial loop: torch.max(outputs.data, 1) accuracy, a StepLR schedule, printoptions.
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset, random_split

torch.manual_seed(17)
torch.set_printoptions(precision=3)
X = torch.randn(300, 5)
y = (X[:, 0] + 2 * X[:, 1] - X[:, 2] > 0).long() + (X[:, 3] > 1).long()
train_set, test_set = random_split(TensorDataset(X, y), [240, 60],
                                   generator=torch.Generator().manual_seed(1))
train_loader = DataLoader(train_set, batch_size=40, shuffle=True)
test_loader = DataLoader(test_set, batch_size=60, shuffle=False)


class NeuralNet(nn.Module):
    def __init__(self, input_size, hidden_size, num_classes):
        super(NeuralNet, self).__init__()
        self.fc1 = nn.Linear(input_size, hidden_size)
        self.relu = nn.ReLU()
        self.fc2 = nn.Linear(hidden_size, num_classes)

    def forward(self, x):
        out = self.fc1(x)
        out = self.relu(out)
        out = self.fc2(out)
        return out


model = NeuralNet(5, 16, 3)
criterion = nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(model.parameters(), lr=0.5, momentum=0.5)
scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)
total_step = len(train_loader)
for epoch in range(4):
    for i, (images, labels) in enumerate(train_loader):
        outputs = model(images)
        loss = criterion(outputs, labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if (i + 1) % 3 == 0:
            print('Epoch [{}/{}], Step [{}/{}], Loss: {:.4f}'
                  .format(epoch + 1, 4, i + 1, total_step, loss.item()))
    scheduler.step()
    print("lr", scheduler.get_last_lr())

model.eval()
with torch.no_grad():
    correct = 0
    total = 0
    for images, labels in test_loader:
        outputs = model(images)
        _, predicted = torch.max(outputs.data, 1)
        total += labels.size(0)
        correct += (predicted == labels).sum().item()
    print('Accuracy of the network on the test set: {} %'.format(100 * correct / total))
print(outputs[:3])
print(model.fc2.bias)
