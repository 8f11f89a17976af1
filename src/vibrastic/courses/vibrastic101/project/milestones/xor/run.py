"""Milestone "xor": the deck's XOR network and training loop on the learner's mygrad."""

import time

import numpy as np
from mygrad import nn, optim
from mygrad.tensor import Tensor

XOR_TABLE = ((0.0, 0.0, 0.0), (0.0, 1.0, 1.0), (1.0, 0.0, 1.0), (1.0, 1.0, 0.0))


class XOR(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(2, 3, True)
        self.fc2 = nn.Linear(3, 1, True)

    def forward(self, x):
        x = self.fc1(x).sigmoid()
        x = self.fc2(x)
        return x


def weights_of(net):
    return {"fc1.weight": net.fc1.weight.data.tolist(), "fc1.bias": net.fc1.bias.data.tolist(),
            "fc2.weight": net.fc2.weight.data.tolist(), "fc2.bias": net.fc2.bias.data.tolist()}


def run(weights, epochs=50000, lr=0.01, record_every=100, parity_epochs=1000):
    net = XOR()
    for layer in ("fc1", "fc2"):
        getattr(net, layer).weight.data = np.array(weights[f"{layer}.weight"], dtype=float)
        getattr(net, layer).bias.data = np.array(weights[f"{layer}.bias"], dtype=float)
    inputs = [Tensor([[x, y]]) for x, y, _ in XOR_TABLE]
    targets = [Tensor([[t]]) for _, _, t in XOR_TABLE]
    criterion = nn.MSELoss()
    optimizer = optim.SGD(net.parameters(), lr=lr)
    epochs_seen, losses, snapshot = [], [], None
    started = time.perf_counter()
    for idx in range(int(epochs)):
        record = idx % int(record_every) == 0 or idx == epochs - 1
        total = 0.0
        for input, target in zip(inputs, targets):
            optimizer.zero_grad()  # zero the gradient buffers
            output = net(input)
            loss = criterion(output, target)
            loss.backward()
            optimizer.step()  # does the update
            if record:
                total += float(loss.data)
        if record:
            epochs_seen.append(idx)
            losses.append(total / len(inputs))
        if idx + 1 == parity_epochs:
            snapshot = weights_of(net)
    seconds = time.perf_counter() - started
    predicted = [float(net(x).data.reshape(())) for x in inputs]
    return {"epochs": epochs_seen, "losses": losses, "predicted": predicted,
            "weights": weights_of(net), "parity_weights": snapshot, "seconds": seconds}
