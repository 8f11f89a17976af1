"""Random numbers with torch's API: ``Generator``, ``manual_seed``, ``seed``, RNG state.

Every random draw in vibrastic (``rand``, ``randn``, initialisers, dropout masks, ``DataLoader``
shuffling) goes through a ``Generator``: the global ``default_generator`` unless a function is given
its own (``generator=``). A Generator wraps NumPy's PCG64, so a seed makes vibrastic reproducible
run after run; the numbers differ from torch's for the same seed.

The sampling methods (``uniform``, ``normal``, ``integers``, ``permutation``, ``bernoulli``,
``random64``) are the only primitives the rest of the engine calls: they take a shape and a NumPy
dtype and return a NumPy array.
"""

from __future__ import annotations

import json
import secrets
from typing import Any

import numpy as np

_SEED_MASK = (1 << 64) - 1


class Generator:
    """A random number generator, as ``torch.Generator``: seed it, save and restore its state."""

    def __init__(self, device: Any = "cpu") -> None:
        if str(device) != "cpu":
            raise RuntimeError(f"vibrastic generators live on the CPU only, got device {device!r}")
        self.manual_seed(secrets.randbits(63))

    # ---- torch.Generator's API ----
    def manual_seed(self, seed: int) -> Generator:
        """Restart the sequence from ``seed`` (negative seeds wrap to 64 bits, as torch)."""
        seed = int(seed)
        if not -(1 << 63) <= seed <= _SEED_MASK:
            raise RuntimeError(
                "Overflow when unpacking long long: seed must be within "
                "[-0x8000_0000_0000_0000, 0xffff_ffff_ffff_ffff]"
            )
        self._initial_seed = seed & _SEED_MASK
        self._np = np.random.default_rng(self._initial_seed)
        return self

    def seed(self) -> int:
        """Reseed from the operating system's entropy; return the new seed."""
        seed = secrets.randbits(63)
        self.manual_seed(seed)
        return seed

    def initial_seed(self) -> int:
        return self._initial_seed

    def get_state(self) -> Any:
        """The generator's state as a uint8 tensor (pass it to ``set_state`` to replay draws)."""
        from vibrastic.tensor import _new

        state = {"seed": self._initial_seed, "bit_generator": self._np.bit_generator.state}
        return _new(np.frombuffer(json.dumps(state).encode(), dtype=np.uint8).copy())

    def set_state(self, new_state: Any) -> Generator:
        """Restore a state returned by ``get_state``."""
        try:
            raw = bytes(np.asarray(new_state, dtype=np.uint8))
            state = json.loads(raw.decode())
            bit_generator = np.random.PCG64()
            bit_generator.state = state["bit_generator"]
        except (ValueError, TypeError, KeyError) as exc:
            raise RuntimeError(
                "set_state expects a state returned by vibrastic's Generator.get_state() "
                f"({exc})"
            ) from None
        self._initial_seed = int(state["seed"])
        self._np = np.random.Generator(bit_generator)
        return self

    @property
    def device(self) -> Any:
        from vibrastic.devices import device

        return device("cpu")

    def __repr__(self) -> str:
        return f"<vibrastic.Generator seed={self._initial_seed}>"

    # ---- sampling primitives (NumPy arrays in, NumPy arrays out) ----
    def uniform(self, shape: tuple[int, ...], low: float, high: float, dtype: np.dtype
                ) -> np.ndarray:
        """Samples from U[low, high) of ``dtype``."""
        return self._np.uniform(low, high, shape).astype(dtype, copy=False)

    def normal(self, shape: tuple[int, ...], mean: Any, std: Any, dtype: np.dtype) -> np.ndarray:
        """Samples from N(mean, std²) (mean and std may be arrays broadcast to ``shape``)."""
        return self._np.normal(mean, std, shape).astype(dtype, copy=False)

    def integers(self, low: int, high: int, shape: tuple[int, ...]) -> np.ndarray:
        """Integers in [low, high), int64."""
        return self._np.integers(low, high, shape, dtype=np.int64)

    def permutation(self, n: int) -> np.ndarray:
        """A random ordering of 0..n-1, int64."""
        return self._np.permutation(n).astype(np.int64, copy=False)

    def bernoulli(self, p: Any, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
        """1 with probability p, else 0, as ``dtype``."""
        return (self._np.random(shape) < p).astype(dtype)

    def exponential(self, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
        """Samples from Exp(1) of ``dtype`` (multinomial draws through them, as torch)."""
        return self._np.standard_exponential(shape).astype(dtype, copy=False)

    def random64(self) -> int:
        """A non-negative 63-bit integer (the seed a DataLoader draws per epoch, as torch)."""
        return int(self._np.integers(0, 1 << 63))


default_generator = Generator()


def manual_seed(seed: int) -> Generator:
    """Seed vibrastic's global generator (reproducible within vibrastic; not torch's numbers)."""
    return default_generator.manual_seed(seed)


def seed() -> int:
    """Seed the global generator non-deterministically; return the seed."""
    return default_generator.seed()


def initial_seed() -> int:
    return default_generator.initial_seed()


def get_rng_state() -> Any:
    return default_generator.get_state()


def set_rng_state(new_state: Any) -> None:
    default_generator.set_state(new_state)


def current(generator: Generator | None) -> Generator:
    """The generator to draw from: the one given, else the global one (looked up at call time)."""
    return default_generator if generator is None else generator
