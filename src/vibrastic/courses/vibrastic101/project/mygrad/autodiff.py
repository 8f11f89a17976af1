"""Stage 2 — backward(): the chain rule over the whole graph.

Deck: "Backpropagation": ∂f(g(x))/∂x = ∂f/∂g · ∂g/∂x, and a variable used in several places gets
the sum over all of them: ∂f/∂x_i = Σ_j ∂f/∂x_j · ∂x_j/∂x_i. Walk the graph from the output back
to the inputs so that a node's gradient is complete before it is passed on: that is the reverse
of a *topological order* (every node after the nodes it was made from).

Works for any node with ``parents``, ``grad`` and ``chain_rule(grad)``: the scalar Value of
stage 1 now, and the Tensor of stage 3 later, unchanged.
"""

from __future__ import annotations

from typing import Any


def topological_order(root: Any) -> list[Any]:
    """Every node ``root`` was made from, each once, each after its parents; ``root`` last.

    Iterative (an explicit stack, no recursion), so a graph 10,000 nodes deep works.
    """
    # BEGIN SOLUTION: depth-first with a stack of (node, parents_done) pairs
    order: list[Any] = []
    visited: set[int] = set()
    stack = [(root, False)]
    while stack:
        node, parents_done = stack.pop()
        if parents_done:
            order.append(node)  # all of its parents are already in the order
            continue
        if id(node) in visited:
            continue
        visited.add(id(node))
        stack.append((node, True))
        stack.extend((parent, False) for parent in node.parents if id(parent) not in visited)
    return order
    # END SOLUTION


def backward(root: Any, grad: Any) -> None:
    """Propagate ``grad`` (∂L/∂root: 1.0 for a scalar) to every node ``root`` was made from.

    Visit the nodes in reverse topological order; each node passes its gradient to its parents
    through ``chain_rule``, and a parent reached along several paths gets the *sum*. Each node's
    ``grad`` is increased, not replaced: calling backward twice adds up, as in PyTorch.
    """
    # BEGIN SOLUTION: a dict of gradients by id(node); += for every path that reaches a node
    grads = {id(root): grad}
    for node in reversed(topological_order(root)):
        g = grads.pop(id(node))
        node.grad = node.grad + g
        for parent, parent_grad in node.chain_rule(g):
            grads[id(parent)] = grads.get(id(parent), 0.0) + parent_grad
    # END SOLUTION
