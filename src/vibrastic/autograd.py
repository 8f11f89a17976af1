"""Autograd: how vibrastic records ops and differentiates them (``torch.autograd``'s job).

The whole idea on one screen (``record``, ``run_backward``, ``unbroadcast``): every op returns
``record(result, parents, backward, name)``; when a parent requires gradients, the result keeps
its parents and ``backward``, a function from the result's gradient to one gradient per parent.
``run_backward`` then visits the graph once, newest node first, without recursion. Below the idea:
the grad modes (``no_grad`` and friends) and ``gradcheck``, which tests a gradient rule against
central differences.
"""

from __future__ import annotations

import functools
import heapq
import types
import warnings
import weakref
from collections.abc import Callable, Sequence
from contextlib import ContextDecorator
from typing import Any, ClassVar

import numpy as np

from vibrastic import memory
from vibrastic.missing import module_getattr

Backward = Callable[[np.ndarray], Sequence["np.ndarray | None"]]


class _GradMode:
    enabled = True


def record(
    data: np.ndarray, parents: tuple[Tensor, ...], backward: Backward, name: str,
    saves: bool = True,
) -> Tensor:
    """Wrap an op's result; remember (parents, backward) only when a parent needs gradients.

    ``saves`` says that ``backward`` holds on to intermediate values, which ``run_backward``
    frees (as torch frees saved tensors) unless ``retain_graph=True``.
    """
    out = _tensor_new(Tensor)
    # NumPy turns 0-d results into scalars (np.float32(2.0)); a tensor keeps a 0-d array, so
    # in-place updates (w.grad.zero_(), a momentum buffer, correct += ...) work on it
    out._data = data if type(data) is np.ndarray else np.asarray(data)
    out.grad = None
    out._retains_grad = False
    out._seq = _next_seq()
    if _GradMode.enabled:
        for p in parents:
            if p.requires_grad:
                out.requires_grad = True
                out._ctx = (parents, backward, name, saves)
                return out
    out.requires_grad = False
    out._ctx = None
    return out


def run_backward(root: Tensor, seed: np.ndarray, retain_graph: bool) -> None:
    """Propagate the gradient ``seed`` from ``root`` to the leaves' ``.grad``.

    Nodes come off a heap newest first (as in PyTorch's engine): every node is newer than its
    inputs, so when a node comes up, all the gradient it will receive has arrived. Leaves have
    nothing to pass on: their gradients are summed aside and added to ``.grad`` at the end.
    """
    if not memory.asked:  # training from here on: keep freed temporaries mapped (memory.py)
        memory.at_first_backward()
    if root._ctx is None:
        return _accumulate(root, _run_hooks(root, seed) if _hooked else seed)
    grads: dict[Tensor, np.ndarray] = {root: seed}
    at_leaves: dict[Tensor, np.ndarray] = {}
    queue: list[tuple[int, Tensor]] = [(-root._seq, root)]
    pop, push = heapq.heappop, heapq.heappush
    changed = _last_change[0] > 0  # a tensor was changed in place in a graph (change_in_place)
    hooked = bool(_hooked)  # some tensor has hooks (register_hook)
    while queue:
        node = pop(queue)[1]
        g = grads.pop(node)
        if hooked:
            g = _run_hooks(node, g)
        if node._retains_grad:  # a non-leaf that keeps its .grad, as torch's retain_grad()
            _accumulate(node, g)
        parents, backward, name, saves = node._ctx
        if changed and node._seq < _last_change[0]:
            _check_unchanged(node)
        for parent, pg in zip(parents, backward(g), strict=True):
            if changed:
                if node._seq < parent._seq:  # recorded before parent was changed in place:
                    parent = _version_at(parent, node._seq)  # its gradient goes to that version
                elif parent._seq < _last_change[0]:
                    _check_not_a_stale_view(node, parent)
            if pg is None or not parent.requires_grad:
                continue
            if pg.shape != parent._data.shape:
                pg = unbroadcast(pg, parent._data.shape)
            if pg.dtype is not parent._data.dtype:  # in the parent's own dtype, as torch
                pg = pg.astype(parent._data.dtype, copy=False)
            to = at_leaves if parent._ctx is None else grads
            prev = to.get(parent)
            if prev is not None:
                to[parent] = prev + pg
            else:
                to[parent] = pg
                if to is grads:
                    push(queue, (-parent._seq, parent))
        if saves and not retain_graph:
            node._ctx = (parents, _freed, name, saves)
    for leaf, g in at_leaves.items():
        _accumulate(leaf, _run_hooks(leaf, g) if hooked else g)


