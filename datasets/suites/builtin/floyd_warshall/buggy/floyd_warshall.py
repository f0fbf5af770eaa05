import math


def _improve(dist, i, j, length):
    dist[i][j] = min(dist[i][j], length)


def floyd_warshall(n, edges):
    """All-pairs shortest path lengths of a directed graph with nodes 0..n-1.

    edges is a list of [u, v, weight] (no negative cycles). Returns an n x n matrix whose
    entry [i][j] is the shortest distance from i to j, or None if j cannot be reached.
    """
    dist = [[0 if i == j else math.inf for j in range(n)] for i in range(n)]
    for u, v, w in edges:
        _improve(dist, v, u, w)
    for k in range(n):
        for i in range(n):
            for j in range(n):
                _improve(dist, i, j, dist[i][k] + dist[k][j])
    return [[None if d == math.inf else d for d in row] for row in dist]
