def counting_sort(values):
    """Return the non-negative integers in values sorted in ascending order.

    Counts how often each value occurs, then writes the values back out in order.
    """
    if not values:
        return []
    counts = [0] * (max(values) + 1)
    for v in values:
        counts[v] += 1
    result = []
    value = 0
    while len(result) < len(values):
        result.extend([value] * counts[value])
        value += 1
    return result
