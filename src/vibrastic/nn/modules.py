"""Modules with torch's names, shapes, defaults and initialisation.

A Module keeps its Parameters and sub-modules in insertion order, so ``parameters()`` and
``state_dict()`` list them as torch does, and a torch ``state_dict`` loads into the same model.
"""

from __future__ import annotations

import math
import operator
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

import numpy as np

from vibrastic import missing as _missing
from vibrastic import ops
from vibrastic.nn import functional as F
from vibrastic.nn import init
from vibrastic.tensor import (
    Tensor,
    _float_dtype,
    _init,
    _new,
    _np_dtype,
    _parse_to,
    _to_numpy,
    float16,
    float32,
    float64,
)


class Parameter(Tensor):
    """A tensor that a Module registers as one of its parameters (requires grad by default)."""

    __slots__ = ()

    def __init__(self, data: Tensor | None = None, requires_grad: bool = True) -> None:
        arr = np.zeros(0, np.float32) if data is None else data._data
        _init(self, arr, requires_grad)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()


class Module:
    """Base of every layer and model: subclass it, set layers in ``__init__``, write ``forward``."""

    training: bool
    # Counts changes to any module's parameters, sub-modules, settings or train/eval mode after
    # it was built, so that vb.compile can tell with one comparison that nothing changed.
    _generation = 0

    def __init__(self) -> None:
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_non_persistent", set())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "training", True)

    def __getattr__(self, name: str) -> Any:
        """Only reached for a name the module lacks; torch's module hooks say so."""
        why = f" ({_missing.message('vibrastic.nn.Module', name)})" \
            if name in _missing.MODULE_HOOKS else ""
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'{why}")

    # ---- registration ----
    def __setattr__(self, name: str, value: Any) -> None:
        params = self.__dict__.get("_parameters")
        if params is None:
            raise AttributeError(
                "cannot assign attributes before Module.__init__() call "
                "(call super().__init__() first in your __init__)"
            )
        buffers = self.__dict__.get("_buffers", {})
        if isinstance(value, Parameter):
            self._modules.pop(name, None)
            buffers.pop(name, None)
            params[name] = value
        elif isinstance(value, Module):
            params.pop(name, None)
            buffers.pop(name, None)
            self._modules[name] = value
        elif name in buffers:  # self.running_mean = new_values replaces the buffer
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(
                    f"cannot assign '{type(value).__name__}' as buffer '{name}' "
                    "(vibrastic.Tensor or None expected)"
                )
            buffers[name] = value
        elif name in params:
            if value is not None:
                raise TypeError(
                    f"cannot assign '{type(value).__name__}' as parameter '{name}' "
                    "(vibrastic.nn.Parameter or None expected)"
                )
            params[name] = None
        if name in self.__dict__ or isinstance(value, (Module, Parameter)):  # replacing, or a
            Module._generation += 1  # new child (a compiled forward may loop over children)
        object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        Module._generation += 1
        self._parameters.pop(name, None)
        self._buffers.pop(name, None)
        self._modules.pop(name, None)
        object.__delattr__(self, name)

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """Keep a tensor that is state but not a parameter (e.g. BatchNorm's running mean).

        Buffers follow ``.to()`` and, when persistent, appear in ``state_dict()``; optimizers
        never see them.
        """
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"cannot assign '{type(tensor).__name__}' object to buffer '{name}' "
                            "(vibrastic.Tensor or None required)")
        if "." in name or not name:
            raise KeyError(f'buffer name can\'t contain "." or be empty, got {name!r}')
        self._parameters.pop(name, None)
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent.discard(name)
        else:
            self._non_persistent.add(name)
        object.__setattr__(self, name, tensor)

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Register ``param`` under ``name`` (torch's checks: a string without dots, not the
        name of another attribute, a Parameter or None)."""
        _check_name(self, name, "parameter", self._parameters)
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"cannot assign '{_typename(param)}' object to parameter '{name}' "
                            "(vibrastic.nn.Parameter or None required)")
        Module._generation += 1
        self._modules.pop(name, None)
        self._buffers.pop(name, None)
        self._parameters[name] = param
        object.__setattr__(self, name, param)

    def add_module(self, name: str, module: Module | None) -> None:
        """Register a sub-module under ``name`` (torch's checks, as ``register_parameter``)."""
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{_typename(module)} is not a Module subclass")
        _check_name(self, name, "module", self._modules)
        Module._generation += 1  # a new child too: a compiled forward may loop over children
        self._modules[name] = module
        object.__setattr__(self, name, module)

    # ---- calling ----
    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(
            f'Module [{type(self).__name__}] is missing the required "forward" function'
        )

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.forward(*args, **kwargs)

    # ---- traversal ----
    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, Module]]:
        """This module and every sub-module, depth first, with dotted names."""
        stack = [(prefix, self)]
        seen: set[int] = set()
        while stack:
            name, m = stack.pop()
            if id(m) in seen:
                continue
            seen.add(id(m))
            yield name, m
            children = [(f"{name}.{k}" if name else k, c) for k, c in m._modules.items() if c]
            stack.extend(reversed(children))

    def modules(self) -> Iterator[Module]:
        for _, m in self.named_modules():
            yield m

    def children(self) -> Iterator[Module]:
        yield from (m for m in self._modules.values() if m is not None)

    def named_children(self) -> Iterator[tuple[str, Module]]:
        yield from ((k, m) for k, m in self._modules.items() if m is not None)

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Parameter]]:
        """(dotted name, parameter) pairs in registration order, each parameter once."""
        seen: set[int] = set()
        for mod_name, m in self.named_modules(prefix):
            for name, p in m._parameters.items():
                if p is None or id(p) in seen:
                    continue
                seen.add(id(p))
                yield (f"{mod_name}.{name}" if mod_name else name), p

    def parameters(self) -> Iterator[Parameter]:
        for _, p in self.named_parameters():
            yield p

    def named_buffers(self, prefix: str = "") -> Iterator[tuple[str, Tensor]]:
        """(dotted name, buffer) pairs, module by module."""
        for mod_name, m in self.named_modules(prefix):
            for name, b in m.__dict__.get("_buffers", {}).items():
                if b is not None:
                    yield (f"{mod_name}.{name}" if mod_name else name), b

    def buffers(self) -> Iterator[Tensor]:
        for _, b in self.named_buffers():
            yield b

    def _state(self, prefix: str = "") -> Iterator[tuple[str, Tensor]]:
        """What state_dict holds, in torch's order: each module's parameters, then its
        persistent buffers, module by module; a module used twice (``Sequential(l) * 2``) is
        listed under each of its names, as torch does (parameters() lists it once)."""
        for name, p in self._parameters.items():
            if p is not None:
                yield prefix + name, p
        skip = self.__dict__.get("_non_persistent", set())
        for name, b in self.__dict__.get("_buffers", {}).items():
            if b is not None and name not in skip:
                yield prefix + name, b
        for name, m in self._modules.items():
            if m is not None:
                yield from m._state(f"{prefix}{name}.")

    def apply(self, fn: Callable[[Module], None]) -> Module:
        """Call ``fn`` on every sub-module, then on self, as torch: children before parents,
        in registration order (so initialisers draw random numbers in torch's order)."""
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    # ---- gradients and modes ----
    def zero_grad(self, set_to_none: bool = True) -> None:
        for p in self.parameters():
            if set_to_none:
                p.grad = None
            elif p.grad is not None:
                p.grad.zero_()

    def train(self, mode: bool = True) -> Module:
        for m in self.modules():
            if m.training is not mode:
                Module._generation += 1
            object.__setattr__(m, "training", mode)
        return self

    def eval(self) -> Module:
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    # ---- dtypes ----
    def to(self, *args: Any, **kwargs: Any) -> Module:
        """Convert every floating-point parameter to a dtype, in place; devices: the CPU only."""
        dtype = _parse_to(args, kwargs)
        if dtype is None:
            return self
        target = _np_dtype(dtype)
        for p in self.parameters():
            if p._data.dtype.kind == "f":
                p._data = p._data.astype(target)
                if p.grad is not None:
                    p.grad._data = p.grad._data.astype(target)
        for b in self.buffers():
            if b._data.dtype.kind == "f":
                b._data = b._data.astype(target)
        return self

    def float(self) -> Module:
        return self.to(float32)

    def double(self) -> Module:
        return self.to(float64)

    def cpu(self) -> Module:
        return self

    def cuda(self, device: Any = None) -> Module:
        from vibrastic.devices import check

        check("cuda" if device is None else device)  # raises: vibrastic has no CUDA
        return self

    def half(self) -> Module:
        return self.to(float16)

    # ---- saving and loading ----
    def state_dict(self, *, prefix: str = "", keep_vars: bool = False) -> OrderedDict[str, Tensor]:
        """Every parameter and persistent buffer by dotted name, detached (shares memory)."""
        return OrderedDict((prefix + name, t if keep_vars else t.detach())
                           for name, t in self._state())

    def load_state_dict(self, state_dict: Any, strict: bool = True) -> Any:
        """Copy values in from a vibrastic or a PyTorch ``state_dict`` (or NumPy arrays).

        Values are copied into the existing parameters, keeping their dtype, so an optimizer
        that holds them keeps working.
        """
        own = dict(self._state())
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        if strict and (missing or unexpected):
            raise RuntimeError(
                f"Error(s) in loading state_dict for {type(self).__name__}: "
                f"missing keys {missing}, unexpected keys {unexpected}"
            )
        for name, p in own.items():
            if name not in state_dict:
                continue
            value = _to_numpy(state_dict[name])
            if value.shape != p._data.shape:
                raise RuntimeError(
                    f"size mismatch for {name}: copying a param with shape {tuple(value.shape)}, "
                    f"the shape in current model is {p._data.shape}."
                )
            p._data[...] = value
        return _IncompatibleKeys(missing, unexpected)

    # ---- printing ----
    def extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        """torch's layout: a one-line extra_repr stays inline; else one indented line each."""
        extra = self.extra_repr()
        extra_lines = extra.split("\n") if extra else []
        child_lines = [f"({k}): " + repr(m).replace("\n", "\n  ")
                       for k, m in self._modules.items()]
        head = f"{type(self).__name__}("
        if len(extra_lines) == 1 and not child_lines:
            return head + extra_lines[0] + ")"
        if not extra_lines and not child_lines:
            return head + ")"
        return head + "\n  " + "\n  ".join(extra_lines + child_lines) + "\n)"


