def max_product_subarray(nums):
    """Return the largest product of a non-empty contiguous subarray of nums."""
    if not nums:
        raise ValueError("nums must not be empty")
    # high / low: largest and smallest product of a subarray ending at the current
    # element; the smallest matters because a negative factor can make it the largest.
    best = high = low = nums[0]
    for x in nums[1:]:
        if x < 0:
            high, low = low, high
        high = max(x, high * x)
        low = min(x, low * x)
        best = max(best, high)
    return best
