"""The project's stages: loading, starters, what each stage's tests may import, the learner's
growing package, and a deliberately broken engine per typical mistake failing the right stage
with a message that points at the mistake. (Every reference passing and every starter failing,
stage by stage, is ``course check``: tests/faces/test_cli_challenges.py.)"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from vibrastic.platform.course.project import Project, get_project
from vibrastic.platform.progress.project import (
    ProjectError,
    check_stage,
    read_package,
    save_package_file,
    stage_statuses,
    start_stage,
)
from vibrastic.platform.progress.service import GradingService

PROJECT = get_project()
REFERENCE = PROJECT.reference_package()


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GradingService]:
    """One warm grading service for the module; attempts go to each test's own store."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("VIBRASTIC_HOME", str(tmp_path_factory.mktemp("home")))
        with GradingService(workers=2) as svc:
            yield svc


def test_stages_in_course_order_each_adding_its_own_files() -> None:
    assert [s.slug for s in PROJECT.stages] == ["operators", "value", "backward", "tensor", "nn",
                                                "optim"]
    assert [s.number for s in PROJECT.stages] == list(range(6))
    files = [f for s in PROJECT.stages for f in s.files]
    assert len(files) == len(set(files)) and set(files) == set(REFERENCE)
    tensor = PROJECT.stage("tensor")
    assert PROJECT.stage(3) is tensor and tensor.name == "project-tensor"
    assert tensor.earlier_files == ("mygrad/__init__.py", "mygrad/operators.py",
                                    "mygrad/value.py", "mygrad/autodiff.py")
    assert tensor.source == "import mygrad.tensor\n"
    assert [m.slug for m in PROJECT.milestones] == ["graph", "perceptron", "xor", "digits"]
    with pytest.raises(KeyError, match="expected one of: 0 operators, 1 value"):
        PROJECT.stage("engine")


def test_starters_raise_stage_errors_and_hide_the_solution() -> None:
    for stage in PROJECT.stages:
        for rel, data in stage.starter_files.items():
            text = data.decode()
            assert "BEGIN SOLUTION" not in text and "END SOLUTION" not in text
            if rel != "mygrad/__init__.py":
                assert f'NotImplementedError("stage {stage.number}: ' in text or \
                    f"NotImplementedError('stage {stage.number}: " in text, rel
    autodiff = PROJECT.stage("backward").starter_files["mygrad/autodiff.py"].decode()
    assert "grads.get(id(parent)" not in autodiff and "def topological_order(root" in autodiff
    tensor = PROJECT.stage("tensor").starter_files["mygrad/tensor.py"].decode()
    assert "keepdims=True)" not in tensor.split("def as_tensor")[0]  # unbroadcast's body


def _imported(code: str) -> set[str]:
    """The mygrad modules a probe imports (``mygrad.value`` / ``from mygrad import nn``)."""
    found = set(re.findall(r"\bmygrad\.(\w+)", code))
    for names in re.findall(r"from mygrad import ([\w ,]+)", code):
        found |= {n.strip().split(" as ")[0] for n in names.split(",")}
    return found


def test_each_stages_tests_import_only_this_and_earlier_stages() -> None:
    allowed: set[str] = set()
    for stage in PROJECT.stages:
        allowed |= {m.split(".", 1)[1] for m in stage.modules if "." in m}
        for case in stage.cases:
            used = _imported(case.code)
            assert used <= allowed, f"{stage.slug}: {case.name!r} imports {used - allowed}"
            assert "import vibrastic" not in case.code and "torch" not in case.code


def test_the_package_grows_and_is_never_overwritten(tmp_path: Path) -> None:
    work = tmp_path / "work"
    first = start_stage("operators", workspace=work)
    assert [p.name for p in first.written] == ["__init__.py", "operators.py"]
    mine = work / "mygrad" / "operators.py"
    mine.write_text("# my work\n")
    second = start_stage("value", workspace=work)
    assert [p.name for p in second.written] == ["value.py"]
    assert second.unpassed == ("operators",)  # a warning: stage 0 has not passed yet
    again = start_stage("operators", workspace=work)
    assert again.written == () and again.kept[1] == mine and mine.read_text() == "# my work\n"
    forced = start_stage("operators", workspace=work, force=True)
    assert forced.backups and forced.backups[-1].read_text() == "# my work\n"
    statuses = stage_statuses(PROJECT, work)
    assert statuses["value"].status == "started" and statuses["tensor"].status == "not started"


