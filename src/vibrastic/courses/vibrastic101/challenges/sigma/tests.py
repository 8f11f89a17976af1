"""Tests of the sigma challenge: the slide's example, then inputs beyond it."""

from vibrastic.platform.course.checks import Case, all_of, equal, printed

CASES = [
    Case("sigma(2) is 5, as on the slide", "sigma(2)", equal(),
         hint="1² + 2² = 1 + 4 = 5: add the squares of 1 and 2."),
    Case("sigma(1) is 1", "sigma(1)", equal(),
         hint="With n = 1 the sum has a single term, 1²."),
    Case("sigma(3) is 14", "sigma(3)", equal(),
         hint="1 + 4 + 9 = 14: does your range stop one too early (range(1, n) misses n)?"),
    Case("sigma returns an int, not a float", "type(sigma(4)).__name__", equal(),
         hint="Use i ** 2 or i * i on ints; avoid math.pow, which returns floats."),
    Case("sigma(0) is the empty sum 0", "sigma(0)", equal(), hidden=True,
         hint="For n = 0 the loop should run zero times."),
    Case("sigma(10) is 385", "sigma(10)", equal(), hidden=True),
    Case("sigma(100) matches n(n+1)(2n+1)/6", "sigma(100)", equal(), hidden=True, points=2),
    Case("sigma returns the sum rather than printing it", "sigma(5)", all_of(equal(), printed()),
         hidden=True),
]
