"""The vendored front-end assets match frontend/vendor.lock.json (no network, no Node.js).

The lock records sha256 of the build's inputs (package.json, package-lock.json, build.mjs, the
editor source) and of every vendored file. A changed input without a rebuild, or a hand-edited
bundle, fails here; ``cd frontend && npm ci && npm run build`` rebuilds both and the lock.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
FRONTEND = ROOT / "frontend"
VENDOR = ROOT / "src" / "vibrastic" / "faces" / "web" / "static" / "vendor"
LOCK = json.loads((FRONTEND / "vendor.lock.json").read_text(encoding="utf-8"))


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_build_inputs_are_the_ones_the_bundle_was_built_from() -> None:
    inputs = ["package.json", "package-lock.json", "build.mjs",
              *(p.relative_to(FRONTEND).as_posix() for p in (FRONTEND / "src").rglob("*")
                if p.is_file())]
    assert sorted(inputs) == sorted(LOCK["inputs"])
    for name in inputs:
        assert sha(FRONTEND / name) == LOCK["inputs"][name], f"{name} changed: rebuild"


def test_vendored_files_are_exactly_the_built_ones() -> None:
    found = {p.relative_to(VENDOR).as_posix(): sha(p) for p in VENDOR.rglob("*") if p.is_file()}
    assert found == LOCK["outputs"]


def test_pinned_versions_and_licences() -> None:
    lock = json.loads((FRONTEND / "package-lock.json").read_text(encoding="utf-8"))
    packages = lock["packages"]
    assert packages["node_modules/codemirror"]["version"].startswith("6.0.")  # not CM5's 6.65
    assert LOCK["versions"]["codemirror"] == packages["node_modules/codemirror"]["version"]
    for licence in ("codemirror.LICENSES.txt", "katex/LICENSE", "htmx.LICENSE.txt",
                    "axe.LICENSE.txt"):
        assert (VENDOR / licence).stat().st_size > 100, licence
    assert "@codemirror/view" in (VENDOR / "codemirror.LICENSES.txt").read_text(encoding="utf-8")
