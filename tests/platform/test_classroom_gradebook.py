"""Gradebook exports: the numbers, overrides winning, Canvas's shape, no CSV formula injection."""

import csv
import io

import pytest

from vibrastic.platform.classroom.gradebook import (
    Column,
    Gradebook,
    Learner,
    Override,
    spreadsheet_safe,
)


@pytest.fixture
def book() -> Gradebook:
    return Gradebook(
        columns=[Column("sigma", "Sum of squares", 9), Column("triangle", "Triangle", 4)],
        learners=[Learner("ada", "ada@example.org", "Ada Lovelace", "A"),
                  Learner("bob", "bob@example.org", "=HYPERLINK(\"http://x\")", None)],
        best={("ada", "sigma"): 9.0, ("ada", "triangle"): 2.0, ("bob", "sigma"): 3.0},
        overrides={("bob", "sigma"): Override(5.0, "prof", "2026-11-28T10:00:00Z",
                                              "grader outage during class")},
    )


def rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def test_csv_by_username_has_a_column_per_challenge_and_the_total(book: Gradebook) -> None:
    assert rows(book.to_csv()) == [
        ["username", "name", "section", "sigma", "triangle", "total"],
        ["ada", "Ada Lovelace", "A", "9", "2", "11"],
        ["bob", "'=HYPERLINK(\"http://x\")", "", "5", "", "5"],
    ]
    assert book.max_total == 13


def test_csv_by_email_and_an_unknown_key(book: Gradebook) -> None:
    assert [r[0] for r in rows(book.to_csv("email"))] == ["email", "ada@example.org",
                                                          "bob@example.org"]
    with pytest.raises(ValueError, match="key must be 'username' or 'email'"):
        book.to_csv("name")  # type: ignore[arg-type]


def test_an_override_wins_over_the_graded_score(book: Gradebook) -> None:
    assert book.score("bob", "sigma") == 5.0
    assert book.score("ada", "sigma") == 9.0
    assert book.score("bob", "triangle") is None


def test_canvas_export_has_the_import_columns_and_points_possible(book: Gradebook) -> None:
    table = rows(book.to_canvas_csv())
    assert table[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section",
                        "Sum of squares", "Triangle"]
    assert table[1] == ["    Points Possible", "", "", "", "", "9", "4"]
    assert table[2] == ["Ada Lovelace", "", "ada", "ada@example.org", "A", "9", "2"]


@pytest.mark.parametrize("cell", ["=1+1", "+1", "-1", "@SUM(A1)", "\tx"])
def test_formula_like_cells_are_neutralised(cell: str) -> None:
    assert spreadsheet_safe(cell) == "'" + cell
    assert spreadsheet_safe("Ada") == "Ada"
