"""Tests of the slicing challenge: the deck's nums = [0, 1, 2, 3, 4], then other lists."""

from vibrastic.platform.course.checks import Case, equal

CASES = [
    Case("first_two of the deck's nums", "first_two(list(range(5)))", equal(),
         hint="nums[:2] prints [0, 1] on the slide."),
    Case("middle of the deck's nums", "middle(list(range(5)))", equal(),
         hint="nums[2:4] stops before index 4: [2, 3]."),
    Case("from_two of the deck's nums", "from_two(list(range(5)))", equal(),
         hint="nums[2:] goes to the end."),
    Case("all_but_last of the deck's nums", "all_but_last(list(range(5)))", equal(),
         hint="A negative index counts from the end: nums[:-1]."),
    Case("reverse of the deck's nums", "reverse(list(range(5)))", equal(),
         hint="A third number in a slice is the step: xs[::-1]."),
    Case("replace_middle gives [0, 1, 8, 9, 4]", "replace_middle(list(range(5)), [8, 9])",
         equal(), hint="Assign to a slice of a copy: out = nums[:]; out[2:4] = new."),
    Case("replace_middle leaves its argument unchanged",
         "nums = [0, 1, 2, 3, 4]\nreplace_middle(nums, [8, 9])\nnums", equal(),
         hint="nums[2:4] = new changes nums itself; work on a copy (nums[:] or list(nums))."),
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
