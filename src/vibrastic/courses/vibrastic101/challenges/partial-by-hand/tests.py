"""Tests of partial-by-hand: the slide's point (2, 5), then the formulas at other points."""

from vibrastic.platform.course.checks import Case, approx

CASES = [
    Case("DG_DX: ∂g/∂x at (2, 5)", "DG_DX", approx(abs=1e-9), points=2,
         hint="∂g/∂x = y² − 2xy; put x = 2 and y = 5 in."),
    Case("DG_DY: ∂g/∂y at (2, 5)", "DG_DY", approx(abs=1e-9),
         hint="∂g/∂y = 2xy − x²; put x = 2 and y = 5 in."),
    Case("dg_dx(2, 5) agrees with DG_DX", "dg_dx(2.0, 5.0)", approx(),
         hint="Return the formula y ** 2 - 2 * x * y."),
    Case("dg_dx at (1, 2) and (3, -1)", "[dg_dx(1.0, 2.0), dg_dx(3.0, -1.0)]", approx(),
         hint="The formula must hold at every point, not only at (2, 5)."),
    Case("dg_dy at (1, 2) and (3, -1)", "[dg_dy(1.0, 2.0), dg_dy(3.0, -1.0)]", approx(),
         hint="Differentiate with respect to y: x·y² gives 2xy, x²·y gives x²."),
    Case("dg_dx and dg_dy at fractional and negative points",
         "pts = [(0.5, -2.25), (-1.5, 0.75), (10.0, 0.0), (0.0, 7.0)]\n"
         "[[dg_dx(x, y), dg_dy(x, y)] for x, y in pts]", approx(), hidden=True, points=2),
    Case("the formulas match a finite-difference check",
         "h = 1e-6\nx, y = 1.7, -0.3\n"
         "[dg_dx(x, y) - (g(x + h, y) - g(x - h, y)) / (2 * h) < 1e-5, "
         "dg_dy(x, y) - (g(x, y + h) - g(x, y - h)) / (2 * h) < 1e-5]", approx(), hidden=True),
]
