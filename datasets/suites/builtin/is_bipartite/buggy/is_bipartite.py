def is_bipartite(graph):
    """Return True if the undirected graph can be coloured with two colours.

    graph maps each node to the list of its neighbours (every edge is listed both ways).
    """
    colour = {}
    for start in graph:
        if start in colour:
            continue
        colour[start] = True
        stack = [start]
        while stack:
            node = stack.pop()
            for nbr in graph.get(node, []):
                if nbr not in colour:
                    colour[nbr] = colour[node]
                    stack.append(nbr)
                elif colour[nbr] == colour[node]:
                    return False
    return True