def _typename(obj: Any) -> str:
    return obj.type() if isinstance(obj, Tensor) else type(obj).__name__


def _check_name(module: Module, name: Any, kind: str, registry: dict[str, Any]) -> None:
    """torch's checks of a parameter's or sub-module's name (KeyError, TypeError)."""
    if not isinstance(name, str):
        raise TypeError(f"{kind} name should be a string. Got {type(name).__name__}")
    if "." in name:
        raise KeyError(f'{kind} name can\'t contain ".", got: {name}')
    if not name:
        raise KeyError(f'{kind} name can\'t be empty string ""')
    if name not in registry and hasattr(module, name):
        raise KeyError(f"attribute '{name}' already exists")


class _IncompatibleKeys(tuple):
    def __new__(cls, missing: list[str], unexpected: list[str]) -> _IncompatibleKeys:
        return super().__new__(cls, (missing, unexpected))

    @property
    def missing_keys(self) -> list[str]:
        return self[0]

    @property
    def unexpected_keys(self) -> list[str]:
        return self[1]


# ---- layers ----


class Linear(Module):
    """A fully connected layer: y = x Wᵀ + b, the deck's net = Σ wᵢxᵢ + b for every neuron.

    Parameters
    ----------
    in_features : int
        Size of each input sample.
    out_features : int
        Size of each output sample (the number of neurons).
    bias : bool
        Whether to learn the additive bias b.
    dtype : vibrastic dtype, optional
        The parameters' dtype (the default float dtype, float32 unless changed).

    Attributes
    ----------
    weight : Parameter of shape (out_features, in_features)
        W, as torch stores it; both W and b start uniform in ±1/√in_features (torch's
        ``kaiming_uniform_`` with a=√5).
    bias : Parameter of shape (out_features,) or None

    Shapes: input (*, in_features) -> output (*, out_features), * any number of leading
    dimensions (usually the batch).

    Examples
    --------
    >>> import vibrastic as vb
    >>> _ = vb.manual_seed(0)
    >>> layer = vb.nn.Linear(3, 2)
    >>> layer.weight.shape, layer.bias.shape
    (vibrastic.Size([2, 3]), vibrastic.Size([2]))
    >>> layer(vb.ones(4, 3)).shape
    vibrastic.Size([4, 2])
    >>> layer.weight.data = vb.tensor([[1.0, 0.0, -1.0], [0.5, 0.5, 0.5]])
    >>> layer.bias.data = vb.tensor([0.0, 1.0])
    >>> layer(vb.tensor([[1.0, 2.0, 3.0]]))
    tensor([[-2.,  4.]], grad_fn=<AddmmBackward0>)
    """

    def __init__(
        self, in_features: int, out_features: int, bias: bool = True, dtype: Any = None
    ) -> None:
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        np_dtype = _float_dtype(dtype)  # the default float dtype unless given, as torch
        self.weight = Parameter(_new(np.empty((out_features, in_features), np_dtype)))
        if bias:
            self.bias = Parameter(_new(np.empty(out_features, np_dtype)))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            bound = 1 / math.sqrt(self.in_features) if self.in_features > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input: Tensor) -> Tensor:
        return ops.linear(input, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


class Sequential(Module):
    """Modules applied one after the other; a list of them too, as torch's (index, slice,
    assign, delete, insert, extend, pop, ``+`` and ``*``)."""

    def __init__(self, *modules: Module) -> None:
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], OrderedDict):
            for name, m in modules[0].items():
                self.add_module(name, m)
        else:
            for i, m in enumerate(modules):
                self.add_module(str(i), m)

    def forward(self, input: Any) -> Any:
        for m in self._modules.values():
            input = m(input)
        return input

    def _key(self, idx: Any) -> str:
        """The name of the module at position ``idx`` (torch's IndexError when there is none)."""
        idx = operator.index(idx)
        if not -len(self) <= idx < len(self):
            raise IndexError(f"index {idx} is out of range")
        return list(self._modules)[idx]

    def __getitem__(self, idx: int | slice) -> Any:
        if isinstance(idx, slice):  # keeps the names, as torch: model[1:] holds '1', '2', ...
            return type(self)(OrderedDict(list(self._modules.items())[idx]))
        return self._modules[self._key(idx)]

    def __setitem__(self, idx: int, module: Module) -> None:
        setattr(self, self._key(idx), module)

    def __delitem__(self, idx: int | slice) -> None:
        keys = list(self._modules)[idx] if isinstance(idx, slice) else [self._key(idx)]
        gone = set(keys)
        _renumber(self, [m for k, m in self._modules.items() if k not in gone])

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def append(self, module: Module) -> Sequential:
        self.add_module(str(len(self)), module)
        return self

    def insert(self, index: int, module: Module) -> Sequential:
        if not isinstance(module, Module):
            raise AssertionError(f"module should be of type: {Module}")
        n = len(self._modules)
        if not -n <= index <= n:
            raise IndexError(f"Index out of range: {index}")
        modules = list(self._modules.values())
        modules.insert(index + n if index < 0 else index, module)
        _renumber(self, modules)
        return self

    def extend(self, sequential: Iterable[Module]) -> Sequential:
        for layer in list(sequential):
            self.append(layer)
        return self

    def pop(self, key: int | slice) -> Any:
        value = self[key]
        del self[key]
        return value

    def _check_sequential(self, other: Any) -> None:
        if not isinstance(other, Sequential):
            raise ValueError("add operator supports only objects of Sequential class, but "
                             f"{type(other)} is given.")

    def __add__(self, other: Sequential) -> Sequential:
        self._check_sequential(other)
        return Sequential(*self, *other)

    def __iadd__(self, other: Sequential) -> Sequential:
        self._check_sequential(other)
        return self.extend(other)

    def _check_factor(self, other: Any) -> None:
        if not isinstance(other, int):
            raise TypeError(f"unsupported operand type(s) for *: {type(self)} and {type(other)}")
        if other <= 0:
            raise ValueError(f"Non-positive multiplication factor {other} for {type(self)}")

    def __mul__(self, other: int) -> Sequential:
        """The same modules (shared, not copied) ``other`` times over, as torch."""
        self._check_factor(other)
        return Sequential(*(list(self) * other))

    __rmul__ = __mul__

    def __imul__(self, other: int) -> Sequential:
        self._check_factor(other)
        return self.extend(list(self) * (other - 1))


