def rod_cutting(prices, length):
    """Return the best revenue from cutting a rod of the given length.

    prices[k] is the price of a piece of length k + 1; a piece longer than
    len(prices) has no price and cannot be sold.
    """
    best = [0] * (length + 1)
    for total in range(1, length + 1):
        # Either sell the rod whole, or split it in two and sell both parts optimally.
        best[total] = prices[total - 1] if total <= len(prices) else 0
        for left in range(1, total // 2 + 1):
            best[total] = max(best[total], best[left] + best[total - left])
    return best[length]
