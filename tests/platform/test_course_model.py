"""The course folder: course.toml, lesson lookup, the deck's slide titles, labs and challenges."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from vibrastic.faces.cli.latex import latex_to_text, markdown_math_to_text
from vibrastic.platform.course import CourseError, LessonNotFound, load_course
from vibrastic.platform.course.model import expand_sources

DECK = Path(__file__).resolve().parents[3] / "shared" / "seed" / "vibrastic101-deck.md"
DECK_CANDIDATES = (DECK, Path("/work/shared/seed/vibrastic101-deck.md"))
# The challenge names of the course (issue 5's brief); each belongs to exactly one lesson.
CHALLENGES = ("triangle", "sigma", "slicing", "dict-legs", "greeter", "partial-by-hand",
              "autograd-g", "activation-derivatives", "perceptron-step", "gradient-descent",
              "momentum", "backprop-deltas", "train-xor")


def deck_text() -> str:
    for path in DECK_CANDIDATES:
        if path.is_file():
            return path.read_text(encoding="utf-8")
    pytest.skip("the deck (shared/seed/vibrastic101-deck.md) is not next to this checkout")


def slide_titles(deck: str) -> list[str]:
    """The deck's slide titles and sub-titles, recognised in its extracted text as lines that

    - stand alone as a paragraph (a blank line, or the file's edge, before and after them),
    - sit outside code fences,
    - start with an upper-case letter and are at most 70 characters long,
    - do not end like a sentence or lead-in (``:`` ``.`` ``,`` ``;``) and hold no ``$`` maths.

    This picks "Refreshing", "Basic Python: Data types", "Slicing", "Autograd", "Definition",
    "Classification of ML (cntd.)", "Supervised Learning hands on", "Perceptron learning",
    "Study of Learning Rate α hands on", "Build MLP in PyTorch", and also short captions such as
    "Boolean", "Input pair" or "Thank You!" — all of which a lesson carries.
    """
    lines = deck.splitlines()
    titles, in_fence = [], False
    for i, line in enumerate(lines):
        s = line.strip()
        if s.startswith("```"):
            in_fence = not in_fence
            continue
        if in_fence or not s:
            continue
        before = lines[i - 1].strip() if i else ""
        after = lines[i + 1].strip() if i + 1 < len(lines) else ""
        if before or after or not s[0].isupper() or len(s) > 70:
            continue
        if s[-1] in ":.,;" or "$" in s:
            continue
        titles.append(s)
    return titles


def normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().lower()


def test_course_loads_eight_lessons_in_the_decks_order() -> None:
    course = load_course()
    assert course.title.startswith("Vibrastic 101")
    assert [lesson.number for lesson in course.lessons] == list(range(1, 9))
    names = [lesson.name for lesson in course.lessons]
    assert names[0] == "python-refresher" and names[-1] == "mlp-backprop-xor"
    for lesson in course.lessons:
        assert lesson.path.suffix == ".py" and lesson.path.is_file()
        assert lesson.cells()[0].kind == "markdown"
        assert any(cell.kind == "code" for cell in lesson.cells())


def test_lessons_are_found_by_number_name_or_file_stem() -> None:
    course = load_course()
    assert course.lesson("7").name == "learning-rate-momentum"
    assert course.lesson(7).name == "learning-rate-momentum"
    assert course.lesson("learning-rate-momentum").number == 7
    assert course.lesson("07-learning-rate-momentum").number == 7


@pytest.mark.parametrize("ref", ["0", "9", "no-such-lesson", ""])
def test_an_unknown_lesson_names_the_valid_ones(ref: str) -> None:
    with pytest.raises(LessonNotFound) as info:
        load_course().lesson(ref)
    assert len(info.value.valid) == 8
    assert "1 python-refresher" in str(info.value)


def test_every_slide_title_of_the_deck_appears_in_some_lesson() -> None:
    titles = slide_titles(deck_text())
    assert len(titles) > 70  # the rule finds the deck's slides, not a handful of lines
    for expected in ("Refreshing", "Basic Python: Data types", "Slicing", "Autograd",
                     "Definition", "Classification of ML", "Supervised Learning hands on",
                     "Perceptron learning", "Study of Learning Rate α hands on",
                     "Build MLP in PyTorch"):
        assert expected in titles
    text = normalise("\n".join(cell.source for lesson in load_course().lessons
                               for cell in lesson.cells()))
    missing = [t for t in titles if normalise(t) not in text]
    assert missing == []


def test_each_challenge_belongs_to_exactly_one_lesson_and_each_lab_is_registered() -> None:
    from vibrastic.ml.labs import REGISTRY

    course = load_course()
    assert sorted(course.challenges) == sorted(CHALLENGES)
    assert len(set(course.challenges)) == len(course.challenges)
    assert set(course.labs) == set(REGISTRY)
    packaged = {p.name for p in (course.root / "challenges").iterdir() if p.is_dir()}
    assert packaged <= set(course.challenges)


def test_a_broken_course_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(CourseError, match=r"course\.toml"):
        load_course(tmp_path)
    (tmp_path / "course.toml").write_text(
        'format_version = 1\n[course]\ntitle = "t"\n'
        '[[lessons]]\nname = "a"\ntitle = "A"\nfile = "lessons/a.py"\n')
    with pytest.raises(CourseError, match="not found"):
        load_course(tmp_path)
    (tmp_path / "course.toml").write_text('format_version = 1\n[[lessons]]\nname = "a"\n')
    with pytest.raises(CourseError, match="lacks file, title"):
        load_course(tmp_path)


def small_course_toml(tmp_path: Path, body: str, header: str = "format_version = 1\n") -> Path:
    """A course folder with two empty lessons (a, b) and ``body`` after them in course.toml."""
    (tmp_path / "lessons").mkdir(parents=True, exist_ok=True)
    for name in ("a", "b"):
        (tmp_path / "lessons" / f"{name}.py").write_text("# %%\n")
    (tmp_path / "course.toml").write_text(
        header + '[course]\ntitle = "T"\n' + "".join(
            f'[[lessons]]\nname = "{n}"\ntitle = "{n.upper()}"\nfile = "lessons/{n}.py"\n'
            + body.replace("{lesson}", n) for n in ("a", "b")))
    return tmp_path


def test_course_toml_states_its_format_version(tmp_path: Path) -> None:
    assert load_course().format_version == 1
    small_course_toml(tmp_path, "", header="")
    with pytest.raises(CourseError, match=r"has no format_version.*format_version = 1"):
        load_course(tmp_path)
    small_course_toml(tmp_path, "", header="format_version = 2\n")
    with pytest.raises(CourseError, match="has format_version 2"):
        load_course(tmp_path)


def test_a_lab_or_challenge_has_one_place_in_the_course(tmp_path: Path) -> None:
    """course.toml is the order, so a name listed twice is an error, not a second position."""
    small_course_toml(tmp_path, 'labs = ["xor"]\n')
    with pytest.raises(CourseError, match=r"lab names must appear once.*xor"):
        load_course(tmp_path)
    small_course_toml(tmp_path, 'challenges = ["sigma-{lesson}", "sigma"]\n')
    with pytest.raises(CourseError, match=r"challenge names must appear once.*sigma"):
        load_course(tmp_path)
    small_course_toml(tmp_path, 'challenges = ["sigma-{lesson}"]\n')
    assert load_course(tmp_path).challenges == ("sigma-a", "sigma-b")


def test_course_labs_follow_course_toml_with_their_lessons() -> None:
    """The lab list is derived: the library's labs in the order course.toml's lessons name them."""
    from vibrastic.ml.labs import REGISTRY
    from vibrastic.platform.course.labs import course_labs

    course = load_course()
    listed = course_labs(course)
    assert [entry.name for entry in listed] == list(course.labs)
    assert [entry.name for entry in listed][:3] == [
        "autograd", "supervised-svr", "unsupervised-kmeans"]
    assert [entry.name for entry in listed][-2:] == ["mlp-backprop", "xor"]
    by_name = {entry.name: entry for entry in listed}
    assert by_name["xor"].lesson.name == "mlp-backprop-xor"
    assert by_name["reinforcement"].lesson.number == 5
    assert by_name["xor"].lab is REGISTRY["xor"]


def test_course_labs_name_unknown_labs_and_list_the_librarys_others_last(tmp_path: Path) -> None:
    from vibrastic.ml.labs import REGISTRY
    from vibrastic.platform.course.labs import course_labs

    small_course_toml(tmp_path, 'labs = ["xor-{lesson}"]\n')
    with pytest.raises(CourseError, match=r"names lab\(s\) xor-a, xor-b that the library"):
        course_labs(load_course(tmp_path))
    only_b = small_course_toml(tmp_path / "c2", "")
    (only_b / "course.toml").write_text((only_b / "course.toml").read_text().replace(
        'file = "lessons/b.py"\n', 'file = "lessons/b.py"\nlabs = ["xor", "autograd"]\n'))
    listed = course_labs(load_course(only_b))
    assert [entry.name for entry in listed][:2] == ["xor", "autograd"]
    assert [entry.lesson.name for entry in listed[:2]] == ["b", "b"]
    others = listed[2:]
    assert [entry.name for entry in others] == sorted(set(REGISTRY) - {"xor", "autograd"})
    assert all(entry.lesson is None for entry in others)


def test_source_directives_show_the_librarys_own_code() -> None:
    from vibrastic.ml.classic import gradient_descent

    target = "vibrastic.ml.classic.gradient_descent:gradient_descent"
    expanded = expand_sources(f"Before\n{{source}} {target}\n")
    assert expanded.startswith("Before\n```python\ndef gradient_descent(")
    assert "linear_regression_gradient(X, y, w)" in expanded
    assert gradient_descent.__doc__.splitlines()[0] in expanded
    with pytest.raises(CourseError, match="no_such_name"):
        expand_sources("{source} vibrastic.ml.classic:no_such_name")


@pytest.mark.parametrize(("tex", "text"), [
    (r"\hat{y} = f\left(\vec{w}\cdot\vec{x} + b\right)", "ŷ = f(w⃗·x⃗ + b)"),
    (r"w_i = w_i + \alpha(y-\hat{y})x_i", "wᵢ = wᵢ + α(y-ŷ)xᵢ"),
    (r"f(x)=\frac{1}{1+e^{-x}}", "f(x)=1/(1+e^(-x))"),
    (r"\frac{\partial \ell}{\partial w_{ji}^l} = \delta_j^l x_i^l", "∂ℓ/∂wⱼᵢˡ = δⱼˡ xᵢˡ"),
    (r"\vec{F}:\mathbb{R}^n \to \mathbb{R}", "F⃗:ℝⁿ → ℝ"),
    (r"\Psi = \{\langle \vec{x}_i, \vec{y}_i \rangle\}", "Ψ = {⟨ x⃗ᵢ, y⃗ᵢ ⟩}"),
])
def test_formulas_read_as_text_in_the_terminal(tex: str, text: str) -> None:
    assert latex_to_text(tex) == text


def test_markdown_math_is_replaced_inline_and_as_display_lines() -> None:
    out = markdown_math_to_text("rate $\\alpha \\in (0,1]$ and\n$$\\sum_i x_i$$\nend")
    assert "rate α ∈ (0,1] and" in out
    assert "\n    Σᵢ xᵢ\n" in out
    assert "$" not in out


def test_code_in_markdown_keeps_its_dollar_signs() -> None:
    source = 'Plot with `ax.set_title("$w_0$")`:\n```python\nt = rf"$\\alpha={a}$"\n```\n$\\alpha$'
    out = markdown_math_to_text(source)
    assert '`ax.set_title("$w_0$")`' in out
    assert 't = rf"$\\alpha={a}$"' in out
    assert out.endswith("α")


def test_a_lesson_naming_an_unknown_challenge_is_a_clear_error() -> None:
    from vibrastic.platform.course.export import challenge_info

    assert challenge_info("sigma").filename == "sigma.py"
    with pytest.raises(CourseError, match="no-such-challenge"):
        challenge_info("no-such-challenge")

