def shell_sort(items):
    """Return a new list holding the elements of items in ascending order (Shell sort).

    Gapped insertion sorts run with gaps n // 2, n // 4, ..., 1.
    """
    result = list(items)
    gap = len(result) // 2
    while gap > 0:
        for i in range(gap, len(result)):
            value = result[i]
            j = i
            while j >= gap and result[j - gap] > value:
                result[j] = result[j - gap]
                j -= gap
            result[j] = value
        gap //= 2
    return result
