"""Challenge folders: loading, course order, starters generated from the marked reference."""

from __future__ import annotations

import ast
import re
import shutil
import tomllib
from pathlib import Path

import pytest

from vibrastic.platform.course import model
from vibrastic.platform.course.challenge import (
    ChallengeError,
    UnknownChallenge,
    challenge_index,
    get_challenge,
    load_challenge,
    load_challenges,
    make_starter,
    strip_markers,
)

COURSE_ORDER = [
    "triangle", "sigma", "slicing", "dict-legs", "greeter", "partial-by-hand", "autograd-g",
    "activation-derivatives", "perceptron-step", "gradient-descent", "momentum",
    "backprop-deltas", "train-xor",
]


def test_all_thirteen_challenges_in_course_order() -> None:
    """The order is derived from course.toml (its lessons list the challenges); the folders'
    challenge.toml files carry no position."""
    challenges = load_challenges()
    assert [c.name for c in challenges] == COURSE_ORDER
    assert [c.order for c in challenges] == list(range(1, 14))
    assert all("order" not in tomllib.loads((c.path / "challenge.toml").read_text())
               for c in challenges)


def course_of(tmp_path: Path, lessons: dict[str, list[str]], folders: list[str]) -> Path:
    """A course folder: course.toml with ``lessons`` (name -> challenges) and copies of the
    packaged challenge folders named in ``folders``."""
    root = tmp_path / "course"
    (root / "lessons").mkdir(parents=True)
    toml = ["format_version = 1", '[course]\ntitle = "T"']
    for name, challenges in lessons.items():
        (root / "lessons" / f"{name}.py").write_text("# %%\n")
        toml.append(f'[[lessons]]\nname = "{name}"\ntitle = "{name}"\nfile = "lessons/{name}.py"\n'
                    f"challenges = {challenges!r}".replace("'", '"'))
    (root / "course.toml").write_text("\n".join(toml) + "\n")
    for name in folders:
        shutil.copytree(get_challenge(name).path, root / "challenges" / name)
    return root


