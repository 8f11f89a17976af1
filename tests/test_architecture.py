"""The architecture holds: no import cycles, the layer contract, and a CLI that starts light.

Layers (DESIGN.md), an arrow only pointing down: faces > platform > ml > engine; inside the
platform, qa and classroom > progress > grader > course. Each check runs in a fresh interpreter,
so what this test process imported already does not hide anything.
"""

from __future__ import annotations

import json
import os
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import vibrastic

SRC = Path(vibrastic.__file__).resolve().parents[1]
ROOT = Path(__file__).resolve().parents[1]
ABOVE_ENGINE = ("vibrastic.ml", "vibrastic.platform", "vibrastic.faces")
HEAVY = {"sqlalchemy", "matplotlib", "sklearn", "scipy", "torch"}


def run_python(*args: str) -> subprocess.CompletedProcess[str]:
    """``python ARGS`` in a fresh interpreter that imports this checkout's vibrastic."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(SRC), *filter(None, [os.environ.get("PYTHONPATH")])]), COLUMNS="100")
    return subprocess.run([sys.executable, *args], env=env, capture_output=True, text=True,
                          timeout=600, cwd=ROOT)


def all_modules() -> list[str]:
    """Every module of the package but the course content (lessons and challenge files are
    run, not imported) and ``__main__`` (it runs the CLI)."""
    names = ["vibrastic"] + [m.name for m in pkgutil.walk_packages(vibrastic.__path__,
                                                                    "vibrastic.")]
    return sorted(n for n in names
                  if not n.startswith("vibrastic.courses") and n != "vibrastic.__main__")


IMPORT_IN_ORDER = """
import importlib, json, random, sys
names, seed = json.loads(sys.argv[1]), int(sys.argv[2])
if seed >= 0:
    random.Random(seed).shuffle(names)
    for name in names:
        importlib.import_module(name)
else:  # each module first: forget vibrastic's modules, then import this one alone
    for name in names:
        for loaded in [m for m in sys.modules if m == "vibrastic" or m.startswith("vibrastic.")]:
            del sys.modules[loaded]
        importlib.import_module(name)
print(len(names))
"""


@pytest.mark.parametrize("seed", [0, 1, 2, -1], ids=["order0", "order1", "order2", "each-first"])
def test_every_module_imports_in_any_order(seed: int) -> None:
    """A cycle shows up as "partially initialized module" when the wrong module is imported
    first: three seeded shuffles, and once with every module as the first one imported."""
    names = all_modules()
    assert len(names) > 60 and "vibrastic.platform.course.challenge" in names
    done = run_python("-c", IMPORT_IN_ORDER, json.dumps(names), str(seed))
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip() == str(len(names))


def test_the_layer_contract_in_pyproject_holds() -> None:
    """``lint-imports`` (import-linter) with the contracts in pyproject.toml."""
    done = run_python("-c", "import sys; from importlinter.cli import lint_imports; "
                      "sys.exit(lint_imports(config_filename='pyproject.toml', no_cache=True, "
                      "no_logo=True))")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "0 broken" in done.stdout and "4 kept" in done.stdout


def test_no_engine_module_imports_anything_above_the_engine() -> None:
    """The engine is the root package's own modules (``tensor``, ``ops``, ``nn``, …, whatever
    is added later): none may import the ML library, the platform or a face."""
    import grimp

    graph = grimp.build_graph("vibrastic")
    top = {m for m in graph.modules if m.count(".") == 1}
    engine = {"vibrastic"} | {m for m in top
                              if m not in ABOVE_ENGINE and m not in ("vibrastic.courses",
                                                                     "vibrastic.__main__")}
    assert {"vibrastic.tensor", "vibrastic.ops", "vibrastic.nn"} <= engine
    bad = []
    for module in engine:
        inside = {module} if module == "vibrastic" else {module} | graph.find_descendants(module)
        for source in inside:
            for target in graph.find_modules_directly_imported_by(source):
                if target.startswith(tuple(f"{a}" for a in ABOVE_ENGINE)):
                    bad.append(f"{source} imports {target}")
    assert bad == []


def imported_by(*command: str) -> set[str]:
    """The modules ``vibrastic COMMAND`` imports, from ``python -X importtime`` in a fresh
    interpreter (the command must succeed)."""
    done = run_python("-X", "importtime", "-m", "vibrastic", *command)
    assert done.returncode == 0, done.stderr[-3000:]
    return {line.split("|")[-1].strip() for line in done.stderr.splitlines()
            if line.startswith("import time:") and "self [us]" not in line}


@pytest.mark.parametrize("command, allowed", [
    (["--help"], set()),
    (["lab", "list"], set()),
    (["challenge", "list"], {"sqlalchemy"}),  # it shows the learner's progress
], ids=["--help", "lab list", "challenge list"])
def test_commands_import_only_what_they_need(command: list[str], allowed: set[str]) -> None:
    modules = imported_by(*command)
    assert "vibrastic.faces.cli" in modules and "vibrastic.tensor" in modules
    heavy = {m.split(".")[0] for m in modules} & HEAVY
    assert heavy == allowed
    labs = {m for m in modules if m.startswith("vibrastic.ml.labs.")}
    assert labs <= {"vibrastic.ml.labs.base", "vibrastic.ml.labs.registry"}  # no lab module
    if command == ["--help"]:  # no sub-command's module, hence no platform
        assert not any(m.startswith(("vibrastic.platform", "vibrastic.faces.cli."))
                       for m in modules)
