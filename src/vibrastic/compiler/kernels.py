"""The kernels a compiled program is made of: one NumPy call each, written as code text.

Every kernel has two spellings: ``alloc`` returns a new array (``np.add(a, b)``) and ``out``
writes into a buffer the program owns (``np.add(a, b, buf)``). The builder runs the very text the
generated program will contain, so what it checks against the eager engine is what runs later.
Views (``reshape``, ``.T``, ``broadcast_to``) have one spelling: they alias their input.

A kernel whose result is a NumPy scalar (a full reduction) is wrapped in ``_np.asarray`` by
the builder, so every value is an array. Templates use ``{0}``, ``{1}``, … for the arguments
and ``{out}`` for the buffer; attributes are formatted in with ``repr`` (exact for ints,
floats, tuples and None).
"""

from __future__ import annotations

from dataclasses import dataclass

UNARY = {  # kernel name -> the ufunc that computes it
    "negative": "_np.negative", "exp": "_np.exp", "log": "_np.log", "log1p": "_np.log1p",
    "sqrt": "_np.sqrt", "absolute": "_np.absolute", "sign": "_np.sign", "sin": "_np.sin",
    "cos": "_np.cos", "tanh": "_np.tanh", "logical_not": "_np.logical_not",
    "floor": "_np.floor", "qlog": "_qlog", "qlog1p": "_qlog1p", "exp_quiet": "_qexp",
    "isfinite": "_np.isfinite", "isnan": "_np.isnan", "isinf": "_np.isinf",
    "sinh": "_np.sinh", "cosh": "_np.cosh", "tan": "_np.tan", "arcsin": "_np.arcsin",
    "arccos": "_np.arccos", "arctan": "_np.arctan", "log2": "_np.log2", "log10": "_np.log10",
    "expm1": "_np.expm1", "reciprocal": "_np.reciprocal", "ceil": "_np.ceil",
    "trunc": "_np.trunc",
}
BINARY = {
    "add": "_np.add", "subtract": "_np.subtract", "multiply": "_np.multiply",
    "true_divide": "_np.true_divide", "power": "_np.power", "maximum": "_np.maximum",
    "minimum": "_np.minimum", "greater": "_np.greater", "less": "_np.less",
    "greater_equal": "_np.greater_equal", "less_equal": "_np.less_equal", "equal": "_np.equal",
    "not_equal": "_np.not_equal", "logical_and": "_np.logical_and",
    "logical_or": "_np.logical_or", "floor_divide": "_np.floor_divide",
    "remainder": "_np.remainder", "logaddexp": "_np.logaddexp", "hypot": "_np.hypot",
    "arctan2": "_np.arctan2",
}
# ufuncs that cast a Python number beside a float array to the array's dtype (NEP 50): the
# builder passes them a 0-d array of that dtype instead (graph.Builder.typed)
TYPED = {"add", "subtract", "multiply", "true_divide", "maximum", "minimum", "greater", "less",
         "greater_equal", "less_equal", "equal", "not_equal"}
SYMBOL = {"add": "+", "subtract": "-", "multiply": "*", "true_divide": "/"}  # for comments


@dataclass(frozen=True)
class Kernel:
    """Code templates for one kernel. ``out`` is None when it always allocates (or is a view)."""

    alloc: str
    out: str | None = None
    view: bool = False


def _ufunc(fn: str, n: int) -> Kernel:
    args = ", ".join(f"{{{i}}}" for i in range(n))
    out = "out={out}" if fn in _KEYWORD_OUT else "{out}"  # positional out is quicker to parse
    return Kernel(f"{fn}({args})", f"{fn}({args}, {out})")


_KEYWORD_OUT = ("_np.maximum", "_np.minimum")  # NumPy deprecates their positional out


