"""Tests of partial-by-hand: the slide's point (2, 5) — worked out by hand, so the verdict never
shows the expected numbers there — then the formulas at points drawn afresh for every attempt."""

from vibrastic.platform.course.checks import Case, approx, equal

BY_HAND = approx(abs=1e-9, reveal=False)


def _point(rng):
    return {"x": round(rng.uniform(-5, 5), 2), "y": round(rng.uniform(-5, 5), 2)}


CASES = [
    Case("DG_DX: ∂g/∂x at (2, 5)", "DG_DX", BY_HAND, points=2,
         hint="Differentiate g with respect to x (y is a number), then put x = 2, y = 5 in."),
    Case("DG_DY: ∂g/∂y at (2, 5)", "DG_DY", BY_HAND,
         hint="This time x is the number that stays fixed; differentiate with respect to y."),
    Case("dg_dx(2, 5) agrees with DG_DX", "dg_dx(2.0, 5.0) - DG_DX", approx(abs=1e-9),
         hint="Your formula and your number must say the same thing at (2, 5)."),
    Case("dg_dx at (1, 2) and (3, -1)", "[dg_dx(1.0, 2.0), dg_dx(3.0, -1.0)]", approx(),
         hint="The formula must hold at every point, not only at (2, 5)."),
    Case("dg_dy at (1, 2) and (3, -1)", "[dg_dy(1.0, 2.0), dg_dy(3.0, -1.0)]", approx(),
         hint="Differentiate each of the two terms of g with respect to y on its own."),
    Case("dg_dx and dg_dy at other points",
         "pts = [({x}, {y}), (-1.5, 0.75), (10.0, 0.0), (0.0, 7.0)]\n"
         "[[dg_dx(x, y), dg_dy(x, y)] for x, y in pts]", approx(), hidden=True, points=2,
         vary=_point),
    Case("the formulas match a finite-difference check",
         "h = 1e-6\nx, y = {x}, {y}\n"
         "[abs(dg_dx(x, y) - (g(x + h, y) - g(x - h, y)) / (2 * h)) < 1e-4,\n"
         " abs(dg_dy(x, y) - (g(x, y + h) - g(x, y - h)) / (2 * h)) < 1e-4]", equal(),
         hidden=True, vary=_point),
]
