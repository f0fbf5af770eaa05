def subset_sum(nums, target):
    """Return True if a subset of the non-negative ints nums sums to target."""
    if target < 0:
        return False
    # reachable[t] is True when some subset of the numbers seen so far sums to t.
    reachable = [True] + [False] * target
    for x in nums:
        # Walk downwards so each number is used at most once.
        for total in range(target, 0, -1):
            if x <= total or reachable[total - x]:
                reachable[total] = True
    return reachable[target]
