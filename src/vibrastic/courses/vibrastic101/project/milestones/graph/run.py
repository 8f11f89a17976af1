"""Milestone "graph": the deck's g on the learner's Value; the graph it recorded, as plain data."""

import time

from mygrad.value import Value


def run(x=2.0, y=5.0):
    started = time.perf_counter()
    xv, yv = Value(x), Value(y)
    g = xv * yv ** 2 - xv ** 2 * yv
    g.backward()
    seconds = time.perf_counter() - started
    keys, nodes, stack = {}, [], [g]
    while stack:  # every node once, from g back to the leaves
        node = stack.pop()
        if id(node) in keys:
            continue
        keys[id(node)] = len(keys)
        nodes.append(node)
        stack.extend(node.parents)
    names = {id(xv): "x", id(yv): "y", id(g): "g"}
    return {
        "value": g.data, "x_grad": xv.grad, "y_grad": yv.grad, "seconds": seconds,
        "nodes": [{"key": keys[id(n)], "op": str(n.op), "data": float(n.data),
                   "grad": float(n.grad), "name": names.get(id(n), ""),
                   "parents": [keys[id(p)] for p in n.parents]} for n in nodes],
    }
