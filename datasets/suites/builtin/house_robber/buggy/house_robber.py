def house_robber(values):
    """Return the largest total of values with no two chosen positions adjacent.

    values holds the non-negative amount in each house along a street; an
    empty street yields 0.
    """
    # before_prev / prev: best totals for the houses up to i - 2 and up to i - 1.
    before_prev = prev = 0
    for value in values:
        before_prev, prev = prev, max(before_prev, before_prev + value)
    return prev
