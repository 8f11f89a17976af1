"""Roster CSV import: good files import whole; every problem is named with its row and column."""

import pytest

from vibrastic.platform.classroom.roster import (
    MAX_ROSTER_BYTES,
    RosterError,
    RosterRow,
    parse_roster,
)


def test_a_roster_with_sections_imports_every_row() -> None:
    data = b"email,name,section\nAda@Example.org,Ada Lovelace,A\nbob@example.org,Bob,\n\n"
    assert parse_roster(data) == [RosterRow("ada@example.org", "Ada Lovelace", "A"),
                                  RosterRow("bob@example.org", "Bob", None)]


def test_columns_in_any_order_a_bom_quotes_and_no_section_column() -> None:
    data = '\ufeffname,email\n"Lovelace, Ada",ada@example.org\n'.encode()
    assert parse_roster(data) == [RosterRow("ada@example.org", "Lovelace, Ada", None)]


@pytest.mark.parametrize(("data", "message"), [
    (b"", "the file is empty; expected a header line 'email,name,section'"),
    (b"mail,name\nx@y.org,X\n", "the header has no 'email' column"),
    (b"email,name,role\nx@y.org,X,admin\n", "unknown column 'role'"),
    (b"email,name\n", "a header but no learners"),
    (b"email,name\nnot-an-email,X\n", "row 2, column 'email': 'not-an-email' is not an e-mail"),
    (b"email,name\nx@y.org,\n", "row 2, column 'name': empty"),
    (b"email,name\nx@y.org,X,extra\n", "row 2: 3 fields where the header has 2"),
    (b"email,name\nx@y.org,X\nX@Y.org,Y\n", "row 3: x@y.org is already on row 2"),
    (b"email,name\nx@y.org,\xff\xfe\n", "not UTF-8 text (byte 19"),
    (b"email,name\nx@y.org,A\x00B\n", "NUL bytes"),
    (b"email,name\nx@y.org,A\x07B\n", "control characters"),
])
def test_bad_rosters_name_what_is_wrong(data: bytes, message: str) -> None:
    with pytest.raises(RosterError, match=message.replace("(", r"\(")):
        parse_roster(data)


def test_nothing_is_imported_when_any_row_is_wrong_and_every_problem_is_listed() -> None:
    data = b"email,name\na@b.org,A\nbad,B\nc@d.org,\n"
    with pytest.raises(RosterError) as caught:
        parse_roster(data)
    assert len(caught.value.problems) == 2
    assert caught.value.problems[0].startswith("row 3") and caught.value.problems[1].startswith(
        "row 4")


def test_huge_files_and_rows_are_refused_before_parsing() -> None:
    with pytest.raises(RosterError, match="at most 1048576 bytes"):
        parse_roster(b"email,name\n" + b"x" * MAX_ROSTER_BYTES)
    rows = b"".join(b"l%d@example.org,L%d\n" % (i, i) for i in range(5001))
    with pytest.raises(RosterError, match="more than 5000 learners"):
        parse_roster(b"email,name\n" + rows)
    with pytest.raises(RosterError, match="column 'name': 201 characters"):
        parse_roster(b"email,name\nx@y.org," + b"n" * 201 + b"\n")