def test_read_package_takes_only_the_packages_python_files(tmp_path: Path) -> None:
    work = tmp_path / "work"
    with pytest.raises(ProjectError, match="run `vibrastic project start operators` first"):
        read_package(work)
    start_stage("operators", workspace=work, record=False)
    (work / "sigma.py").write_text("print('another challenge')\n")
    (work / "mygrad" / "__pycache__").mkdir()
    (work / "mygrad" / "__pycache__" / "x.py").write_text("")
    (work / "mygrad" / "notes.txt").write_text("not code")
    assert sorted(read_package(work)) == ["mygrad/__init__.py", "mygrad/operators.py"]
    (work / "mygrad" / "leak.py").symlink_to(tmp_path / "secret.py")
    (tmp_path / "secret.py").write_text("x = 1\n")
    with pytest.raises(ProjectError, match="links outside"):
        read_package(work)


def test_an_editor_saves_only_files_of_the_package(tmp_path: Path) -> None:
    work = tmp_path / "work"
    path = save_package_file("mygrad/value.py", "x = 1\n", work).path
    assert path == work / "mygrad" / "value.py" and path.read_text() == "x = 1\n"
    for bad in ("../mygrad/value.py", "mygrad/../../x.py", "/etc/passwd.py", "other/value.py",
                "mygrad/notes.txt", "mygrad/.hidden.py", "value.py"):
        with pytest.raises(ProjectError, match="is not a file of your package"):
            save_package_file(bad, "x", work)
    assert sorted(p.name for p in (work / "mygrad").iterdir()) == ["value.py"]


def _broken(rel: str, old: str, new: str) -> dict[str, bytes]:
    text = REFERENCE[rel].decode()
    assert old in text, f"{rel} no longer contains {old!r}"
    return dict(REFERENCE, **{rel: text.replace(old, new).encode()})


RECURSIVE_ORDER = '''    order, seen = [], set()

    def visit(node):
        if id(node) not in seen:
            seen.add(id(node))
            for parent in node.parents:
                visit(parent)
            order.append(node)

    visit(root)
    return order
'''

#: mistake -> (package, the stage it must fail, words its message must contain)
MISTAKES = {
    "forgot to accumulate": (
        _broken("mygrad/autodiff.py", "grads.get(id(parent), 0.0) + parent_grad", "parent_grad"),
        "backward", ("input x: analytic gradient", "numeric (central differences)")),
    "recursive topological sort": (
        _broken("mygrad/autodiff.py", "    # BEGIN SOLUTION: depth-first with a stack of "
                "(node, parents_done) pairs\n", "    # BEGIN SOLUTION\n" + RECURSIVE_ORDER),
        "backward", ("10,000 nodes deep raised RecursionError", "explicit stack")),
    "unbroadcast forgets stretched axes": (
        _broken("mygrad/tensor.py", "        if size == 1 and grad.shape[axis] != 1:\n"
                "            grad = grad.sum(axis=axis, keepdims=True)\n", "        pass\n"),
        "tensor", ("the gradient has shape (3, 4), expected (3, 1)", "unbroadcast")),
    "momentum sign": (
        _broken("mygrad/optim.py", "-self.lr * p.grad + self.momentum", "-self.lr * p.grad - "
                "self.momentum"),
        "optim", ("after step 2 of 25", "Δw(t) = −α∇E + βΔw(t−1)")),
    "softmax overflow in CrossEntropyLoss": (
        _broken("mygrad/nn.py", "shifted = logits - logits.data.max(axis=1, keepdims=True)",
                "shifted = logits"),
        "nn", ("logits as large as 1000 gave nan", "subtract each row's max")),
    "softmax overflow on floats": (
        _broken("mygrad/operators.py", "top = max(xs)", "top = 0.0"),
        "operators", ("OverflowError (mygrad/operators.py, line",)),
}


