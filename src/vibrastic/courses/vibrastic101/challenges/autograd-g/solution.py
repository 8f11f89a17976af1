"""Challenge: ∂g/∂x with PyTorch autograd (deck: PyTorch autograd → Solve this with Pytorch)."""

import torch


def g(x, y):
    """g(x, y) = x·y² − x²·y, on tensors or numbers."""
    # BEGIN SOLUTION: the deck's g with ordinary operators
    return x * y ** 2 - x ** 2 * y
    # END SOLUTION


def grad_g(x, y):
    """Return (∂g/∂x, ∂g/∂y) at (x, y) as tensors, computed by autograd's backward()."""
    # BEGIN SOLUTION: tensors with requires_grad=True, g(...).backward(), then the .grad of each
    x = torch.tensor(x, requires_grad=True)
    y = torch.tensor(y, requires_grad=True)
    g(x, y).backward()
    return x.grad, y.grad
    # END SOLUTION


if __name__ == "__main__":
    dx, dy = grad_g(2.0, 5.0)
    print(dx, dy)
