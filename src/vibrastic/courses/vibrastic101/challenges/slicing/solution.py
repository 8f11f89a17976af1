"""Challenge: slicing lists (deck: Python refresher → Slicing)."""


def first_two(xs):
    """The first two items: xs[:2]."""
    # BEGIN SOLUTION: a slice from the start to index 2 (exclusive)
    return xs[:2]
    # END SOLUTION


def middle(xs):
    """The items from index 2 to 4 (exclusive): xs[2:4]."""
    # BEGIN SOLUTION: a slice from index 2 to 4 (exclusive)
    return xs[2:4]
    # END SOLUTION


def from_two(xs):
    """The items from index 2 to the end."""
    # BEGIN SOLUTION: a slice from index 2 to the end
    return xs[2:]
    # END SOLUTION


def all_but_last(xs):
    """Every item except the last one (a negative index)."""
    # BEGIN SOLUTION: slice indices can be negative
    return xs[:-1]
    # END SOLUTION


def reverse(xs):
    """The items in reverse order (a step of -1)."""
    # BEGIN SOLUTION: a slice with a step of -1
    return xs[::-1]
    # END SOLUTION


def replace_middle(nums, new):
    """A new list equal to nums with nums[2:4] replaced by new; nums itself is unchanged."""
    # BEGIN SOLUTION: copy nums, then assign new to the slice [2:4] of the copy
    out = nums[:]
    out[2:4] = new
    return out
    # END SOLUTION


if __name__ == "__main__":
    nums = list(range(5))
    print(first_two(nums), middle(nums), from_two(nums), all_but_last(nums), reverse(nums))
    print(replace_middle(nums, [8, 9]))  # [0, 1, 8, 9, 4]
