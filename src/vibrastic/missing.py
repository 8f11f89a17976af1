"""What vibrastic does not have, said plainly: the error for a torch name it does not implement.

``vb.fft``, ``vb.nn.Conv2d`` or ``module.register_forward_hook`` raise an AttributeError (so
``hasattr`` and ``getattr(..., default)`` keep working) whose message names the PyTorch feature
and says that vibrastic does not have it, with a reason for the features a course is most likely
to reach for.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

MODULE_HOOKS = ("register_forward_hook", "register_backward_hook",
                "register_full_backward_hook", "register_forward_pre_hook")

# features a learner may reach for, and why vibrastic leaves them out
_REASONS = {
    **dict.fromkeys(
        ("Conv1d", "Conv2d", "Conv3d", "ConvTranspose2d", "MaxPool1d", "MaxPool2d", "AvgPool2d",
         "AdaptiveAvgPool2d", "BatchNorm2d", "conv1d", "conv2d", "max_pool2d", "avg_pool2d"),
        "vibrastic has no convolution or pooling layers (the course's networks are fully "
        "connected)"),
    **dict.fromkeys(
        ("RNN", "LSTM", "GRU", "RNNCell", "LSTMCell", "GRUCell", "Transformer",
         "TransformerEncoder", "TransformerEncoderLayer", "MultiheadAttention",
         "scaled_dot_product_attention"),
        "vibrastic has no recurrent or attention layers"),
    **dict.fromkeys(("jit", "fx", "export", "onnx"),
                    "vibrastic's one compiler is vb.compile (torch.compile's calling convention)"),
    **dict.fromkeys(("fft", "linalg", "sparse", "distributed",
                     "quantization", "hub", "multiprocessing"),
                    "vibrastic does not have this sub-module"),
    **dict.fromkeys(MODULE_HOOKS, "vibrastic has tensor hooks (tensor.register_hook) but no "
                                  "module hooks"),
    **dict.fromkeys(("cfloat", "cdouble", "complex64", "complex128", "bfloat16", "int8",
                     "int16", "float8_e4m3fn"),
                    "vibrastic's dtypes are float16/32/64, int32/64, uint8 and bool"),
    "clip_grad_norm": "torch deprecated it; use clip_grad_norm_ (with the underscore)",
    **dict.fromkeys(("functional", "hessian", "jacobian", "hvp", "vhp", "jvp", "vjp",
                     "grad_and_value", "vmap"),
                    "vibrastic has no higher-order gradients (create_graph=True) or function "
                    "transforms; its backward pass computes in NumPy"),
}


def message(owner: str, name: str) -> str:
    """The explanation for a missing ``owner.name`` (owner as vibrastic spells it)."""
    torch_name = owner.replace("vibrastic", "torch", 1) + "." + name
    reason = _REASONS.get(name, "vibrastic implements the part of PyTorch's API a first course "
                                "uses, and not this name")
    return f"{torch_name} is not available in vibrastic: {reason}"


def module_getattr(module_name: str) -> Callable[[str], Any]:
    """A module-level ``__getattr__`` that explains a missing torch name."""

    def __getattr__(name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(f"module '{module_name}' has no attribute '{name}'")
        raise AttributeError(f"module '{module_name}' has no attribute '{name}' "
                             f"({message(module_name, name)})")

    return __getattr__


def tensor_getattr(self: Any, name: str) -> Any:
    """``Tensor.__getattr__``: only called for names the class does not define."""
    if name.startswith("_") or name in ("grad", "requires_grad"):  # slots not yet set
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")
    raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}' "
                         f"({message('vibrastic.Tensor', name)})")
