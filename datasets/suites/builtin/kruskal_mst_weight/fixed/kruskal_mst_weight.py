def kruskal_mst_weight(n, edges):
    """Return the total weight of a minimum spanning forest of an undirected graph.

    Nodes are 0..n-1 and edges is a list of [u, v, weight]. Kruskal's algorithm with a
    union-find where a root stores minus the size of its tree.
    """
    parent = [-1] * n

    def find(x):
        while parent[x] >= 0:
            x = parent[x]
        return x

    total = 0
    for u, v, weight in sorted(edges, key=lambda edge: edge[2]):
        root_u, root_v = find(u), find(v)
        if root_u == root_v:
            continue
        if parent[root_u] > parent[root_v]:
            root_u, root_v = root_v, root_u
        parent[root_u] += parent[root_v]
        parent[root_v] = root_u
        total += weight
    return total
