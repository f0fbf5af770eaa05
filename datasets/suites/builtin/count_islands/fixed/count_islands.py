def count_islands(grid):
    """Count the islands in grid, a list of equal-length strings of '1' (land) and '0' (water).

    An island is a group of land cells joined horizontally or vertically.
    """
    rows = len(grid)
    cols = len(grid[0]) if rows else 0
    visited = [[False] * cols for _ in range(rows)]
    islands = 0
    for r in range(rows):
        for c in range(cols):
            if grid[r][c] != "1" or visited[r][c]:
                continue
            islands += 1
            visited[r][c] = True
            stack = [(r, c)]
            while stack:
                cr, cc = stack.pop()
                for nr, nc in ((cr + 1, cc), (cr - 1, cc), (cr, cc + 1), (cr, cc - 1)):
                    if not (0 <= nr < rows and 0 <= nc < cols):
                        continue
                    if grid[nr][nc] == "1" and not visited[nr][nc]:
                        visited[nr][nc] = True
                        stack.append((nr, nc))
    return islands
