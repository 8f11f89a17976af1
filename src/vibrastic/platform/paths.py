"""Where vibrastic keeps a learner's data (progress database, grader cache)."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs


def home_dir() -> Path:
    """``VIBRASTIC_HOME`` if set, else the platform's user data folder for vibrastic."""
    env = os.environ.get("VIBRASTIC_HOME")
    return Path(env) if env else Path(platformdirs.user_data_dir("vibrastic", appauthor=False))