def _renumber(container: Module, modules: list[Module]) -> None:
    """Make ``container`` hold exactly ``modules``, named 0..n-1 (after an insert or a delete,
    as torch renames them)."""
    for key in list(container._modules):
        container.__dict__.pop(key, None)
    container._modules.clear()
    for i, module in enumerate(modules):
        container._modules[str(i)] = module
        object.__setattr__(container, str(i), module)
    Module._generation += 1


class ModuleList(Module):
    """A list of sub-modules whose parameters are registered (as ``0``, ``1``, ...), as torch's.

    ``print`` shows runs of identical modules once, as torch does: ``(0-2): 3 x Linear(...)``.
    """

    def __init__(self, modules: Iterable[Module] | None = None) -> None:
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def _index(self, idx: Any) -> str:
        idx = operator.index(idx)
        if not -len(self) <= idx < len(self):
            raise IndexError(f"index {idx} is out of range")
        return str(idx + len(self) if idx < 0 else idx)

    def __getitem__(self, idx: int | slice) -> Any:
        if isinstance(idx, slice):
            return type(self)(list(self._modules.values())[idx])
        return self._modules[self._index(idx)]

    def __setitem__(self, idx: int, module: Module) -> None:
        self.add_module(self._index(idx), module)

    def __delitem__(self, idx: int | slice) -> None:
        modules = list(self._modules.values())
        if isinstance(idx, slice):
            del modules[idx]
        else:
            del modules[int(self._index(idx))]
        _renumber(self, modules)

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def __iadd__(self, modules: Iterable[Module]) -> ModuleList:
        return self.extend(modules)

    def __add__(self, other: Iterable[Module]) -> ModuleList:
        return ModuleList([*self, *other])

    def insert(self, index: int, module: Module) -> None:
        modules = list(self._modules.values())
        modules.insert(index, module)
        if not isinstance(module, Module):
            raise TypeError(f"{_typename(module)} is not a Module subclass")
        _renumber(self, modules)

    def append(self, module: Module) -> ModuleList:
        self.add_module(str(len(self)), module)
        return self

    def pop(self, key: int | slice) -> Any:
        value = self[key]
        del self[key]
        return value

    def extend(self, modules: Iterable[Module]) -> ModuleList:
        if not isinstance(modules, Iterable):
            raise TypeError("ModuleList.extend should be called with an iterable, but got "
                            + type(modules).__name__)
        for module in list(modules):
            self.append(module)
        return self

    def __repr__(self) -> str:
        reprs = [repr(m) for m in self]
        if not reprs:
            return type(self).__name__ + "()"
        blocks: list[list[Any]] = []  # [first index, last index, repr] of runs of equal reprs
        for i, r in enumerate(reprs):
            if blocks and blocks[-1][2] == r:
                blocks[-1][1] = i
            else:
                blocks.append([i, i, r])
        lines = [(f"({a}): {r}" if a == b else f"({a}-{b}): {b - a + 1} x {r}")
                 .replace("\n", "\n  ") for a, b, r in blocks]
        return type(self).__name__ + "(\n  " + "\n  ".join(lines) + "\n)"


