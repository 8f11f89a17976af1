"""Challenge: ∂g/∂x by hand for g(x, y) = x·y² − x²·y (deck: PyTorch autograd)."""


def g(x, y):
    """The deck's function g(x, y) = x·y² − x²·y."""
    return x * y ** 2 - x ** 2 * y


def dg_dx(x, y):
    """∂g/∂x, worked out by hand (y is a constant)."""
    # BEGIN SOLUTION: differentiate x·y² − x²·y with respect to x
    return y ** 2 - 2 * x * y
    # END SOLUTION


def dg_dy(x, y):
    """∂g/∂y, worked out by hand (x is a constant)."""
    # BEGIN SOLUTION: differentiate x·y² − x²·y with respect to y
    return 2 * x * y - x ** 2
    # END SOLUTION


# The numbers at (x, y) = (2, 5), worked out by hand:
# BEGIN SOLUTION
# STUB: DG_DX = ...  # TODO: ∂g/∂x at (2, 5)
# STUB: DG_DY = ...  # TODO: ∂g/∂y at (2, 5)
DG_DX = 5
DG_DY = 16
# END SOLUTION


if __name__ == "__main__":
    print(DG_DX, dg_dx(2, 5))
