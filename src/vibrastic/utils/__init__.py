"""``vibrastic.utils``: helpers around the engine, as ``torch.utils`` (``utils.data`` for now)."""

from vibrastic.utils import data

__all__ = ["data"]
