"""The non-root cases, run as an unprivileged user too (CI runs as root).

A learner's laptop grades as an ordinary user: bubblewrap's own user namespace with a single uid,
no cgroups (memfds refused, the memory watchdog instead), and the plain-process fallback, which
refuses root. This test re-runs those cases under uid 65534 (nobody). The interpreter may live in a
folder nobody cannot enter (``/root/.pyenv``, mode 0700): the run gets a private mount namespace
in which that folder is reachable, nothing else changes.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

import vibrastic
from vibrastic.platform.grader.userns import reachable

UNPRIVILEGED = 65534
SUBSET = [
    "tests/platform/test_grader_isolation.py",
    "tests/platform/test_grader_attacks.py",
    "tests/platform/test_grader.py::test_sandbox_label_says_when_it_is_not_a_boundary",
]
# The process fallback (refused as root) and bubblewrap's one-uid user namespace, cold path.
KEYWORDS = "process-cold or (isolation and cold) or boundary"

pytestmark = pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("unshare")
                                or not shutil.which("setpriv"),
                                reason="runs the unprivileged pass from a root test run")


def _mounts(tmp: Path) -> list[str]:
    """Shell lines making the interpreter reachable for other users in this mount namespace."""
    lines = []
    for number, prefix in enumerate(sorted({os.path.realpath(sys.base_prefix),
                                            os.path.realpath(sys.prefix)})):
        if reachable(prefix):
            continue
        top = "/" + prefix.strip("/").split("/")[0]  # e.g. /root
        keep = tmp / f"keep-{number}"
        keep.mkdir()
        lines += [f"mount --bind {shlex.quote(prefix)} {shlex.quote(str(keep))}",
                  f"mount -t tmpfs -o mode=755 tmpfs {shlex.quote(top)}",
                  f"mkdir -p {shlex.quote(prefix)}",
                  f"mount --bind {shlex.quote(str(keep))} {shlex.quote(prefix)}"]
    return lines


@pytest.fixture
def base() -> Iterator[Path]:
    """A folder the unprivileged user can reach (pytest's own tmp folders are root's, 0700)."""
    folder = Path(tempfile.mkdtemp(prefix="vibrastic-unprivileged-"))
    folder.chmod(0o755)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def test_non_root_cases_pass_as_an_unprivileged_user(base: Path) -> None:
    tmp_path = base
    home = tmp_path / "home"
    home.mkdir()
    os.chown(home, UNPRIVILEGED, UNPRIVILEGED)
    src = Path(vibrastic.__file__).resolve().parents[1]
    repo = src.parent
    pytest_args = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-x",
                   "-k", KEYWORDS, "--basetemp", str(home / "pytest"), *SUBSET]
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home),
           "PYTHONPATH": str(src), "PYTHONDONTWRITEBYTECODE": "1", "LANG": "C.UTF-8"}
    script = "\n".join([*_mounts(tmp_path),
                        f"cd {shlex.quote(str(repo))}",
                        "exec setpriv --reuid=65534 --regid=65534 --clear-groups "
                        "--inh-caps=-all --bounding-set=-all "
                        + shlex.join(["env", "-i", *(f"{k}={v}" for k, v in env.items()),
                                      *pytest_args])])
    done = subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-ec", script],
                          capture_output=True, text=True, timeout=1500)
    tail = (done.stdout + done.stderr)[-3000:]
    assert done.returncode == 0, tail
    assert " passed" in tail and "failed" not in tail
