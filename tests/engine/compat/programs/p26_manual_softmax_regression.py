# Softmax regression from scratch: raw weights, log-softmax by hand, one-hot targets, SGD by hand.
import torch

torch.manual_seed(16)
num_inputs, num_outputs = 6, 3
X = torch.randn(90, num_inputs)
true_W = torch.randn(num_inputs, num_outputs)
y = (X @ true_W).argmax(dim=1)

W = torch.normal(0, 0.01, size=(num_inputs, num_outputs), requires_grad=True)
b = torch.zeros(num_outputs, requires_grad=True)


def softmax(X):
    X_exp = torch.exp(X)
    partition = X_exp.sum(1, keepdim=True)
    return X_exp / partition


def net(X):
    return softmax(torch.matmul(X.reshape((-1, W.shape[0])), W) + b)


def cross_entropy(y_hat, y):
    return -torch.log(y_hat[range(len(y_hat)), y])


def accuracy(y_hat, y):
    y_hat = y_hat.argmax(axis=1)
    cmp = y_hat.type(y.dtype) == y
    return float(cmp.type(y.dtype).sum())


lr = 0.5
for epoch in range(5):
    for i in range(0, 90, 15):
        Xb, yb = X[i:i + 15], y[i:i + 15]
        l = cross_entropy(net(Xb), yb)
        l.mean().backward()
        with torch.no_grad():
            for param in (W, b):
                param -= lr * param.grad
                param.grad.zero_()
    with torch.no_grad():
        train_l = cross_entropy(net(X), y)
        print(f"epoch {epoch + 1}, loss {float(train_l.mean()):f}, "
              f"acc {accuracy(net(X), y) / len(y):.3f}")
one_hot = torch.nn.functional.one_hot(y[:4], num_classes=3)
print(one_hot, one_hot.dtype)
