"""vibrastic's wheel (for notebooks off this machine): a valid PEP 427 wheel holding the package,
its course content, templates and assets, with the installed distribution's metadata."""

from __future__ import annotations

import base64
import hashlib
import zipfile
from pathlib import Path

import pytest

from vibrastic.platform.course import load_course
from vibrastic.platform.course.wheel import PACKAGE_ROOT, build_wheel, wheel_name


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_wheel(tmp_path_factory.mktemp("wheel"))


def test_the_wheel_holds_the_package_and_the_course(wheel: Path) -> None:
    assert wheel.name == wheel_name() and wheel_name().endswith("-py3-none-any.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    course = load_course()
    root = f"vibrastic/courses/{course.id}"
    assert {"vibrastic/__init__.py", "vibrastic/tensor.py", "vibrastic/faces/cli/__init__.py",
            "vibrastic/faces/web/templates/lesson.html", f"{root}/course.toml"} <= names
    for lesson in course.lessons:
        assert f"vibrastic/{lesson.path.relative_to(PACKAGE_ROOT).as_posix()}" in names
    for name in course.challenges:
        assert any(n.startswith(f"{root}/challenges/{name}/") for n in names), name
    assert any(n.startswith("vibrastic/faces/web/static/vendor/") for n in names)
    assert not any("__pycache__" in n or n.endswith(".pyc") for n in names)


def test_the_wheel_metadata_and_record_are_valid(wheel: Path) -> None:
    archive = zipfile.ZipFile(wheel)
    info = wheel_name().removesuffix("-py3-none-any.whl") + ".dist-info"
    meta = archive.read(f"{info}/METADATA").decode()
    assert "Name: vibrastic" in meta and "Requires-Dist: numpy" in meta
    assert "Tag: py3-none-any" in archive.read(f"{info}/WHEEL").decode()
    assert "vibrastic = vibrastic.faces.cli:main" in archive.read(
        f"{info}/entry_points.txt").decode()
    record = archive.read(f"{info}/RECORD").decode().splitlines()
    assert len(record) == len(archive.namelist())
    for line in record:
        name, digest, size = line.rsplit(",", 2)
        if name == f"{info}/RECORD":
            continue
        data = archive.read(name)
        expected = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
        assert digest == f"sha256={expected.decode()}" and int(size) == len(data), name


def test_the_wheel_is_built_once_per_content(wheel: Path) -> None:
    assert build_wheel(wheel.parent.parent) == wheel  # cached: same content, same file
