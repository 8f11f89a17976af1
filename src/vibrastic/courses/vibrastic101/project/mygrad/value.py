"""Stage 1 — a scalar Value that remembers how it was made.

Deck: "Autograd": f(x, y) = x·y gives ∂f/∂x = y; g(x, y) = x·y² − x²·y asks for ∂g/∂x at (2, 5).
Every operation returns a new Value whose ``parents`` are its inputs and whose ``local_grads``
are ∂out/∂parent, one number per parent, computed while the forward value is known. The chain
rule (stage 2) needs nothing else: ∂L/∂parent = ∂L/∂out · ∂out/∂parent.
"""

from __future__ import annotations

import math

from mygrad import operators


class Value:
    """A float in a computation graph: ``data``, its gradient ``grad`` (0 until backward) and
    how it was made (``parents``, ``local_grads``, the operation's name ``op``)."""

    def __init__(self, data: float, parents: tuple[Value, ...] = (),
                 local_grads: tuple[float, ...] = (), op: str = "") -> None:
        self.data = float(data)
        self.grad = 0.0
        self.parents = parents
        self.local_grads = local_grads
        self.op = op

    def __repr__(self) -> str:
        return f"Value(data={self.data:g}, grad={self.grad:g})"

    # -- operations: the forward value and ∂out/∂parent for each parent
    def __add__(self, other: Value | float) -> Value:
        other = other if isinstance(other, Value) else Value(other)
        # BEGIN SOLUTION: out = a + b; ∂out/∂a = 1 and ∂out/∂b = 1
        return Value(self.data + other.data, (self, other), (1.0, 1.0), "+")
        # END SOLUTION

    def __mul__(self, other: Value | float) -> Value:
        other = other if isinstance(other, Value) else Value(other)
        # BEGIN SOLUTION: out = a·b; ∂out/∂a = b and ∂out/∂b = a
        return Value(self.data * other.data, (self, other), (other.data, self.data), "*")
        # END SOLUTION

    def __pow__(self, exponent: float) -> Value:
        if isinstance(exponent, Value):
            raise TypeError("only a constant exponent is supported: x ** 2, not x ** y")
        # BEGIN SOLUTION: out = aⁿ; ∂out/∂a = n·aⁿ⁻¹
        return Value(self.data ** exponent, (self,),
                     (exponent * self.data ** (exponent - 1),), f"**{exponent:g}")
        # END SOLUTION

    def exp(self) -> Value:
        # BEGIN SOLUTION: out = eᵃ; ∂out/∂a = eᵃ, the output itself
        e = math.exp(self.data)
        return Value(e, (self,), (e,), "exp")
        # END SOLUTION

    def log(self) -> Value:
        # BEGIN SOLUTION: out = ln a; ∂out/∂a = 1/a
        return Value(math.log(self.data), (self,), (1.0 / self.data,), "log")
        # END SOLUTION

    # -- activations: stage 0's functions give the value and the local gradient
    def sigmoid(self) -> Value:
        # BEGIN SOLUTION: operators.sigmoid and operators.sigmoid_prime
        return Value(operators.sigmoid(self.data), (self,),
                     (operators.sigmoid_prime(self.data),), "sigmoid")
        # END SOLUTION

    def tanh(self) -> Value:
        # BEGIN SOLUTION: operators.tanh and operators.tanh_prime
        return Value(operators.tanh(self.data), (self,),
                     (operators.tanh_prime(self.data),), "tanh")
        # END SOLUTION

    def relu(self) -> Value:
        # BEGIN SOLUTION: operators.relu and operators.relu_prime
        return Value(operators.relu(self.data), (self,),
                     (operators.relu_prime(self.data),), "relu")
        # END SOLUTION

    # -- built from the operations above (nothing to write here)
    def __neg__(self) -> Value:
        return self * -1.0

    def __sub__(self, other: Value | float) -> Value:
        return self + (-other)

    def __truediv__(self, other: Value | float) -> Value:
        other = other if isinstance(other, Value) else Value(other)
        return self * other ** -1.0

    def __radd__(self, other: float) -> Value:
        return self + other

    def __rmul__(self, other: float) -> Value:
        return self * other

    def __rsub__(self, other: float) -> Value:
        return Value(other) - self

    def __rtruediv__(self, other: float) -> Value:
        return Value(other) / self

    # -- the chain rule, one node at a time
    def chain_rule(self, grad: float) -> list[tuple[Value, float]]:
        """Given ∂L/∂self = ``grad``: each parent with its share ∂L/∂parent = grad · local."""
        # BEGIN SOLUTION: pair each parent with grad times its local gradient
        return [(parent, grad * local) for parent, local in zip(self.parents, self.local_grads)]
        # END SOLUTION

    def backward(self) -> None:
        """Fill ``grad`` of every Value this one was made from (you write it in stage 2)."""
        from mygrad.autodiff import backward

        backward(self, 1.0)
