def ternary_search_peak(values):
    """Return the index of the largest element of a strictly unimodal list.

    The list strictly increases up to its peak and strictly decreases after it (either part
    may be empty). Each step compares two inner points and discards a third of the range.
    """
    lo, hi = 0, len(values) - 1
    while lo < hi:
        m1 = lo + (hi - lo) // 3
        m2 = hi - (hi - lo) // 3
        if values[m1] < values[m2]:
            lo = m1 + 1
        else:
            hi = m2 - 1
    return lo