# --------------------------------------------------------------------------------------------
# tensor hooks: register_hook
# --------------------------------------------------------------------------------------------

_hooked: dict[int, weakref.ref[Tensor]] = {}  # the live tensors that have hooks, by id
# (empty: the backward pass has no hooks to look for, and vb.compile's backward may run)


class RemovableHandle:
    """What ``register_hook`` returns: ``handle.remove()`` takes the hook off again."""

    def __init__(self, hooks: list[Callable[[Tensor], Any]], hook: Callable[[Tensor], Any]
                 ) -> None:
        self._hooks, self._hook = hooks, hook  # (the list moves to an earlier version with it)

    def remove(self) -> None:
        hooks = self._hooks
        if any(h is self._hook for h in hooks):
            hooks[:] = [h for h in hooks if h is not self._hook]
            if not hooks:
                for key, ref in list(_hooked.items()):
                    if getattr(ref(), "_hooks", None) is hooks:
                        del _hooked[key]


def register_hook(t: Tensor, hook: Callable[[Tensor], Any]) -> RemovableHandle:
    """Call ``hook(grad)`` whenever the gradient with respect to ``t`` is computed; a tensor
    it returns replaces the gradient (torch's ``Tensor.register_hook``)."""
    if not t.requires_grad:
        raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
    hooks = getattr(t, "_hooks", None)
    if hooks is None:
        hooks = t._hooks = []
    hooks.append(hook)
    _track_hooks(t)
    return RemovableHandle(hooks, hook)


def _track_hooks(t: Tensor) -> None:
    key = id(t)
    _hooked[key] = weakref.ref(t, lambda _: _hooked.pop(key, None))


def _run_hooks(t: Tensor, g: np.ndarray) -> np.ndarray:
    """t's hooks, in the order they were registered, each seeing the previous one's result."""
    for hook in getattr(t, "_hooks", None) or ():
        grad = _new(g)
        result = hook(grad)
        if result is not None:
            if not isinstance(result, Tensor):
                raise TypeError(f"a hook must return a tensor or None, got "
                                f"{type(result).__name__}")
            if result._data.shape != g.shape:
                raise RuntimeError(f"hook returned a gradient of shape "
                                   f"{list(result._data.shape)}, expected {list(g.shape)}")
            g = result._data
    return g


# --------------------------------------------------------------------------------------------
# in-place changes inside the graph (torch's version counters, in the small)
# --------------------------------------------------------------------------------------------

_changes: dict[int, tuple[int, weakref.ref[np.ndarray]]] = {}  # id(array): (the newest
# version's _seq, the array changed)
_last_change = [0]  # the newest of those _seq (0: nothing was ever changed in place)
on_change_in_place: list[Callable[[], None]] = []  # told first (vb.compile stops tracing)

_VIEW_INPLACE = (
    "vibrastic can't change a view of another tensor in place while recording the graph (torch "
    "can); change a copy instead: y = y.clone(), then change y"
)


_STALE_VIEW = (
    "a view of a tensor (a reshape, slice, transpose, ...) taken before the tensor was changed in "
    "place is used in this backward pass; torch re-bases such a view on the changed tensor, "
    "vibrastic can't: take the view after the change, or change a copy (y = y.clone())"
)


