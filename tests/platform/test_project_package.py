"""The grader's package extension: a submission may carry several files (relative path -> bytes)
that the sandbox writes read-only next to it and makes importable (what a project stage submits)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from vibrastic.platform.course.checks import Case, approx, equal, satisfies
from vibrastic.platform.grader.grade import Grader, package_payload


@dataclass(frozen=True)
class Gradable:
    """The smallest thing the grader grades: what a Challenge or a project Stage provides."""

    cases: tuple[Case, ...]
    reference_files: dict[str, bytes] = field(default_factory=dict)
    name: str = "package-demo"
    filename: str = "stage_demo.py"
    reference: str = "import pkg.mod\n"
    time_limit: float = 10.0
    memory_mb: int = 512
    fingerprint: str = "demo"


GOOD = {"pkg/__init__.py": b"", "pkg/mod.py": b"def double(x):\n    return 2 * x\n"}
CASES = (
    Case("double(21)", "from pkg.mod import double\ndouble(21)", approx()),
    Case("the package is read-only in the sandbox",
         "import os, pkg.mod\n[os.access(pkg.mod.__file__, os.W_OK), "
         "os.access(os.path.dirname(pkg.mod.__file__), os.W_OK)]", equal()),
)


def test_a_package_is_importable_and_read_only() -> None:
    demo = Gradable(CASES, GOOD)
    with Grader() as grader:
        result = grader.grade(demo, demo.reference, files=GOOD)
        assert result.status == "pass", result.to_json()
        wrong = dict(GOOD, **{"pkg/mod.py": b"def double(x):\n    return x + 1\n"})
        result = grader.grade(demo, demo.reference, files=wrong)
    assert result.tests[0].status == "fail"
    assert "expected 42, got 22" in result.tests[0].message


def test_the_sandbox_sees_the_package_and_the_submission_only() -> None:
    listing = Case("the job folder", "import os, pkg\n"
                   "sorted(os.listdir(os.path.dirname(os.path.dirname(pkg.__file__))))",
                   satisfies(lambda v: None if v == ["pkg", "stage_demo.py"] else repr(v)))
    demo = Gradable((listing,), GOOD)
    with Grader() as grader:
        result = grader.grade(demo, demo.reference, files=GOOD)
    assert result.status == "pass", result.to_json()


def test_an_error_inside_the_package_names_its_file_and_line() -> None:
    demo = Gradable(CASES[:1], GOOD)
    broken = dict(GOOD, **{"pkg/mod.py": b"def double(x):\n    raise ValueError('no')\n"})
    with Grader() as grader:
        result = grader.grade(demo, "", files=broken)
    assert result.tests[0].message == "ValueError (pkg/mod.py, line 2): no"


def test_bad_package_paths_are_refused_before_the_sandbox() -> None:
    for bad in ("../escape.py", "/etc/passwd", "pkg/../../x.py", "pkg//x.py", "pkg/./x.py"):
        with pytest.raises(ValueError, match="bad path"):
            package_payload({bad: b""})
    with pytest.raises(ValueError, match="at most"):
        package_payload({"pkg/big.py": b"#" * (2**20 + 1)})
    assert package_payload({"pkg/a.py": b"x"}) == {"pkg/a.py": "eA=="}