class ModuleDict(Module):
    """A dict of sub-modules (insertion order) whose parameters are registered under their keys.

    ``model.heads = nn.ModuleDict({"a": nn.Linear(4, 2)})`` names its parameters
    ``heads.a.weight``, as torch; a plain dict of modules would hide them from ``parameters()``.
    """

    def __init__(self, modules: Any = None) -> None:
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key: str) -> Module:
        return self._modules[key]

    def __setitem__(self, key: str, module: Module) -> None:
        self.add_module(key, module)

    def __delitem__(self, key: str) -> None:
        del self._modules[key]
        object.__delattr__(self, key)
        Module._generation += 1

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[str]:
        return iter(self._modules)

    def __contains__(self, key: object) -> bool:
        return key in self._modules

    def clear(self) -> None:
        for key in list(self._modules):
            del self[key]

    def pop(self, key: str) -> Module:
        module = self[key]
        del self[key]
        return module

    def keys(self) -> Any:
        return self._modules.keys()

    def items(self) -> Any:
        return self._modules.items()

    def values(self) -> Any:
        return self._modules.values()

    def update(self, modules: Any) -> None:
        """Add (or replace) modules from a mapping or from an iterable of (key, module) pairs."""
        _update(self, modules, "ModuleDict")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(
            'Module [ModuleDict] is missing the required "forward" function '
            "(index it: heads['name'](x))")


