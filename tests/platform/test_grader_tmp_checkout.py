"""A checkout (and so vibrastic and its course content) that lives under /tmp, as a CI clone
does: every job mounts a fresh /tmp of its own, and the read-only binds below /tmp must stay
visible in it — vibrastic importable, the course folders still hidden."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

import vibrastic
from vibrastic.platform.grader.launch import isolation_mode

pytestmark = pytest.mark.skipif(isolation_mode() != "bubblewrap",
                                reason="bubblewrap (bwrap) is not installed or does not work here")

PROGRAM = """
import sys
from vibrastic.platform.grader.grade import Grader
source = '''
import os, vibrastic
def sigma(n):
    hidden = os.listdir(os.path.join(os.path.dirname(vibrastic.__file__), "courses"))
    return 5 if vibrastic.__file__.startswith(sys.argv[1]) and hidden == [] else 0
'''.replace("sys.argv[1]", repr(sys.argv[1]))
result = Grader(warm=False).grade("sigma", source, hidden=False)
print(result.tests[0].status, result.tests[0].message)
"""


def test_a_checkout_under_tmp_stays_visible_in_every_job(tmp_path: Path) -> None:
    folder = Path(tempfile.mkdtemp(prefix="vibrastic-checkout-", dir="/tmp"))
    try:
        src = folder / "src"
        shutil.copytree(Path(vibrastic.__file__).parent, src / "vibrastic",
                        ignore=shutil.ignore_patterns("__pycache__"))
        env = dict(os.environ, PYTHONPATH=str(src), VIBRASTIC_HOME=str(tmp_path / "home"))
        done = subprocess.run([sys.executable, "-c", PROGRAM, str(src)], env=env,
                              capture_output=True, text=True, timeout=600)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "pass", done.stdout  # sigma(2) gave 5: imported, and hidden
