"""Roster import: the CSV an instructor exports from a registrar or an LMS, checked row by row.

The format is ``email,name,section`` with a header line (columns in any order; ``section`` may
be left out or empty). Every problem is reported with its row and column, and nothing is imported
unless the whole file is right, so a half-imported roster never has to be untangled.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass

MAX_ROSTER_BYTES = 1 << 20  # 1 MiB: about 20,000 learners
MAX_ROSTER_ROWS = 5000
MAX_FIELD_LENGTH = 200
REQUIRED_COLUMNS = ("email", "name")
KNOWN_COLUMNS = ("email", "name", "section")
EMAIL = re.compile(r"^[^@\s,;<>\"']+@[^@\s,;<>\"']+\.[^@\s,;<>\"']+$")


@dataclass(frozen=True)
class RosterRow:
    """One learner to enrol: a lower-cased e-mail, a display name, a section or None."""

    email: str
    name: str
    section: str | None


class RosterError(ValueError):
    """A roster file that cannot be imported; ``problems`` lists every reason, row by row."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems[:10]) + (
            f"; … and {len(problems) - 10} more" if len(problems) > 10 else ""))
        self.problems = problems


def parse_roster(data: bytes) -> list[RosterRow]:
    """Parse a roster CSV (UTF-8, a BOM allowed) or raise RosterError naming what is wrong."""
    if len(data) > MAX_ROSTER_BYTES:
        raise RosterError([f"the file has {len(data)} bytes; a roster may have at most "
                           f"{MAX_ROSTER_BYTES} bytes (1 MiB)"])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise RosterError([f"the file is not UTF-8 text (byte {exc.start} is not valid UTF-8); "
                           "save it as 'CSV UTF-8' and try again"]) from None
    if "\x00" in text:
        raise RosterError(["the file holds NUL bytes: it is not a CSV text file"])
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise RosterError(["the file is empty; expected a header line 'email,name,section'"]) \
            from None
    except csv.Error as exc:
        raise RosterError([f"row 1: {exc}"]) from None
    columns = [h.strip().lower() for h in header]
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    unknown = [c for c in columns if c not in KNOWN_COLUMNS]
    if missing or unknown:
        problems = [f"the header has no '{c}' column" for c in missing]
        problems += [f"the header has an unknown column {c!r}" for c in unknown]
        problems.append(f"expected the header 'email,name,section'; got {','.join(header)!r}")
        raise RosterError(problems)
    if len(set(columns)) != len(columns):
        raise RosterError([f"the header names a column twice: {','.join(header)!r}"])
    rows: list[RosterRow] = []
    problems: list[str] = []
    seen: dict[str, int] = {}
    try:
        for number, values in enumerate(reader, start=2):
            if not any(v.strip() for v in values):
                continue  # blank lines, as spreadsheets leave them
            if len(rows) >= MAX_ROSTER_ROWS:
                problems.append(f"more than {MAX_ROSTER_ROWS} learners; split the roster")
                break
            if len(values) != len(columns):
                problems.append(f"row {number}: {len(values)} fields where the header has "
                                f"{len(columns)}")
                continue
            record = dict(zip(columns, (v.strip() for v in values), strict=True))
            row_problems = _check(number, record)
            email = record["email"].lower()
            if not row_problems and email in seen:
                row_problems.append(f"row {number}: {email} is already on row {seen[email]}")
            if row_problems:
                problems += row_problems
                continue
            seen[email] = number
            rows.append(RosterRow(email, record["name"], record.get("section") or None))
    except csv.Error as exc:
        problems.append(f"row {reader.line_num}: {exc}")
    if problems:
        raise RosterError(problems)
    if not rows:
        raise RosterError(["the file has a header but no learners"])
    return rows


def _check(number: int, record: dict[str, str]) -> list[str]:
    problems = []
    for column, value in record.items():
        if len(value) > MAX_FIELD_LENGTH:
            problems.append(f"row {number}, column '{column}': {len(value)} characters; at most "
                            f"{MAX_FIELD_LENGTH}")
        elif any(ord(ch) < 32 for ch in value):
            problems.append(f"row {number}, column '{column}': control characters are not allowed")
    if not EMAIL.match(record["email"]):
        problems.append(f"row {number}, column 'email': {record['email'][:60]!r} is not an e-mail "
                        "address (expected name@example.org)")
    if not record["name"]:
        problems.append(f"row {number}, column 'name': empty; every learner needs a name")
    return problems