def _update(container: Any, items: Any, name: str) -> None:
    """dict.update for ModuleDict and ParameterDict, with torch's errors and key order."""
    if not isinstance(items, Iterable):
        raise TypeError(f"{name}.update should be called with an iterable of key/value pairs, "
                        f"but got {type(items).__name__}")
    if isinstance(items, (ModuleDict, ParameterDict)):
        pairs: Iterable[Any] = items.items()
    elif isinstance(items, Mapping):
        # torch: a ParameterDict sorts the keys of a plain dict (not of an OrderedDict)
        plain = name == "ParameterDict" and not isinstance(items, OrderedDict)
        pairs = sorted(items.items()) if plain else items.items()
    else:
        pairs = items
    for j, pair in enumerate(pairs):
        if not isinstance(pair, Iterable):
            raise TypeError(f"{name} update sequence element #{j} should be Iterable; is "
                            f"{type(pair).__name__}")
        if len(pair) != 2:
            raise ValueError(f"{name} update sequence element #{j} has length {len(pair)}; "
                             "2 is required")
        container[pair[0]] = pair[1]


def _as_parameter(value: Any) -> Any:
    """torch's rule for ParameterList/ParameterDict: a plain tensor becomes a Parameter
    (sharing its memory, requiring grad); anything else is kept as it is."""
    if isinstance(value, Tensor) and not isinstance(value, Parameter):
        return Parameter(value)
    return value


