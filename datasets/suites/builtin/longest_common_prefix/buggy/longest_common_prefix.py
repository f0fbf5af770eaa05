def longest_common_prefix(strings):
    """Return the longest common prefix of all the strings ("" if the list is empty)."""
    if not strings:
        return ""
    first = strings[0]
    for i, ch in enumerate(first):
        for other in strings[1:]:
            if i >= len(other) or other[i] != ch:
                return first[:i]
    return ""
