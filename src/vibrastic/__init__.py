"""vibrastic: the Vibrastic 101 AI crash course as software, and its own autograd engine.

``import vibrastic as vb`` gives a NumPy tensor library with PyTorch's names and semantics,
so the deck's code runs with ``torch`` swapped for ``vb``.
"""

from vibrastic import autograd, nn, optim
from vibrastic.autograd import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from vibrastic.blas import get_num_threads, set_num_threads
from vibrastic.ops import (
    abs,
    add,
    argmax,
    argmin,
    cat,
    clamp,
    cos,
    div,
    eq,
    exp,
    flatten,
    ge,
    gt,
    le,
    log,
    log_softmax,
    lt,
    matmul,
    max,
    maximum,
    mean,
    min,
    minimum,
    mul,
    ne,
    neg,
    permute,
    pow,
    relu,
    reshape,
    sigmoid,
    sin,
    softmax,
    sqrt,
    squeeze,
    stack,
    std,
    sub,
    sum,
    tanh,
    transpose,
    unsqueeze,
    var,
    where,
)
from vibrastic.tensor import (
    Tensor,
    arange,
    bool_,
    dtype,
    float32,
    float64,
    from_numpy,
    full,
    get_default_dtype,
    int32,
    int64,
    linspace,
    manual_seed,
    ones,
    ones_like,
    rand,
    randint,
    randn,
    randperm,
    set_default_dtype,
    tensor,
    uint8,
    zeros,
    zeros_like,
)

float = float32
double = float64
long = int64
int = int32
bool = bool_

__version__ = "0.1.0"

__all__ = [
    "Tensor", "abs", "add", "arange", "argmax", "argmin", "autograd", "bool", "bool_", "cat",
    "clamp", "compile", "cos", "div", "double", "dtype", "enable_grad", "eq", "exp", "flatten",
    "float", "float32", "float64", "from_numpy", "full", "ge", "get_default_dtype",
    "get_num_threads", "gt", "int", "int32", "int64", "is_grad_enabled", "le", "linspace", "log",
    "log_softmax", "long", "lt", "manual_seed", "matmul", "max", "maximum", "mean", "min",
    "minimum", "mul", "ne", "neg", "nn", "no_grad", "ones", "ones_like", "optim", "permute",
    "pow", "rand", "randint", "randn", "randperm", "relu", "reshape", "set_default_dtype",
    "set_grad_enabled", "set_num_threads", "sigmoid", "sin", "softmax", "sqrt", "squeeze",
    "stack", "std", "sub", "sum", "tanh", "tensor", "transpose", "uint8", "unsqueeze", "var",
    "where", "zeros", "zeros_like",
]


def __getattr__(name: str) -> object:
    """``vb.compile`` is imported on first use (the compiler is not needed to start the CLI)."""
    if name == "compile":
        from vibrastic.compiler import compile

        globals()["compile"] = compile
        return compile
    raise AttributeError(f"module 'vibrastic' has no attribute {name!r}")