def _entry_repr(key: Any, value: Any, dtype_name: Callable[[Tensor], str]) -> str:
    if isinstance(value, Tensor):
        kind = "Parameter" if isinstance(value, Parameter) else "Tensor"
        size = "x".join(str(n) for n in value.shape)
        return f"  ({key}): {kind} containing: [{dtype_name(value)} of size {size}]"
    return f"  ({key}): Object of type: {type(value).__name__}"


class ParameterList(Module):
    """A list of Parameters, registered as ``0``, ``1``, ... (state_dict keys ``name.0``, ...).

    Plain tensors are wrapped into Parameters, as torch does, so they are trained.
    """

    def __init__(self, values: Iterable[Any] | None = None) -> None:
        super().__init__()
        self._size = 0
        if values is not None:
            self.extend(values)

    def _index(self, idx: Any) -> str:
        idx = operator.index(idx)
        if not -len(self) <= idx < len(self):
            raise IndexError(f"index {idx} is out of range")
        return str(idx + len(self) if idx < 0 else idx)

    def __getitem__(self, idx: Any) -> Any:
        if isinstance(idx, slice):
            out = type(self)()
            for i in range(*idx.indices(len(self))):
                out.append(self[i])
            return out
        return getattr(self, self._index(idx))

    def __setitem__(self, idx: int, param: Any) -> None:
        setattr(self, self._index(idx), _as_parameter(param))

    def __len__(self) -> int:
        return self._size

    def __iter__(self) -> Iterator[Any]:
        return (self[i] for i in range(len(self)))

    def __iadd__(self, parameters: Iterable[Any]) -> ParameterList:
        return self.extend(parameters)

    def append(self, value: Any) -> ParameterList:
        self._size += 1
        self[self._size - 1] = value
        return self

    def extend(self, values: Iterable[Any]) -> ParameterList:
        if not isinstance(values, Iterable) or isinstance(values, Tensor):
            raise TypeError("ParameterList.extend should be called with an iterable, but got "
                            + type(values).__name__)
        for value in values:
            self.append(value)
        return self

    def extra_repr(self) -> str:
        return "\n".join(_entry_repr(k, p, lambda t: str(t.dtype)) for k, p in enumerate(self))

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("ParameterList should not be called.")


