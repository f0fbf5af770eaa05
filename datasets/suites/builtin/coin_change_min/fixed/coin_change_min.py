def coin_change_min(coins, amount):
    """Return the fewest coins summing to amount, or -1 if it cannot be made.

    Every denomination in coins may be used any number of times.
    """
    # Sentinel for totals that no combination of coins has reached.
    unreachable = amount + 1
    best = [0] + [unreachable] * amount
    for total in range(1, amount + 1):
        for coin in coins:
            if coin <= total and best[total - coin] + 1 < best[total]:
                best[total] = best[total - coin] + 1
    return best[amount] if best[amount] != unreachable else -1
