"""The deck's hands-on sections as deterministic experiments (one module each, listed in REGISTRY).

Importing this package imports every lab module, which registers itself with ``labs.base.register``.
"""

from vibrastic.labs.base import REGISTRY, Lab, LabResult, register

# ---- lab modules (each registers itself on import; keep in course order) ----

__all__ = ["REGISTRY", "Lab", "LabResult", "register"]
