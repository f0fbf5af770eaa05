def exponential_search(a, x):
    """Return the index of x in the ascending list a of distinct values, or -1 if absent.

    The upper bound doubles until it reaches a value >= x (or the end of the list), then a
    binary search runs between the previous bound and the new one.
    """
    n = len(a)
    if n == 0:
        return -1
    bound = 1
    while bound < n and a[bound] < x:
        bound *= 2
    lo = bound // 2
    hi = min(bound, n - 1)
    while lo <= hi:
        mid = (lo + hi) // 2
        if a[mid] == x:
            return mid
        if a[mid] < x:
            lo = mid + 1
        else:
            hi = mid - 1
    return -1
