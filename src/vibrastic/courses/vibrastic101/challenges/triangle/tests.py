"""Tests of the triangle challenge: the slide's h = 3 and h = 5, then other heights."""

from vibrastic.platform.course.checks import Case, printed

CASES = [
    Case("triangle(3) prints the slide's triangle", "triangle(3)", printed(),
         hint="Three rows: '*', '**', '***' — one print per row."),
    Case("triangle(5) prints five rows, no blank lines", "triangle(5)", printed(),
         hint="Row i has exactly i stars; print nothing else between the rows."),
    Case("triangle(1) prints a single star", "triangle(1)", printed(),
         hint="Does your loop start at 1, and does it reach h itself?"),
    Case("triangle(0) prints nothing", "triangle(0)", printed(), hidden=True,
         hint="With h = 0 the loop runs zero times."),
    Case("triangle(7) prints seven rows", "triangle(7)", printed(), hidden=True),
    Case("triangle(12) prints twelve rows", "triangle(12)", printed(), hidden=True),
]
