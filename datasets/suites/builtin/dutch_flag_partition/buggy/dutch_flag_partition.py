def dutch_flag_partition(values):
    """Return values (each 0, 1 or 2) rearranged as all 0s, then all 1s, then all 2s.

    A single pass with three pointers, as in Dijkstra's Dutch national flag problem.
    """
    items = list(values)
    low, mid, high = 0, 0, len(items) - 1
    while mid <= high:
        if items[mid] == 0:
            items[low], items[mid] = items[mid], items[low]
            low += 1
            mid += 1
        elif items[mid] == 1:
            mid += 1
        else:
            items[low], items[high] = items[high], items[low]
            high -= 1
    return items
