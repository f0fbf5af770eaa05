def count_components(n, edges):
    """Return the number of connected components of an undirected graph.

    Nodes are 0..n-1 and edges is a list of [u, v] pairs. Union-find with union by rank
    and path halving.
    """
    parent = list(range(n))
    rank = [0] * n

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    components = n
    for u, v in edges:
        root_u, root_v = find(u), find(v)
        if root_u == root_v:
            continue
        if rank[root_u] < rank[root_v]:
            parent[u] = root_v
        else:
            parent[v] = root_u
            if rank[root_u] == rank[root_v]:
                rank[root_u] += 1
        components -= 1
    return components
