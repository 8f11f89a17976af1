"""The compatibility corpus: PyTorch programs that run on vibrastic with only the import swapped.

Each program in ``programs/`` is a short script in a style learners copy (hand-written gradient
descent, custom autograd Functions, nn.Module + DataLoader training, checkpoints, device
boilerplate, the deck's own code). It runs under torch and under vibrastic (see ``shim``), from the
same initial weights; both must print the same text with the same numbers, to the tolerance in the
program's header (rtol 1e-4, atol 1e-5 unless it says otherwise).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import torch

sys.path.insert(0, str(Path(__file__).parent))

import shim

torch.set_num_threads(1)

PROGRAMS = shim.programs()


def test_the_corpus_has_twenty_or_more_programs() -> None:
    assert len(PROGRAMS) >= 20


@pytest.mark.parametrize("program", PROGRAMS, ids=[p.stem for p in PROGRAMS])
def test_program_prints_the_same_numbers_under_both_engines(program: Path,
                                                            tmp_path: Path) -> None:
    runs = shim.run_both(program, tmp_path)
    expected, actual = runs["torch"].output, runs["vibrastic"].output
    assert len(shim.numbers(expected)) >= 3, f"{program.name} prints too few numbers to compare"
    rtol, atol = shim.tolerances(program)
    problems = shim.compare(expected, actual, rtol, atol)
    assert not problems, "\n".join(problems)
    torch_warnings = {w.split(":")[0] for w in runs["torch"].warnings}
    vb_warnings = {w.split(":")[0] for w in runs["vibrastic"].warnings}
    assert vb_warnings == torch_warnings | set(shim.expected_warnings(program)), (
        f"warnings differ: torch {sorted(set(runs['torch'].warnings))[:3]}, "
        f"vibrastic {sorted(set(runs['vibrastic'].warnings))[:3]}"
    )


def test_the_shim_swaps_only_the_import(tmp_path: Path) -> None:
    program = tmp_path / "which.py"
    program.write_text("import torch\nimport torch.nn as nn\nfrom torch.utils.data import "
                       "DataLoader\nprint(torch.__name__, nn.__name__, DataLoader.__module__)\n")
    assert shim.run(program, "torch", tmp_path / "t").output.split() == [
        "torch", "torch.nn", "torch.utils.data.dataloader"]
    assert shim.run(program, "vibrastic", tmp_path / "v").output.split() == [
        "vibrastic", "vibrastic.nn", "vibrastic.utils.data"]


def test_the_shim_gives_both_engines_the_same_initial_weights(tmp_path: Path) -> None:
    program = tmp_path / "init.py"
    program.write_text("import torch\ntorch.manual_seed(3)\nm = torch.nn.Linear(4, 2)\n"
                       "print(m.weight.tolist(), m.bias.tolist(), torch.randn(2).tolist())\n")
    runs = shim.run_both(program, tmp_path)
    assert runs["torch"].output == runs["vibrastic"].output


def test_the_comparison_catches_a_wrong_number_and_different_text() -> None:
    assert shim.compare("loss 0.5000\n", "loss 0.50001\n", 1e-4, 1e-5) == []
    assert shim.compare("loss 0.5000\n", "loss 0.5100\n", 1e-4, 1e-5)
    assert shim.compare("loss 0.5\n", "cost 0.5\n", 1e-4, 1e-5)
    assert shim.compare("tensor([1., 2.])\n", "tensor([1., 2.])\n", 0, 0) == []