class ParameterDict(Module):
    """A dict of Parameters registered under their (string) keys, as ``torch.nn.ParameterDict``.

    Plain tensors are wrapped into Parameters. Like torch, a plain ``dict`` given to the
    constructor or to ``update`` is added in sorted key order (an OrderedDict in its own order).
    """

    def __init__(self, parameters: Any = None) -> None:
        super().__init__()
        self._keys: dict[str, None] = {}
        if parameters is not None:
            self.update(parameters)

    @staticmethod
    def _attr(key: Any) -> str:
        if not isinstance(key, str):
            raise TypeError("Index given to ParameterDict cannot be used as a key as it is not "
                            f"a string (type is '{type(key).__name__}')")
        return key

    def __getitem__(self, key: str) -> Any:
        return getattr(self, self._attr(key))

    def __setitem__(self, key: str, value: Any) -> None:
        attr = self._attr(key)
        value = _as_parameter(value)
        if isinstance(value, Parameter):
            self.register_parameter(attr, value)
        else:
            setattr(self, attr, value)
        self._keys[key] = None

    def __delitem__(self, key: str) -> None:
        del self._keys[key]
        delattr(self, self._attr(key))

    def __len__(self) -> int:
        return len(self._keys)

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys)

    def __reversed__(self) -> Iterator[str]:
        return reversed(self._keys)

    def __contains__(self, key: object) -> bool:
        return key in self._keys

    def copy(self) -> ParameterDict:
        return ParameterDict(OrderedDict((k, self[k]) for k in self._keys))

    def setdefault(self, key: str, default: Any = None) -> Any:
        if key not in self:
            self[key] = default
        return self[key]

    def clear(self) -> None:
        for key in list(self._keys):
            del self[key]

    def pop(self, key: str) -> Any:
        value = self[key]
        del self[key]
        return value

    def popitem(self) -> tuple[str, Any]:
        key = next(reversed(self._keys))
        return key, self.pop(key)

    def get(self, key: str, default: Any = None) -> Any:
        return getattr(self, key) if key in self._keys else default

    def fromkeys(self, keys: Iterable[str], default: Any = None) -> ParameterDict:
        return ParameterDict((k, default) for k in keys)

    def keys(self) -> Any:
        return self._keys.keys()

    def items(self) -> Iterator[tuple[str, Any]]:
        return ((k, self[k]) for k in self._keys)

    def values(self) -> Iterator[Any]:
        return (self[k] for k in self._keys)

    def update(self, parameters: Any) -> None:
        """Add (or replace) entries from a mapping or from an iterable of (key, value) pairs."""
        _update(self, parameters, "ParameterDict")

    def __or__(self, other: ParameterDict) -> ParameterDict:
        merged = self.copy()
        merged.update(other)
        return merged

    def __ror__(self, other: ParameterDict) -> ParameterDict:
        merged = other.copy()
        merged.update(self)
        return merged

    def __ior__(self, other: ParameterDict) -> ParameterDict:
        self.update(other)
        return self

    def extra_repr(self) -> str:
        return "\n".join(_entry_repr(k, p, Tensor.type) for k, p in self.items())

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("ParameterDict should not be called.")


# ---- activations ----