def change_in_place(target: Tensor, op: Callable[[Tensor], Tensor]) -> Tensor:
    """An in-place op inside the graph, as torch does it: ``target`` takes ``op(target)``'s
    values in its own array (views and detached copies see them) and becomes op's node.

    What was recorded from ``target`` before keeps its earlier version: a copy of the old values
    stands in for it (``op`` computes from that copy), and ``run_backward`` sends the gradients
    of those earlier uses there. An earlier use whose backward needs the overwritten values
    raises torch's error at ``backward()`` (``_check_unchanged``) instead of using new ones.
    """
    for tell in on_change_in_place:
        tell()
    x = target._data
    if x.base is not None:  # a view: the tensor it views would change without knowing it
        raise RuntimeError(_VIEW_INPLACE)
    before = _new(x.copy())  # the version so far: its node, and a copy of its values
    before._seq, before._ctx = target._seq, target._ctx
    before.requires_grad = target.requires_grad
    hooks = getattr(target, "_hooks", None)
    if hooks:  # hooks registered so far see the gradient of the earlier version, as in torch
        before._hooks = hooks
        del target._hooks
        _hooked.pop(id(target), None)
        _track_hooks(before)
    result = op(before)
    if result._data is not x:
        np.copyto(x, result._data, casting="unsafe")  # in target's dtype, as torch
    target._ctx, target._seq = result._ctx, result._seq
    target.requires_grad = result.requires_grad
    before._before = getattr(target, "_before", None)
    target._before = before  # (a slot that only changed tensors have)
    if len(_changes) > 64:  # forget the arrays that are gone
        for key in [k for k, (_, ref) in _changes.items() if ref() is None]:
            del _changes[key]
    _changes[id(x)] = (result._seq, weakref.ref(x))
    _last_change[0] = result._seq
    return target


def _version_at(t: Tensor, seq: int) -> Tensor:
    """The version of ``t`` that a node recorded at ``seq`` used (t's _seq is its newest
    version's; each earlier version is a stand-in made by ``change_in_place``)."""
    while seq < t._seq:
        earlier = getattr(t, "_before", None)
        if earlier is None:
            break
        t = earlier
    return t


def _check_not_a_stale_view(node: Tensor, parent: Tensor) -> None:
    """A view taken before its tensor changed in place, used after the change: torch re-bases
    the view on the changed tensor; vibrastic refuses rather than send its gradient past it."""
    for s, ref in _changes.values():
        if parent._seq < s < node._seq and (a := ref()) is not None \
                and np.may_share_memory(parent._data, a):
            raise RuntimeError(_STALE_VIEW)


def _check_unchanged(node: Tensor) -> None:
    """torch's rule: a backward that needs values changed in place since its node was recorded
    raises (its gradient would be computed from the new values)."""
    changed = [a for s, ref in _changes.values() if s > node._seq and (a := ref()) is not None]
    held: list[np.ndarray] = []
    _arrays_held(node._ctx[1], held, set())
    for a in held:
        if any(np.may_share_memory(a, c) for c in changed):
            raise RuntimeError(
                "one of the variables needed for gradient computation has been modified by an "
                f"inplace operation: [{a.dtype} {list(a.shape)}], needed by "
                f"{node_name(node._ctx[2])}; change a copy instead (y = y.clone()) or compute "
                "the new values out of place"
            )


def _arrays_held(obj: Any, found: list[np.ndarray], seen: set[int]) -> None:
    """The arrays a backward function keeps (its closures, their tuples, tensors and ctx)."""
    if id(obj) in seen:
        return
    seen.add(id(obj))
    if isinstance(obj, np.ndarray):
        found.append(obj)
    elif isinstance(obj, Tensor):
        found.append(obj._data)
    elif isinstance(obj, (tuple, list)):
        for o in obj:
            _arrays_held(o, found, seen)
    elif isinstance(obj, dict):
        for o in obj.values():
            _arrays_held(o, found, seen)
    elif isinstance(obj, types.FunctionType):
        for cell in obj.__closure__ or ():
            try:
                contents = cell.cell_contents
            except ValueError:  # an empty cell
                continue
            _arrays_held(contents, found, seen)
        _arrays_held(obj.__defaults__, found, seen)
    elif isinstance(obj, functools.partial):
        _arrays_held((obj.func, obj.args, obj.keywords), found, seen)
    elif isinstance(obj, types.MethodType):
        _arrays_held(obj.__self__, found, seen)
    elif isinstance(obj, FunctionCtx):
        _arrays_held(vars(obj), found, seen)


