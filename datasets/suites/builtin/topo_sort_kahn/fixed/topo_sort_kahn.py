import heapq


def topo_sort_kahn(n, edges):
    """Return a topological order of nodes 0..n-1, where an edge [u, v] puts u before v.

    Kahn's algorithm that always takes the smallest node that is ready. Returns None if the
    graph has a cycle.
    """
    indegree = [0] * n
    successors = [[] for _ in range(n)]
    for u, v in edges:
        successors[u].append(v)
        indegree[v] += 1
    ready = [node for node in range(n) if indegree[node] == 0]
    heapq.heapify(ready)
    order = []
    while ready:
        node = heapq.heappop(ready)
        order.append(node)
        for nxt in successors[node]:
            indegree[nxt] -= 1
            if indegree[nxt] == 0:
                heapq.heappush(ready, nxt)
    return order if len(order) == n else None