KERNELS: dict[str, Kernel] = {
    **{name: _ufunc(fn, 1) for name, fn in UNARY.items()},
    **{name: _ufunc(fn, 2) for name, fn in BINARY.items()},
    # reductions (ndarray.sum / .max are these reduce calls)
    "sum": Kernel("_np.add.reduce({0}, {axes}, None, None, {keepdims})",
                  "_np.add.reduce({0}, {axes}, None, {out}, {keepdims})"),
    "max": Kernel("_np.maximum.reduce({0}, {axes}, None, None, {keepdims})",
                  "_np.maximum.reduce({0}, {axes}, None, {out}, {keepdims})"),
    "min": Kernel("_np.minimum.reduce({0}, {axes}, None, None, {keepdims})",
                  "_np.minimum.reduce({0}, {axes}, None, {out}, {keepdims})"),
    "neg_mean": Kernel("_np.asarray(-_np.true_divide({0}, {1}))"),  # -(s / n): rules.py
    # each row's maximum, as NumPy's reduceat over the flat rows (rules._row_max)
    "max_rows": Kernel("_np.maximum.reduceat({0}.reshape(-1), {1})",
                       "_np.maximum.reduceat({0}.reshape(-1), {1}, 0, None, {out})"),
    "take_along": Kernel("_np.take_along_axis({0}, {1}, {axis})"),
    # F.gelu's erf: the engine's own (vibrastic.special.erf_array, float64 out), so the bits are its
    "erf": Kernel("_erf({0})"),
    "einsum": Kernel("_np.einsum({spec}, *{0})"),  # operands as one tuple
    "round": Kernel("_np.round({0}, {decimals})"),
    "any": Kernel("_np.asarray(_np.any({0}, axis={axis}, keepdims={keepdims}))"),
    "all": Kernel("_np.asarray(_np.all({0}, axis={axis}, keepdims={keepdims}))"),
    "isclose": Kernel("_np.asarray(_np.isclose({0}, {1}, {rtol}, {atol}, {equal_nan}))"),
    "erfc": Kernel("_erfc({0})"),  # vb.special's, as erf: float64 out
    "erfinv": Kernel("_erfinv({0})"),
    "log_quiet": Kernel("_quietly(_np.log, {0})"),  # logit, xlogy: warnings silenced as eager
    "true_divide_quiet": Kernel("_quietly(_np.true_divide, {0}, {1})"),
    "take_axis": Kernel("_np.take({0}, {1}, axis={axis})"),  # index_select
    "cumsum": Kernel("_np.cumsum({0}, axis={axis})"),
    "cumprod": Kernel("_np.cumprod({0}, axis={axis})"),
    "argsort": Kernel("_np.argsort({0}, axis={axis}, kind='stable')"),
    "prod": Kernel("_np.multiply.reduce({0}, {axes}, None, None, {keepdims})"),
    "tile": Kernel("_np.tile({0}, {reps})"),
    # nll_loss / cross_entropy with options: eager's own function (nn.functional._class_loss)
    "class_loss": Kernel("_class_loss({0}, {1}, {2}, {ignore_index}, {reduction}, "
                         "{label_smoothing}, {logits})[0]"),
    "class_loss_grad": Kernel("_class_loss({1}, {2}, {3}, {ignore_index}, {reduction}, "
                              "{label_smoothing}, {logits})[1]({0})"),
    "roll": Kernel("_np.roll({0}, {shift}, {axis})"),
    "arctan2_f64": Kernel("_np.arctan2({0}, {1}, dtype=_np.float64)"),  # ops.atan2 of float32
    "nan_to_num": Kernel("_np.nan_to_num({0}, nan={nan}, posinf={posinf}, neginf={neginf})"),
    # ops.pow's gradients (branches on values, as eager): runtime.py
    "pow_da": Kernel("_pow_da({0}, {1}, {2})"),
    "pow_db": Kernel("_pow_db({0}, {1}, {2}, {3})"),
    # matrix products: ndarray.dot gives matmul's bits for 2-D operands and costs less
    "matmul": Kernel("_np.matmul({0}, {1})", "_np.matmul({0}, {1}, {out})"),
    # a product big enough for BLAS threads: the engine's thread policy (blas.py), same bits
    "matmul_blas": Kernel("_blas_matmul({0}, {1})", "_blas_matmul({0}, {1}, {out})"),
    # a product below the BLAS thread floor: one thread always (set once per call, _blas_one)
    "matmul_one": Kernel("_np.matmul({0}, {1})", "_np.matmul({0}, {1}, {out})"),
    "dot": Kernel("{0}.dot({1})", "{0}.dot({1}, {out})"),
    "dot_one": Kernel("{0}.dot({1})", "{0}.dot({1}, {out})"),  # as matmul_one
    "row_sum": Kernel("{1}.dot({0})", "{1}.dot({0}, {out})"),  # ones · g: rules.linear
    "where": Kernel("_np.where({0}, {1}, {2})"),
    "clip": Kernel("_np.clip({0}, {lo}, {hi})", "_np.clip({0}, {lo}, {hi}, {out})"),
    "astype": Kernel("{0}.astype({dtype})", "_np.copyto({out}, {0}, casting='unsafe')"),
    "copy": Kernel("{0}.copy()", "_np.copyto({out}, {0})"),
    "zeros": Kernel("_np.zeros({shape}, {dtype})", "{out}.fill(0)"),
    "argmax": Kernel("_np.asarray(_np.argmax({0}, axis={axis}, keepdims={keepdims}), _np.int64)"),
    "argmin": Kernel("_np.asarray(_np.argmin({0}, axis={axis}, keepdims={keepdims}), _np.int64)"),
    "concatenate": Kernel("_np.concatenate({0}, axis={axis})"),
    "stack": Kernel("_np.stack({0}, axis={axis})"),
    "take": Kernel("{0}[{idx}]"),  # advanced indexing makes a new array
    "take_flat": Kernel("{0}.reshape(-1)[{1}]"),
    "random": Kernel("_rng().{method}({size}, 0.0, 1.0, {dtype})"),
    "randint": Kernel("_rng().integers({low}, {high}, {size}).astype({dtype})"),
    "permutation": Kernel("_rng().permutation({n}).astype({dtype})"),
    "bernoulli": Kernel("_rng().bernoulli({p}, {size}, {dtype})"),
    # views: they share memory with their input, as the eager ops' results do
    "reshape": Kernel("{0}.reshape({shape})", view=True),
    "transpose": Kernel("{0}.transpose({axes})", view=True),
    "T": Kernel("{0}.T", view=True),
    "swapaxes": Kernel("_np.swapaxes({0}, -1, -2)", view=True),
    "expand_dims": Kernel("_np.expand_dims({0}, {axis})", view=True),
    "squeeze": Kernel("_np.squeeze({0}, {axis})", view=True),
    "flip": Kernel("_np.flip({0}, {axis})", view=True),
    "moveaxis": Kernel("_np.moveaxis({0}, {source}, {destination})", view=True),
    "broadcast_to": Kernel("_np.broadcast_to({0}, {shape})", view=True),
    "getitem": Kernel("{0}[{idx}]", view=True),
    "asarray": Kernel("_np.asarray({0})", view=True),
}

# kernels never folded into constants: random draws, and arrays that get written into
UNFOLDABLE = {"random", "randint", "permutation", "bernoulli", "zeros", "copy"}

# statements that change an existing array in place (the first argument)
INPLACE: dict[str, str] = {
    **{name: f"{fn}({{0}}, {{1}}, " + ("out={0})" if fn in _KEYWORD_OUT else "{0})")
       for name, fn in BINARY.items()},
    "fill": "{0}.fill({value})",
    "setitem": "{0}[{idx}] = {1}",
    "sub_at": "{0}[{idx}] -= {1}",
    "sub_flat": "{0}.reshape(-1)[{1}] -= {2}",  # (a contiguous buffer of the program's)
    "set_flat": "{0}.reshape(-1)[{1}] = {2}",
    "add_at": "_np.add.at({0}, {idx}, {1})",
    "add_at_axis": "_np.add.at(_np.moveaxis({0}, {axis}, 0), {1}, _np.moveaxis({2}, {axis}, 0))",
    "copyto": "_np.copyto({0}, {1})",
    "maximum_into": "_np.maximum({0}, {1}, out={0})",
    "put_along": "_np.put_along_axis({0}, {1}, {2}, {axis})",
}
