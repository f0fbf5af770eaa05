def merge_sorted_lists(left, right):
    """Merge two ascending lists into one ascending list holding every element of both.

    The merge is stable: on ties the element from left comes first.
    """
    merged = []
    i = j = 0
    while i < len(left) and j < len(right):
        if left[i] <= right[j]:
            merged.append(left[i])
            i += 1
        else:
            merged.append(right[j])
            j += 1
    merged.extend(left[i:])
    merged.extend(right[j:])
    return merged
