def quickselect(values, k):
    """Return the k-th smallest element of values, counting from k = 1.

    Uses Lomuto partitioning around the last element of the current range.
    """
    items = list(values)
    target = k - 1
    lo, hi = 0, len(items) - 1
    while True:
        pivot = items[hi]
        store = lo
        for i in range(lo, hi):
            if items[i] > pivot:
                items[i], items[store] = items[store], items[i]
                store += 1
        items[store], items[hi] = items[hi], items[store]
        if store == target:
            return items[store]
        if store < target:
            lo = store + 1
        else:
            hi = store - 1
