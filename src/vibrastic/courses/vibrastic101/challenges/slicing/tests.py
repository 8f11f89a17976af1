"""Tests of the slicing challenge: the deck's nums = [0, 1, 2, 3, 4], then other lists."""

from vibrastic.platform.course.checks import Case, equal

CASES = [
    Case("first_two of the deck's nums", "first_two(list(range(5)))", equal(),
         hint="Leave out the start of the slice; where must it stop?"),
    Case("middle of the deck's nums", "middle(list(range(5)))", equal(),
         hint="A slice stops before its second index."),
    Case("from_two of the deck's nums", "from_two(list(range(5)))", equal(),
         hint="Leave out the end of the slice to go all the way."),
    Case("all_but_last of the deck's nums", "all_but_last(list(range(5)))", equal(),
         hint="A negative index counts from the end of the list."),
    Case("reverse of the deck's nums", "reverse(list(range(5)))", equal(),
         hint="A third number in a slice is the step; a negative step walks backwards."),
    Case("replace_middle gives [0, 1, 8, 9, 4]", "replace_middle(list(range(5)), [8, 9])",
         equal(), hint="Assigning to a slice replaces those items; do it on a copy."),
    Case("replace_middle leaves its argument unchanged",
         "nums = [0, 1, 2, 3, 4]\nreplace_middle(nums, [8, 9])\nnums", equal(),
         hint="Assigning to a slice of nums changes nums itself: work on a copy."),
    Case("slices of a list of strings",
         "xs = ['cat', 'dog', 'monkey', 'fish', 'bird', 'ant']\n"
         "[first_two(xs), middle(xs), from_two(xs), all_but_last(xs), reverse(xs)]", equal(),
         hint="Slicing works the same way whatever the items are."),
    Case("short lists do not raise", "[first_two([7]), middle([7, 8]), from_two([1]), "
         "all_but_last([]), reverse([])]", equal(), hidden=True,
         hint="A slice past the end of a list is just shorter (or empty); it never raises."),
    Case("replace_middle with a longer or empty replacement",
         "[replace_middle([1, 2, 3, 4, 5, 6], ['a', 'b', 'c']),\n"
         " replace_middle(list(range(5)), [])]",
         equal(), hidden=True),
    Case("slices of a long list", "xs = list(range(10, 30))\n"
         "[first_two(xs), middle(xs), from_two(xs), all_but_last(xs), reverse(xs)]", equal(),
         hidden=True),
]
