import math


def bellman_ford(n, edges, source):
    """Shortest distances from source in a directed graph with nodes 0..n-1.

    edges is a list of [u, v, weight]; weights may be negative. Returns a list holding the
    distance to each node (None where the node is unreachable), or None if a negative cycle
    can be reached from source.
    """
    dist = [math.inf] * n
    dist[source] = 0
    for _ in range(n - 1):
        changed = False
        for u, v, w in edges:
            if dist[u] + w < dist[v]:
                dist[v] = dist[u] + w
                changed = True
        if not changed:
            break
    for u, v, w in edges:
        if dist[u] + w < dist[v]:
            return None
    return [None if d == math.inf else d for d in dist]