@pytest.mark.parametrize("mistake", MISTAKES)
def test_a_typical_mistake_fails_the_right_stage_with_a_pointed_message(
        mistake: str, service: GradingService) -> None:
    files, stage_name, words = MISTAKES[mistake]
    stage = PROJECT.stage(stage_name)
    if stage.number > 0:  # the stage before still passes: the mistake is not caught too early
        before = check_stage(stage.number - 1, files=files, service=service)
        assert before.status == "pass", before.to_json()
    result = check_stage(stage.slug, files=files, service=service, hidden=False)
    assert result.status == "fail", result.to_json()
    messages = [t.message + " " + t.hint for t in result.tests if not t.passed]
    assert any(all(w in m for w in words) for m in messages), messages


def test_a_syntax_error_names_the_file_and_line(service: GradingService) -> None:
    files = dict(REFERENCE, **{"mygrad/value.py": b"class Value:\n    def broken(:\n"})
    result = check_stage("value", files=files, service=service)
    assert result.status == "error"
    assert result.message.startswith("SyntaxError") and "value.py, line 2" in result.message


def test_a_check_is_recorded_under_the_stages_name(service: GradingService,
                                                    tmp_path: Path) -> None:
    from vibrastic.platform.progress import store

    project: Project = PROJECT
    stage = project.stage("operators")
    files = {rel: REFERENCE[rel] for rel in stage.files}
    result = check_stage("operators", files=files, service=service)
    assert result.status == "pass" and result.challenge == "project-operators"
    (attempt,) = store.attempts("project-operators")
    assert attempt["status"] == "pass" and attempt["score"] == stage.max_score
    assert stage_statuses(project, tmp_path)["operators"].status == "passed"


#: (expression over a and b, shape of a, shape of b): stage 3's operations, with broadcasting;
#: AX is the axis keyword (mygrad keeps NumPy's ``axis``, vibrastic has PyTorch's ``dim``)
CROSS = [("a + b", (3, 4), (4,)), ("a * b", (3, 1), (1, 4)), ("(a - b) / b", (2, 3), (3,)),
         ("a @ b", (2, 3), (3, 4)), ("(a.sum(AX=0) * b).tanh()", (3, 4), (4,)),
         ("(a.exp() + b.log()).sigmoid()", (2, 3), (2, 3)), ("a.T.relu() * b", (3, 2), (2, 3)),
         ("(a ** 3).mean(AX=1) + b", (2, 5), (2,))]


def test_the_reference_engine_agrees_with_vibrastics_gradcheck(monkeypatch: pytest.MonkeyPatch
                                                               ) -> None:
    """The reference mygrad (trusted course content, imported here) gives the gradients that
    ``vibrastic.autograd.gradcheck`` certifies for vibrastic on the same expressions."""
    import sys

    import numpy as np

    import vibrastic as vb
    from vibrastic.autograd import gradcheck

    monkeypatch.syspath_prepend(str(PROJECT.root))
    for name in [m for m in sys.modules if m == "mygrad" or m.startswith("mygrad.")]:
        monkeypatch.delitem(sys.modules, name)
    from mygrad.tensor import Tensor

    rng = np.random.default_rng(0)
    for expr, shape_a, shape_b in CROSS:
        a, b = rng.uniform(0.5, 2.0, shape_a), rng.uniform(0.5, 2.0, shape_b)
        f_vb = eval(f"lambda a, b: {expr.replace('AX', 'dim')}")  # the same expression
        f_my = eval(f"lambda a, b: {expr.replace('AX', 'axis')}")
        va = vb.tensor(a, dtype=vb.float64, requires_grad=True)
        vb_b = vb.tensor(b, dtype=vb.float64, requires_grad=True)
        assert gradcheck(f_vb, (va, vb_b)), expr
        f_vb(va, vb_b).sum().backward()
        ma, mb = Tensor(a), Tensor(b)
        f_my(ma, mb).sum().backward()
        assert np.allclose(ma.grad, va.grad.numpy(), rtol=1e-12, atol=1e-12), expr
        assert np.allclose(mb.grad, vb_b.grad.numpy(), rtol=1e-12, atol=1e-12), expr
    for name in [m for m in sys.modules if m == "mygrad" or m.startswith("mygrad.")]:
        del sys.modules[name]
