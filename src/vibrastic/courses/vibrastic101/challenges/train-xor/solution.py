"""Challenge: train the XOR network (deck: Build MLP in PyTorch)."""

import torch
import torch.nn as nn
import torch.optim as optim

inputs = torch.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
targets = torch.tensor([[0.0], [1.0], [1.0], [0.0]])


class XOR(nn.Module):
    """The deck's 2-3-1 network: a sigmoid hidden layer, a linear output."""

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(2, 3, True)
        self.fc2 = nn.Linear(3, 1, True)

    def forward(self, x):
        x = torch.sigmoid(self.fc1(x))
        x = self.fc2(x)
        return x


def train(net, epochs=2000):
    """Train ``net`` on the four XOR inputs (nn.MSELoss, optim.SGD with lr=0.1 and momentum=0.9,
    one step per epoch on all four inputs at once); return the loss of every epoch (floats)."""
    # BEGIN SOLUTION: criterion, optimizer, then per epoch: zero_grad, loss, backward, step
    criterion = nn.MSELoss()
    optimizer = optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
    losses = []
    for _ in range(epochs):
        optimizer.zero_grad()  # zero the gradient buffers
        loss = criterion(net(inputs), targets)
        loss.backward()
        optimizer.step()  # does the update
        losses.append(loss.item())
    return losses
    # END SOLUTION


if __name__ == "__main__":
    torch.manual_seed(0)
    net = XOR()
    losses = train(net)
    print(f"loss: {losses[0]:.4f} -> {losses[-1]:.6f}")
    with torch.no_grad():
        for x, t in zip(inputs, targets, strict=True):
            out = net(x).item()
            print(f"Input:{x.tolist()} Target:{t.item():.0f} Predicted:{out:.4f} "
                  f"Error:{abs(t.item() - out):.4f}")
