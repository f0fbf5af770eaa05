def integer_sqrt(n):
    """Return the largest r with r * r <= n, for an int n >= 0."""
    low, high = 0, n
    while low < high:
        mid = (low + high) // 2
        if mid * mid <= n:
            low = mid
        else:
            high = mid - 1
    return low
