"""Challenge: Σ i² as a Python function (deck: Python refresher → Functions)."""


def sigma(n):
    """Return 1² + 2² + … + n² (0 when n is 0), e.g. sigma(2) == 5."""
    # BEGIN SOLUTION: add i ** 2 for every i from 1 to n, then return the total
    total = 0
    for i in range(1, n + 1):
        total += i ** 2
    return total
    # END SOLUTION


if __name__ == "__main__":
    print(sigma(2))  # 5
