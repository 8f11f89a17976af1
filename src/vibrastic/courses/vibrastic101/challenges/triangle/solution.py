"""Challenge: draw a triangle with loops (deck: Python refresher → Loops)."""


def triangle(h):
    """Print a right triangle of '*' that is h rows high: row i has i stars."""
    # BEGIN SOLUTION: loop i from 1 to h and print a row of i stars
    for i in range(1, h + 1):
        print('*' * i)
    # END SOLUTION


if __name__ == "__main__":
    triangle(3)
    triangle(5)