def test_course_toml_alone_orders_the_challenges(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(model, "RESCAN_SECONDS", 0.0)  # look at the files on every load
    root = course_of(tmp_path, {"one": ["sigma"], "two": ["greeter", "triangle"]},
                     ["triangle", "sigma", "greeter"])
    found = load_challenges(root)
    assert [(c.name, c.order) for c in found] == [("sigma", 1), ("greeter", 2), ("triangle", 3)]
    # reorder the lessons' lists: the challenges follow, nothing else to edit
    toml = root / "course.toml"
    toml.write_text(toml.read_text().replace('["sigma"]', '["triangle"]')
                    .replace('["greeter", "triangle"]', '["sigma", "greeter"]'))
    assert [c.name for c in load_challenges(root)] == ["triangle", "sigma", "greeter"]


def test_an_authors_edit_is_seen_once_the_rescan_window_has_passed(tmp_path: Path,
                                                                     monkeypatch) -> None:
    """A busy server looks at the course files at most once per ``RESCAN_SECONDS``: an edit
    shows after that window, never before, and a challenge's edited title is read anew."""
    clock = [1000.0]
    monkeypatch.setattr(model, "monotonic", lambda: clock[0])
    root = course_of(tmp_path, {"one": ["sigma"]}, ["sigma"])
    assert load_challenges(root)[0].title == get_challenge("sigma").title
    toml = root / "challenges" / "sigma" / "challenge.toml"
    toml.write_text(re.sub(r'(?m)^title = .*$', 'title = "Sums of squares, edited"',
                           toml.read_text(), count=1))
    clock[0] += model.RESCAN_SECONDS / 2
    assert load_challenges(root)[0].title == get_challenge("sigma").title  # not looked yet
    clock[0] += model.RESCAN_SECONDS
    assert load_challenges(root)[0].title == "Sums of squares, edited"


def test_a_folder_course_toml_does_not_list_or_a_listed_name_without_folder_is_an_error(
        tmp_path: Path) -> None:
    root = course_of(tmp_path, {"one": ["sigma"]}, ["sigma", "triangle"])
    with pytest.raises(ChallengeError, match=r"triangle .*in no lesson of course.toml"):
        load_challenges(root)
    root = course_of(tmp_path / "b", {"one": ["sigma", "greeter"]}, ["sigma"])
    with pytest.raises(ChallengeError, match=r"names challenge.*greeter.*no folder"):
        load_challenges(root)


def test_an_order_in_challenge_toml_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "sigma"
    shutil.copytree(get_challenge("sigma").path, folder)
    toml = folder / "challenge.toml"
    toml.write_text("order = 2\n" + toml.read_text())
    with pytest.raises(ChallengeError, match=r"has 'order'.*course.toml alone orders"):
        load_challenge(folder)


def test_a_folder_of_challenges_without_course_toml_is_ordered_by_name(tmp_path: Path) -> None:
    for name in ("triangle", "sigma"):
        shutil.copytree(get_challenge(name).path, tmp_path / "challenges" / name)
    assert [(c.name, c.order) for c in load_challenges(tmp_path)] == [("sigma", 1),
                                                                      ("triangle", 2)]


@pytest.mark.parametrize("name", COURSE_ORDER)
def test_challenge_folder_is_complete(name: str) -> None:
    c = get_challenge(name)
    assert c.title and c.section and c.statement.startswith("# ")
    assert len(c.hints) >= 3
    assert c.time_limit > 0 and c.memory_mb >= 256
    public = [case for case in c.cases if not case.hidden]
    hidden = [case for case in c.cases if case.hidden]
    assert public and hidden, "every challenge has public and hidden tests"
    assert all(case.hint for case in public), "every public test has a hint"
    assert all(case.points > 0 for case in c.cases)
    assert len({case.name for case in c.cases}) == len(c.cases), "test names are unique"
    assert c.max_score == sum(case.points for case in c.cases)
    # The starter is valid Python that still has a TODO, and differs from the reference.
    ast.parse(c.starter)
    assert "TODO" in c.starter
    assert c.starter != c.reference
    assert "BEGIN SOLUTION" not in c.starter and "END SOLUTION" not in c.starter
    assert c.filename == name.replace("-", "_") + ".py"


def test_torch_challenges_have_generous_limits() -> None:
    for name in ("autograd-g", "train-xor"):
        c = get_challenge(name)
        assert "torch" in c.uses
        assert c.memory_mb >= 1024 and c.time_limit >= 20
    assert get_challenge("train-xor").time_limit == 60


def test_make_starter_replaces_blocks_with_todo_or_stub() -> None:
    reference = (
        "def f(x):\n"
        "    # BEGIN SOLUTION: double x\n"
        "    return 2 * x\n"
        "    # END SOLUTION\n"
        "\n"
        "# BEGIN SOLUTION\n"
        "# STUB: ANSWER = ...  # TODO\n"
        "ANSWER = 42\n"
        "# END SOLUTION\n"
    )
    starter = make_starter(reference)
    assert starter == (
        "def f(x):\n"
        "    # TODO: double x\n"
        "    raise NotImplementedError('TODO: double x')\n"
        "\n"
        "ANSWER = ...  # TODO\n"
    )
    assert "ANSWER = 42" in strip_markers(reference)
    assert "STUB" not in strip_markers(reference)


@pytest.mark.parametrize("bad, problem", [
    ("# BEGIN SOLUTION\nx = 1\n", "without '# END SOLUTION'"),
    ("x = 1\n# END SOLUTION\n", "without a BEGIN"),
    ("# BEGIN SOLUTION\n# BEGIN SOLUTION\n# END SOLUTION\n", "nested"),
])
def test_malformed_markers_are_named(bad: str, problem: str) -> None:
    with pytest.raises(ChallengeError, match=problem):
        make_starter(bad)


def test_unknown_challenge_lists_the_valid_names() -> None:
    with pytest.raises(UnknownChallenge) as info:
        get_challenge("sigmaa")
    assert "sigmaa" in str(info.value) and "sigma" in str(info.value)
    assert info.value.known == COURSE_ORDER


def test_incomplete_folder_is_reported(tmp_path: Path) -> None:
    folder = tmp_path / "broken"
    shutil.copytree(get_challenge("sigma").path, folder)
    (folder / "tests.py").unlink()
    with pytest.raises(ChallengeError, match=r"missing tests\.py"):
        load_challenge(folder)


def test_index_gives_sections_and_commands() -> None:
    index = challenge_index()
    assert [row["name"] for row in index] == COURSE_ORDER
    assert index[1]["command"] == "vibrastic challenge start sigma"
    assert index[0]["section"] == "Python refresher — Loops"
    assert index[12]["max_score"] == get_challenge("train-xor").max_score


def _solution_expressions(reference: str) -> list[str]:
    """The code lines inside the reference's solution blocks, as expressions without spaces
    (``return``/``name =`` prefixes dropped)."""
    found, inside = [], False
    for line in reference.splitlines():
        text = line.strip()
        if text.startswith("# BEGIN SOLUTION"):
            inside = True
        elif text.startswith("# END SOLUTION"):
            inside = False
        elif inside and text and not text.startswith("#"):
            text = re.sub(r"^(return|yield)\s+", "", text.split("  #")[0])
            text = re.sub(r"^[\w.\[\], ]+\s*[-+*/]?=\s*(?!=)", "", text)
            found.append(re.sub(r"\s+", "", text))
    # Names and loop/def headers are the statement's vocabulary, not its solution.
    return [f for f in found if len(f) >= 12 and not f.endswith(":")
            and not re.fullmatch(r"[\w.]+(\([\w,]*\))?", f)]


@pytest.mark.parametrize("name", COURSE_ORDER)
def test_no_hint_hands_over_a_solution_line(name: str) -> None:
    c = get_challenge(name)
    hints = list(c.hints) + [case.hint for case in c.cases if case.hint]
    leaks = {}
    for hint in hints:
        squashed = re.sub(r"\s+", "", hint).replace("`", "")
        leaked = [e for e in _solution_expressions(c.reference) if e in squashed]
        if leaked:
            leaks[hint] = leaked
    assert leaks == {}, f"{name}: hints that give away solution lines"
