def lower_bound(a, x):
    """Return the first index i with a[i] >= x in the ascending list a.

    When every element is smaller than x the answer is len(a).
    """
    lo, hi = 0, len(a) - 1
    while lo < hi:
        mid = (lo + hi) // 2
        if a[mid] < x:
            lo = mid + 1
        else:
            hi = mid
    return lo
