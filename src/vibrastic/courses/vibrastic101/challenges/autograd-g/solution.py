"""Challenge: ∂g/∂x with PyTorch autograd (deck: PyTorch autograd → Solve this with Pytorch)."""

import torch


def g(x, y):
    """g(x, y) = x·y² − x²·y, on tensors or numbers."""
    # BEGIN SOLUTION: the deck's g with ordinary operators
    return x * y ** 2 - x ** 2 * y
    # END SOLUTION


def grad_g(x, y):
    """x and y are tensors created with requires_grad=True: return (∂g/∂x, ∂g/∂y) at (x, y),
    as computed by autograd's backward()."""
    # BEGIN SOLUTION: compute g from x and y, call backward() on it, return the .grad of each
    g(x, y).backward()
    return x.grad, y.grad
    # END SOLUTION


if __name__ == "__main__":
    x = torch.tensor(2.0, requires_grad=True)
    y = torch.tensor(5.0, requires_grad=True)
    dx, dy = grad_g(x, y)
    print(dx, dy)
