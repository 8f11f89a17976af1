"""Milestone "digits": a 64-128-10 MLP on the learner's mygrad; data and weights come as files."""

import time

import numpy as np
from mygrad import nn, optim
from mygrad.tensor import Tensor


def run(epochs=10, batch=32, lr=0.05, momentum=0.9, seed=0, parity_epochs=1):
    data = np.load("milestone_data/digits.npz")
    start = np.load("milestone_data/weights.npz")
    x_train, y_train = data["x_train"].astype(float), data["y_train"]
    x_test, y_test = data["x_test"].astype(float), data["y_test"]
    net = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))
    first, last = net.layers[0], net.layers[2]
    first.weight.data = start["0.weight"].astype(float)
    first.bias.data = start["0.bias"].astype(float)
    last.weight.data = start["2.weight"].astype(float)
    last.bias.data = start["2.bias"].astype(float)
    criterion = nn.CrossEntropyLoss()
    optimizer = optim.SGD(net.parameters(), lr=lr, momentum=momentum)
    order_rng = np.random.default_rng(seed)
    losses, accuracies, snapshot = [], [], None
    started = time.perf_counter()
    for epoch in range(int(epochs)):
        order = order_rng.permutation(len(x_train))
        total, count = 0.0, 0
        for begin in range(0, len(order), int(batch)):
            idx = order[begin:begin + int(batch)]
            optimizer.zero_grad()
            loss = criterion(net(Tensor(x_train[idx])), y_train[idx])
            loss.backward()
            optimizer.step()
            total += float(loss.data) * len(idx)
            count += len(idx)
        losses.append(total / count)
        predicted = net(Tensor(x_test)).data.argmax(axis=1)
        accuracies.append(float((predicted == y_test).mean()))
        if epoch + 1 == parity_epochs:
            snapshot = {k: p.data.tolist() for k, p in
                        zip(("0.weight", "0.bias", "2.weight", "2.bias"), net.parameters())}
    seconds = time.perf_counter() - started
    predicted = net(Tensor(x_test[:24])).data.argmax(axis=1)
    return {"losses": losses, "accuracies": accuracies, "parity_weights": snapshot,
            "seconds": seconds, "predicted": predicted.tolist()}
