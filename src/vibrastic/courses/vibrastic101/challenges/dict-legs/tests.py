"""Tests of the dict-legs challenge: the deck's dictionary, then other zoos."""

from vibrastic.platform.course.checks import Case, equal, printed

DECK = "{'person': 2, 'cat': 4, 'spider': 8}"
ZOO = "{'bird': 2, 'ant': 6, 'dog': 4, 'snake': 0, 'octopus': 8, 'kangaroo': 2}"

CASES = [
    Case("describe_legs prints the deck's three lines", f"describe_legs({DECK})", printed(),
         hint="One print per animal, with the deck's wording: 'A person has 2 legs'."),
    Case("total_legs of the deck's animals is 14", f"total_legs({DECK})", equal(),
         hint="2 + 4 + 8 = 14: add up every animal's legs."),
    Case("animals_with(d, 4) is ['cat']", f"animals_with({DECK}, 4)", equal(),
         hint="Return a list, even when a single animal matches."),
    Case("describe_legs on another zoo", f"describe_legs({ZOO})", printed(),
         hint="One line per animal, in the dictionary's order."),
    Case("animals_with on another zoo keeps the order", f"animals_with({ZOO}, 2)", equal(),
         hint="Loop over d (its insertion order), not over a sorted copy."),
    Case("the functions do not change d", f"d = {ZOO}\ntotal_legs(d)\nanimals_with(d, 4)\nd",
         equal(), hint="Read d only; never assign to d[...] or pop from it."),
    Case("an empty dictionary", "describe_legs({})\n[total_legs({}), animals_with({}, 2)]",
         equal(), hidden=True, hint="An empty dict has 0 legs and no animals."),
    Case("no animal with that many legs", f"animals_with({ZOO}, 3)", equal(), hidden=True),
    Case("total_legs on another zoo", f"total_legs({ZOO})", equal(), hidden=True),
]
