"""The deck's hands-on sections as deterministic experiments, one module each.

Owns the labs, what they return (``base.LabResult``) and the list of them (``registry``, read from
``labs.toml``). Importing this package imports no lab: ``vibrastic lab list`` reads ``labs.toml``,
and a lab's module (matplotlib, scikit-learn, torch) loads when the lab runs. May import the
engine and the rest of ``vibrastic.ml``; never ``vibrastic.platform`` or a face.

Why a metadata file here and no order: the library knows what a lab is and how to run it; a
course knows where it sits. ``course.toml`` alone orders labs (its lessons name them), and the
platform joins the two (``vibrastic.platform.course.labs``), so the library never reads a course
and no position is written twice.

Conventions every lab follows
-----------------------------
- A lab is a function ``run(backend: str = "vibrastic", seed: int = 0, **small_config) ->
  LabResult`` in its own module, with one entry in ``labs.toml``: name, ``"module:run"``, the
  deck's slide title it comes from (``section``), one line for ``vibrastic lab list``
  (``summary``) and its backends. A course lists it in a lesson of its ``course.toml``.
- ``backends = ["torch", "vibrastic"]`` for labs that train or differentiate;
  ``["numpy"]`` for labs that neither train nor differentiate (they receive
  ``backend="numpy"``). ``run_lab`` falls back to a lab's own backend and says so in ``notes``.
- Expensive sizes (epochs, iterations, grid sizes, …) are keyword arguments: the defaults reproduce
  the deck, tests pass a small configuration.
- A lab never prints and never calls ``plt.show()``: it returns metrics (plain numbers, bools or
  short strings; flat dict), ``matplotlib.figure.Figure`` objects (build them with
  ``Figure()``, not pyplot, so nothing global leaks), and tables (lists of row dicts) in a
  ``LabResult``. Faces (CLI, lessons, web) render it.
- Same seed, same numbers: every random draw comes from ``np.random.default_rng(seed)``.
- Two backends, one set of initial weights: the chosen backend does the full run; a parity
  check runs BOTH backends from the same initial weights (drawn with NumPy from the seed and loaded
  with ``load_state_dict``) for a short prefix and reports ``parity_max_abs_diff`` (and what was
  compared) in the metrics. ``backends.get_backend(name)`` returns ``torch`` or ``vibrastic``;
  ``backends.other_backend(name)`` the one to compare against.
- Corrections to the deck's code or formulas go in ``docs/errata.md``, one row each, citing the
  slide.
"""

from vibrastic.ml.labs.base import LabResult
from vibrastic.ml.labs.registry import (
    REGISTRY,
    Lab,
    UnknownLabError,
    get_lab,
    read_catalogue,
    register,
    run_lab,
)

__all__ = [
    "REGISTRY",
    "Lab",
    "LabResult",
    "UnknownLabError",
    "get_lab",
    "read_catalogue",
    "register",
    "run_lab",
]
