import heapq
import math


def dijkstra(graph, source):
    """Return a dict of shortest distances from source to every node reachable from it.

    graph maps each node to a list of [neighbour, weight] pairs with non-negative weights.
    """
    dist = dict.fromkeys(graph, math.inf)
    for edges in graph.values():
        for nbr, _ in edges:
            dist.setdefault(nbr, math.inf)
    dist[source] = 0
    heap = [(0, source)]
    while heap:
        d, node = heapq.heappop(heap)
        if d > dist[node]:
            continue
        for nbr, weight in graph.get(node, []):
            candidate = d + weight
            if candidate < dist[nbr]:
                dist[nbr] = candidate
                heapq.heappush(heap, (candidate, nbr))
    return {node: d for node, d in dist.items() if d <= math.inf}
