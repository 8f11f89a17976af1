"""The deck's hands-on sections as deterministic experiments (one module each, listed in REGISTRY).

Importing this package imports every lab module, which registers itself with ``labs.base.register``.

Conventions every lab follows
-----------------------------
- A lab is a function
  ``run(backend: str = "vibrastic", seed: int = 0, **small_config) -> LabResult`` decorated with
  ``@register(name, section, summary, backends=...)``. ``section`` is the deck's slide title the
  lab comes from; ``summary`` is one line for ``vibrastic lab list``. Add the module's import
  line below and its name to ``base.COURSE_ORDER`` if it is not there.
- ``backends=("torch", "vibrastic")`` (the default) for labs that train or differentiate;
  ``backends=("numpy",)`` for labs that neither train nor differentiate (they receive
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

# ---- lab modules: imported so each registers itself; one per line, alphabetical (ruff sorts
# them); ``vibrastic lab list`` shows them in the deck's order (``base.COURSE_ORDER``) ----
from vibrastic.ml.labs import (  # noqa: F401
    activations,
    autograd,
    kmeans,
    learning_rate,
    mlp_backprop,
    momentum,
    perceptron,
    reinforcement,
    svr,
    xor,
)
from vibrastic.ml.labs.base import (
    COURSE_ORDER,
    REGISTRY,
    Lab,
    LabResult,
    UnknownLabError,
    get_lab,
    labs_in_course_order,
    register,
    run_lab,
)

__all__ = [
    "COURSE_ORDER",
    "REGISTRY",
    "Lab",
    "LabResult",
    "UnknownLabError",
    "get_lab",
    "labs_in_course_order",
    "register",
    "run_lab",
]
