def unique_paths_obstacles(grid):
    """Count right/down paths from the top-left to the bottom-right cell.

    grid is a list of rows of 0 (free) and 1 (blocked); paths may not enter
    a blocked cell, including the start and the finish.
    """
    if not grid or not grid[0]:
        return 0
    cols = len(grid[0])
    # ways[c] holds the count for column c of the row processed so far.
    ways = [0] * cols
    ways[0] = 1
    for row in grid:
        for c in range(cols):
            if row[c] == 1:
                continue
            if c > 0:
                ways[c] += ways[c - 1]
    return ways[-1]