class Identity(Module):
    """f(x) = x: the deck's 'linear' activation."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()

    def forward(self, input: Tensor) -> Tensor:
        return input


class Sigmoid(Module):
    """f(x) = 1 / (1 + e^-x)."""

    def forward(self, input: Tensor) -> Tensor:
        return ops.sigmoid(input)


class Tanh(Module):
    """f(x) = (e^x - e^-x) / (e^x + e^-x)."""

    def forward(self, input: Tensor) -> Tensor:
        return ops.tanh(input)


class ReLU(Module):
    """f(x) = max(0, x). ``inplace=True`` (torch's memory saving) is accepted and computes out
    of place: the same values and gradients, and vb.compile can compile it."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return ops.relu(input)

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class LeakyReLU(Module):
    """f(x) = x for x > 0, negative_slope·x otherwise (= max(0, x) + negative_slope·min(0, x));
    ``inplace=True`` as in ReLU."""

    def __init__(self, negative_slope: float = 0.01, inplace: bool = False) -> None:
        super().__init__()
        self.negative_slope, self.inplace = negative_slope, inplace

    def forward(self, input: Tensor) -> Tensor:
        return ops.leaky_relu(input, self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}" + (", inplace=True" if self.inplace else "")


class Softmax(Module):
    """f(xᵢ) = e^xᵢ / Σⱼ e^xⱼ along ``dim``."""

    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:
        return F.softmax(input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class LogSoftmax(Softmax):
    """log(softmax(x)) along ``dim``, computed stably."""

    def forward(self, input: Tensor) -> Tensor:
        return F.log_softmax(input, self.dim)


class Flatten(Module):
    """Flatten dimensions start_dim..end_dim (by default all but the batch dimension)."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, input: Tensor) -> Tensor:
        return ops.flatten(input, self.start_dim, self.end_dim)


# ---- losses ----


class _Loss(Module):
    """A loss module: torch's ``(size_average, reduce, reduction)``, the first two deprecated."""

    def __init__(self, size_average: Any = None, reduce: Any = None,
                 reduction: str = "mean") -> None:
        super().__init__()
        own_init = type(self).__init__ is not _Loss.__init__  # one more frame to the caller
        self.reduction = F._legacy_reduction(size_average, reduce, reduction, 3 + own_init)


class MSELoss(_Loss):
    """The deck's squared error: the mean of (ŷ - y)² over all elements.

    Parameters
    ----------
    reduction : {'mean', 'sum', 'none'}
        'mean' divides the sum by the number of elements; 'none' keeps one loss per element.

    Shapes: input ŷ and target y of the same shape (*) -> a scalar, or (*) for 'none'.

    Examples
    --------
    >>> import vibrastic as vb
    >>> loss = vb.nn.MSELoss()(vb.tensor([0.5, 1.0]), vb.tensor([1.0, 1.0]))
    >>> loss
    tensor(0.1250)
    """

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.mse_loss(input, target, self.reduction)


class BCELoss(_Loss):
    """Binary cross-entropy of probabilities ŷ ∈ [0, 1] against targets y ∈ [0, 1], each
    element's loss scaled by ``weight`` (broadcast to the input) when given."""

    def __init__(self, weight: Tensor | None = None, size_average: Any = None,
                 reduce: Any = None, reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", weight)

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.binary_cross_entropy(input, target, weight=self.weight,
                                      reduction=self.reduction)


class CrossEntropyLoss(_Loss):
    """Softmax cross-entropy of raw scores against class indices or class probabilities.

    Parameters
    ----------
    weight : tensor (C,), optional
        A weight per class; 'mean' then divides by the total weight of the targets.
    ignore_index : int
        Targets equal to it add nothing (and are not counted by 'mean').
    reduction : {'mean', 'sum', 'none'}
        How the per-sample losses are combined.
    label_smoothing : float in [0, 1]
        Mixes the targets with the uniform distribution: (1 - ε)·target + ε/C.

    Shapes: input (N, C) raw scores (logits), or (N, C, d1, ...); target (N,) int64 class
    indices in [0, C) (or (N, d1, ...)), or probabilities of input's shape -> a scalar, or
    the target's shape (N, d1, ...) for 'none'.

    Examples
    --------
    >>> import vibrastic as vb
    >>> scores = vb.tensor([[2.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
    >>> vb.nn.CrossEntropyLoss(reduction="none")(scores, vb.tensor([0, 2]))
    tensor([0.2395, 1.0986])
    """

    def __init__(self, weight: Tensor | None = None, size_average: Any = None,
                 ignore_index: int = -100, reduce: Any = None, reduction: str = "mean",
                 label_smoothing: float = 0.0) -> None:
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", weight)
        self.ignore_index = ignore_index
        self.label_smoothing = label_smoothing

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.cross_entropy(input, target, weight=self.weight, ignore_index=self.ignore_index,
                               reduction=self.reduction, label_smoothing=self.label_smoothing)


class NLLLoss(_Loss):
    """Negative log-likelihood of log-probabilities (N, C) against class indices (N,), with
    torch's per-class ``weight`` and ``ignore_index`` (see ``CrossEntropyLoss``)."""

    def __init__(self, weight: Tensor | None = None, size_average: Any = None,
                 ignore_index: int = -100, reduce: Any = None, reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", weight)
        self.ignore_index = ignore_index

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.nll_loss(input, target, weight=self.weight, ignore_index=self.ignore_index,
                          reduction=self.reduction)
