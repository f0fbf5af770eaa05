def matrix_chain_cost(dims):
    """Return the fewest scalar multiplications to multiply a matrix chain.

    Matrix i has shape dims[i] x dims[i + 1], so there are len(dims) - 1
    matrices. A chain of zero or one matrices costs nothing.
    """
    n = len(dims) - 1
    if n <= 1:
        return 0
    # cost[i][j]: cheapest way to multiply matrices i..j (inclusive).
    cost = [[0] * n for _ in range(n)]
    for span in range(2, n + 1):
        for i in range(n - span + 1):
            j = i + span - 1
            options = []
            for split in range(i, j):
                joint = dims[i] * dims[split + 1] * dims[j + 1]
                options.append(cost[i][split] + cost[split + 1][j] + joint)
            cost[i][j] = min(options)
    return cost[0][n - 1]
