"""Tests of the sigma challenge: the slide's example, then inputs beyond it (drawn afresh for every
attempt in the hidden tests, so no answer can be memorised)."""

from vibrastic.platform.course.checks import Case, equal

CASES = [
    Case("sigma(2) is 5, as on the slide", "sigma(2)", equal(),
         hint="1² + 2² = 1 + 4 = 5: which squares does your function add for n = 2?"),
    Case("sigma(1) is 1", "sigma(1)", equal(),
         hint="With n = 1 the sum has a single term."),
    Case("sigma(3) is 14", "sigma(3)", equal(),
         hint="1 + 4 + 9 = 14: does your loop reach n itself?"),
    Case("sigma returns an int, not a float", "type(sigma(4)).__name__", equal(),
         hint="Squares of ints are ints; math.pow returns floats."),
    Case("the empty sum", "sigma(0)", equal(), hidden=True),
    Case("a larger n", "sigma({n})", equal(), hidden=True,
         vary=lambda rng: {"n": rng.randint(6, 60)}),
    Case("a large n", "sigma({n})", equal(), hidden=True, points=2,
         vary=lambda rng: {"n": rng.randint(100, 2000)}),
    Case("the sum is returned (printing as well is fine)", "sigma({n})", equal(), hidden=True,
         vary=lambda rng: {"n": rng.randint(4, 9)}),
]
