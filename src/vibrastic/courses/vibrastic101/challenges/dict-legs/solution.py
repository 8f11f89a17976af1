"""Challenge: counting legs with a dictionary (deck: Python refresher → Dictionaries)."""


def describe_legs(d):
    """Print 'A <animal> has <legs> legs' for every animal of d, in order."""
    # BEGIN SOLUTION: loop over the keys and print the deck's sentence
    for animal in d:
        legs = d[animal]
        print('A %s has %d legs' % (animal, legs))  # noqa: UP031 - the deck's style
    # END SOLUTION


def total_legs(d):
    """The total number of legs of all the animals in d."""
    # BEGIN SOLUTION: add up the values
    total = 0
    for animal in d:
        total += d[animal]
    return total
    # END SOLUTION


def animals_with(d, legs):
    """The animals of d that have exactly `legs` legs, in d's order."""
    # BEGIN SOLUTION: a list comprehension with a condition
    return [animal for animal in d if d[animal] == legs]
    # END SOLUTION


if __name__ == "__main__":
    d = {'person': 2, 'cat': 4, 'spider': 8}
    describe_legs(d)
    print(total_legs(d), animals_with(d, 4))
