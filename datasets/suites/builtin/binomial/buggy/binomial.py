def _cell(table, row, col):
    """Return table[row][col], or 0 outside the stored part of the triangle."""
    if 0 <= row < len(table) and 0 <= col < len(table[row]):
        return table[row][col]
    return 0


def binomial(n, k):
    """Return n choose k (0 when k < 0 or k > n) using Pascal's rule."""
    if k < 0 or k > n:
        return 0
    # Only columns 0..k of each row are ever needed.
    table = [[1]]
    for row in range(1, n + 1):
        current = []
        for col in range(min(row, k) + 1):
            above_left = _cell(table, col - 1, row - 1)
            above = _cell(table, col, row - 1)
            current.append(above_left + above)
        table.append(current)
    return table[n][k]