def _accumulate(t: Tensor, g: np.ndarray) -> None:
    """``t.grad += g``, in place as torch (a reference to the old .grad sees the sum)."""
    grad = t.grad
    if g.dtype != t._data.dtype:
        g = g.astype(t._data.dtype)
    if grad is not None:
        grad._data += g
        return
    grad = t.grad = _tensor_new(Tensor)  # a new leaf holding a copy: g may be shared
    grad._data = np.array(g)  # a copy, and a 0-d array (never a NumPy scalar: zero_() works)
    grad.grad = grad._ctx = None
    grad.requires_grad = grad._retains_grad = False
    grad._seq = _next_seq()


def unbroadcast(grad: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum a gradient over the axes that broadcasting added or stretched, back to ``shape``."""
    extra = grad.ndim - len(shape)
    if extra:
        grad = grad.sum(axis=tuple(range(extra)))
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if stretched:
        grad = grad.sum(axis=stretched, keepdims=True)
    return grad.reshape(shape)


def _freed(_: np.ndarray) -> Sequence[np.ndarray | None]:
    raise RuntimeError(
        "Trying to backward through the graph a second time (or directly access saved tensors "
        "after they have already been freed). Saved intermediate values of the graph are freed "
        "when you call .backward(). Specify retain_graph=True if you need to backward through "
        "the graph a second time."
    )


# --------------------------------------------------------------------------------------------
# grad modes
# --------------------------------------------------------------------------------------------


class set_grad_enabled(ContextDecorator):
    """Context manager and decorator that turns graph recording on or off."""

    def __init__(self, mode: bool) -> None:
        self.mode = mode
        self.prev = _GradMode.enabled
        _GradMode.enabled = mode  # like torch, takes effect when called, too

    def __enter__(self) -> None:
        _GradMode.enabled = self.mode

    def __exit__(self, *exc: object) -> None:
        _GradMode.enabled = self.prev


class no_grad(ContextDecorator):
    """Inside ``with vb.no_grad():`` ops record no graph (e.g. for optimizer updates, inference).

    Also a decorator, with or without parentheses (``@vb.no_grad()`` or ``@vb.no_grad``).
    """

    def __new__(cls, orig_func: Callable[..., Any] | None = None) -> Any:
        self = super().__new__(cls)
        self._prev: list[bool] = []  # a stack: one decorated function may call itself
        return self(orig_func) if callable(orig_func) else self

    def __enter__(self) -> None:
        self._prev.append(_GradMode.enabled)
        _GradMode.enabled = False

    def __exit__(self, *exc: object) -> None:
        _GradMode.enabled = self._prev.pop()


class enable_grad(ContextDecorator):
    """Turn graph recording back on inside a ``no_grad`` block."""

    def __enter__(self) -> None:
        self.prev = _GradMode.enabled
        _GradMode.enabled = True

    def __exit__(self, *exc: object) -> None:
        _GradMode.enabled = self.prev


def is_grad_enabled() -> bool:
    """Whether ops currently record a graph."""
    return _GradMode.enabled


# --------------------------------------------------------------------------------------------
# the graph as torch shows it: tensor.grad_fn
# --------------------------------------------------------------------------------------------


def node_name(op: str) -> str:
    """torch's name for an op's backward node: ``MulBackward0``; a custom Function's node
    (recorded as ``<Name>Backward``) keeps its name, as in torch."""
    return op if "Backward" in op or op == "CopySlices" else f"{op}Backward0"


class GradFn:
    """A read-only view of the op that produced a tensor, shaped like torch's ``grad_fn``.

    Made by ``GradFn.of``, as an instance of a subclass named after the node, so that
    ``type(t.grad_fn).__name__`` is ``'MulBackward0'`` as in torch.
    """

    _classes: ClassVar[dict[str, type[GradFn]]] = {}

    def __init__(self, tensor: Tensor) -> None:
        self._tensor = tensor

    @classmethod
    def of(cls, tensor: Tensor) -> GradFn:
        ctx = tensor._ctx
        name = "AccumulateGrad" if ctx is None else node_name(ctx[2])
        kind = cls._classes.get(name)
        if kind is None:
            kind = cls._classes[name] = type(name, (GradFn,), {"__module__": __name__})
        return kind(tensor)

    def __eq__(self, other: object) -> bool:  # every view of one node is that node
        return isinstance(other, GradFn) and other._tensor is self._tensor

    def __hash__(self) -> int:
        return id(self._tensor)

    def name(self) -> str:
        ctx = self._tensor._ctx
        return "AccumulateGrad" if ctx is None else node_name(ctx[2])

    @property
    def variable(self) -> Tensor:
        """For a leaf's AccumulateGrad node: the leaf tensor."""
        return self._tensor

    @property
    def next_functions(self) -> tuple[tuple[GradFn | None, int], ...]:
        ctx = self._tensor._ctx
        if ctx is None:
            return ()
        return tuple((GradFn.of(p) if p.requires_grad else None, 0) for p in ctx[0])

    def __repr__(self) -> str:
        return f"<{self.name()}>"


# --------------------------------------------------------------------------------------------
# gradcheck: analytic gradients against central differences
# --------------------------------------------------------------------------------------------


class GradcheckError(RuntimeError):
    """An analytic gradient disagrees with central differences (torch's ``GradcheckError``)."""


def gradcheck(
    fn: Callable[..., Any], inputs: Any, *, eps: float = 1e-6, atol: float = 1e-5,
    rtol: float = 1e-3, raise_exception: bool = True,
) -> bool:
    """Check ``fn``'s gradients against central differences in float64, as torch's gradcheck.

    Parameters
    ----------
    fn : callable
        Takes ``*inputs`` and returns a tensor or a tuple of tensors (non-float outputs, such as
        the indices of ``max``, are skipped).
    inputs : Tensor or sequence
        The arguments of ``fn``. Tensors with ``requires_grad=True`` are checked; they are copied
        to float64 first (parameters that ``fn`` holds itself are not checked).
    eps : float
        The step of the central differences (f(x + eps) - f(x - eps)) / (2 eps).
    atol, rtol : float
        An entry of the Jacobian passes when |analytic - numeric| <= atol + rtol * |numeric|.
    raise_exception : bool
        Raise ``GradcheckError`` on a mismatch (the default) instead of returning False.

    Returns
    -------
    bool
        True when every entry of every Jacobian d(output)/d(input) agrees.

    Examples
    --------
    >>> import vibrastic as vb
    >>> x = vb.tensor([[0.5, -1.0], [2.0, 0.1]], dtype=vb.float64, requires_grad=True)
    >>> vb.autograd.gradcheck(lambda x: (x * x.sigmoid()).sum(dim=0), (x,))
    True
    """
    args = list(inputs) if isinstance(inputs, (tuple, list)) else [inputs]
    checked = [i for i, a in enumerate(args) if isinstance(a, Tensor) and a.requires_grad]
    if not checked:
        raise ValueError("gradcheck expects at least one input tensor to require gradient")
    for i in checked:  # float64 copies: central differences need the precision
        args[i] = _new(args[i]._data.astype(np.float64), requires_grad=True)
    outputs = _float_outputs(fn(*args))
    leaves = [args[i] for i in checked]
    numeric = _numeric_jacobians(fn, args, checked, [o.shape for o in outputs], eps)
    for k, out in enumerate(outputs):
        for j in np.ndindex(out.shape):  # one backward per output element: a row of each Jacobian
            for leaf in leaves:
                leaf.grad = None
            if out.requires_grad:
                seed = np.zeros(out.shape)
                seed[j] = 1.0
                run_backward(out, seed, retain_graph=True)
            for n, (i, leaf) in enumerate(zip(checked, leaves, strict=True)):
                analytic = np.zeros(leaf.shape) if leaf.grad is None else leaf.grad._data
                num = numeric[k][n][(*j, ...)]
                bad = np.abs(analytic - num) > atol + rtol * np.abs(num)
                if bad.any():
                    if not raise_exception:
                        return False
                    raise GradcheckError(_mismatch(k, j, i, analytic, num, bad, eps, atol, rtol))
    return True


def _float_outputs(result: Any) -> list[Tensor]:
    results = result if isinstance(result, (tuple, list)) else (result,)
    outputs = [r for r in results if isinstance(r, Tensor) and r.dtype.is_floating_point]
    if not outputs:
        raise TypeError(f"gradcheck: fn returned {type(result).__name__}, expected a float tensor "
                        "or a tuple of tensors")
    return outputs


def _numeric_jacobians(
    fn: Callable[..., Any], args: list[Any], checked: list[int], shapes: list[tuple[int, ...]],
    eps: float,
) -> list[list[np.ndarray]]:
    """jac[k][n] has shape (*output k's shape, *input checked[n]'s shape)."""
    jac = [[np.zeros((*s, *args[i].shape)) for i in checked] for s in shapes]
    with no_grad():
        for n, i in enumerate(checked):
            x = args[i]._data
            for e in np.ndindex(x.shape):
                orig = x[e]
                x[e] = orig + eps
                up = [o._data.copy() for o in _float_outputs(fn(*args))]
                x[e] = orig - eps
                down = [o._data.copy() for o in _float_outputs(fn(*args))]
                x[e] = orig
                for k in range(len(shapes)):
                    jac[k][n][(..., *e)] = (up[k] - down[k]) / (2 * eps)
    return jac


def _mismatch(k: int, j: tuple[int, ...], i: int, analytic: np.ndarray, numeric: np.ndarray,
              bad: np.ndarray, eps: float, atol: float, rtol: float) -> str:
    excess = np.where(bad, np.abs(analytic - numeric) - rtol * np.abs(numeric), -np.inf)
    e = np.unravel_index(int(np.argmax(excess)), analytic.shape)
    at = lambda idx: f"element {tuple(int(v) for v in idx)}" if idx else "a scalar"  # noqa: E731
    return (
        f"gradcheck: the gradient of output {k} ({at(j)}) with respect to input {i} ({at(e)}) "
        f"is wrong: numeric {numeric[e]:.6g} (central differences, eps={eps:g}) vs analytic "
        f"{analytic[e]:.6g} (backward); allowed |difference| <= atol + rtol*|numeric| = "
        f"{atol:g} + {rtol:g}*{abs(numeric[e]):.3g}. {int(bad.sum())} of {bad.size} entries of "
        f"this row of the Jacobian differ."
    )


# --------------------------------------------------------------------------------------------
# torch.autograd's other entry points: grad, backward, custom Functions, Variable
# --------------------------------------------------------------------------------------------


def _tensors(x: Any) -> tuple[Tensor, ...]:
    return (x,) if isinstance(x, Tensor) else tuple(x)


def grad(outputs: Any, inputs: Any, grad_outputs: Any = None, retain_graph: bool | None = None,
         create_graph: bool = False, allow_unused: bool | None = None,
         materialize_grads: bool = False) -> tuple[Tensor | None, ...]:
    """d(outputs)/d(inputs) as new tensors, leaving every ``.grad`` as it was.

    ``grad_outputs`` seeds each non-scalar output (as ``backward(gradient=...)``). Runs the
    ordinary backward pass with every ``.grad`` in the graph set aside, and puts them back.
    """
    if create_graph:
        raise NotImplementedError("vibrastic has no higher-order gradients (create_graph=True)")
    outs, ins = _tensors(outputs), _tensors(inputs)
    seeds = [None] * len(outs) if grad_outputs is None else list(_tensors(grad_outputs))
    saved = {t: (t.grad, t._retains_grad) for t in _graph(outs) + list(ins)}
    try:
        for t in saved:
            t.grad = None
        for t in ins:
            if t._ctx is not None:
                t._retains_grad = True  # a non-leaf input keeps the gradient that reaches it
        for n, (out, seed) in enumerate(zip(outs, seeds, strict=True)):
            out.backward(seed, retain_graph=bool(retain_graph) or n < len(outs) - 1)
        found = [t.grad for t in ins]
    finally:
        for t, (old_grad, old_retains) in saved.items():
            t.grad, t._retains_grad = old_grad, old_retains
    if any(g is None for g in found) and not (allow_unused or materialize_grads):
        raise RuntimeError("One of the differentiated Tensors appears to not have been used in "
                           "the graph. Set allow_unused=True if this is the desired behavior.")
    return tuple(_new(np.zeros_like(t._data)) if g is None and materialize_grads else g
                 for t, g in zip(ins, found, strict=True))


def _graph(outputs: tuple[Tensor, ...]) -> list[Tensor]:
    """Every tensor that requires grad in the graphs behind ``outputs`` (without recursion)."""
    seen: dict[int, Tensor] = {}
    stack = [t for t in outputs if t.requires_grad]
    while stack:
        t = stack.pop()
        if id(t) in seen:
            continue
        seen[id(t)] = t
        if t._ctx is not None:
            stack.extend(p for p in t._ctx[0] if p.requires_grad)
    return list(seen.values())


def backward(tensors: Any, grad_tensors: Any = None, retain_graph: bool | None = None,
             create_graph: bool = False) -> None:
    """``t.backward(g)`` for each tensor (and gradient) given."""
    outs = _tensors(tensors)
    seeds = [None] * len(outs) if grad_tensors is None else list(_tensors(grad_tensors))
    for n, (out, seed) in enumerate(zip(outs, seeds, strict=True)):
        out.backward(seed, retain_graph=retain_graph or n < len(outs) - 1,
                     create_graph=create_graph)


class FunctionCtx:
    """The ``ctx`` a custom Function's forward and backward share.

    ``save_for_backward(*tensors)`` keeps tensors for ``ctx.saved_tensors``;
    ``needs_input_grad[i]`` says whether forward's i-th argument requires a gradient; any other
    attribute can be set freely (``ctx.alpha = alpha``).
    """

    def __init__(self, needs_input_grad: tuple[bool, ...]) -> None:
        self.needs_input_grad = needs_input_grad
        self._saved: tuple[Tensor | None, ...] = ()
        self.materialize_grads = True

    def save_for_backward(self, *tensors: Tensor | None) -> None:
        for i, t in enumerate(tensors):
            if t is not None and not isinstance(t, Tensor):
                raise TypeError(f"save_for_backward can only save variables, but argument {i} "
                                f"is of type {type(t).__name__}")
        self._saved = tensors

    @property
    def saved_tensors(self) -> tuple[Tensor | None, ...]:
        return self._saved

    def set_materialize_grads(self, value: bool) -> None:
        self.materialize_grads = value

    def mark_non_differentiable(self, *args: Tensor) -> None:
        """Accepted; vibrastic does not track it (integer outputs carry no gradient anyway)."""

    def mark_dirty(self, *args: Tensor) -> None:
        """Accepted; forward's outputs are always new tensors here."""


class Function:
    """A custom op: subclass it with static ``forward(ctx, *args)`` and ``backward(ctx, *grads)``,
    then call ``MyOp.apply(*args)``.

    ``backward`` receives the gradient of the output and returns one gradient per argument of
    ``forward`` (None for arguments that need none), as in torch. Both run without recording a
    graph. The torch 2 style (``forward(*args)`` plus ``setup_context(ctx, inputs, output)``)
    works too. One output tensor per Function.

    Examples
    --------
    >>> import vibrastic as vb
    >>> class Square(vb.autograd.Function):
    ...     @staticmethod
    ...     def forward(ctx, x):
    ...         ctx.save_for_backward(x)
    ...         return x * x
    ...     @staticmethod
    ...     def backward(ctx, grad_output):
    ...         x, = ctx.saved_tensors
    ...         return 2 * x * grad_output
    >>> x = vb.tensor([1.0, 3.0], requires_grad=True)
    >>> Square.apply(x).sum().backward()
    >>> x.grad
    tensor([2., 6.])
    """

    @staticmethod
    def forward(ctx: FunctionCtx, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError("You must implement the forward function for custom "
                                  "autograd.Function.")

    @staticmethod
    def backward(ctx: FunctionCtx, *grad_outputs: Any) -> Any:
        raise NotImplementedError("You must implement either the backward or vjp method for "
                                  "your custom autograd.Function to use it with backward mode AD.")

    @staticmethod
    def setup_context(ctx: FunctionCtx, inputs: tuple[Any, ...], output: Any) -> None:
        raise NotImplementedError("setup_context is not overridden")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise RuntimeError("Legacy autograd function with non-static forward method is "
                           "deprecated. Please use new-style autograd function with static "
                           "forward method: call MyFunction.apply(...), not MyFunction()(...)")

    @classmethod
    def apply(cls, *args: Any, **kwargs: Any) -> Any:
        ctx = FunctionCtx(tuple(isinstance(a, Tensor) and a.requires_grad for a in args))
        with no_grad():
            if cls.setup_context is not Function.setup_context:  # torch 2 style
                out = cls.forward(*args, **kwargs)
                cls.setup_context(ctx, args, out)
            else:
                out = cls.forward(ctx, *args, **kwargs)
        if not isinstance(out, Tensor):
            raise NotImplementedError(
                f"{cls.__name__}.forward returned {type(out).__name__}: vibrastic's custom "
                "Functions return exactly one tensor")
        parents = tuple(a for a in args if isinstance(a, Tensor))
        positions = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        name = cls.__name__

        def backward(g: np.ndarray) -> tuple[np.ndarray | None, ...]:
            with no_grad():
                grads = cls.backward(ctx, _new(g))
            grads = grads if isinstance(grads, tuple) else (grads,)
            if len(grads) > len(args) and all(x is None for x in grads[len(args):]):
                grads = grads[:len(args)]
            if len(grads) != len(args):
                raise RuntimeError(f"function {name}Backward returned an incorrect number of "
                                   f"gradients (expected {len(args)}, got {len(grads)})")
            result = []
            for i in positions:
                gi = grads[i]
                if gi is None:
                    result.append(None)
                    continue
                arr = np.asarray(gi._data if isinstance(gi, Tensor) else gi)
                want = args[i]._data.shape
                if arr.shape != want and np.broadcast_shapes(arr.shape, want) != arr.shape:
                    raise RuntimeError(f"Function {name}Backward returned an invalid gradient "
                                       f"at index {i} - got {list(arr.shape)} but expected "
                                       f"shape compatible with {list(want)}")
                result.append(arr)
            return tuple(result)

        return record(out._data, parents, backward, f"{name}Backward")


class _VariableType(type):
    def __instancecheck__(cls, obj: Any) -> bool:  # every tensor is a Variable, as in torch
        return isinstance(obj, Tensor)


class Variable(metaclass=_VariableType):
    """Deprecated (as in torch): ``Variable(t, requires_grad)`` gives a tensor sharing t's values.

    Old code (the deck's XOR slides) runs as printed; a FutureWarning says to use tensors
    directly: ``vb.tensor(data, requires_grad=True)``.
    """

    def __new__(cls, data: Tensor, requires_grad: bool = False, volatile: bool = False
                ) -> Tensor:  # type: ignore[misc]
        warnings.warn(
            "torch.autograd.Variable is deprecated: a tensor is what a Variable was. "
            "vibrastic.autograd.Variable(t) returns t's values as a tensor; write "
            "vibrastic.tensor(data, requires_grad=True) or t.requires_grad_() instead.",
            FutureWarning, stacklevel=2,
        )
        if not isinstance(data, Tensor):
            raise TypeError(f"Variable data has to be a tensor, but got {type(data).__name__}")
        out = _new(data._data)
        if requires_grad:
            out.requires_grad_(True)
        return out


__all__ = [
    "Function", "FunctionCtx", "GradFn", "GradcheckError", "RemovableHandle", "Variable",
    "backward",
    "enable_grad", "grad", "gradcheck", "is_grad_enabled", "no_grad", "record", "run_backward",
    "set_grad_enabled", "unbroadcast",
]

# tensor.py imports this module; its names are needed only when the functions above run.
from vibrastic.tensor import Tensor, _new, _sequence  # noqa: E402

_tensor_new, _next_seq = Tensor.__new__, _sequence.__next__

__getattr__ = module_getattr(__name__)
