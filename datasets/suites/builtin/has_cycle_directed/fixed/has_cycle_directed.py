def has_cycle_directed(graph):
    """Return True if the directed graph contains a cycle.

    graph maps each node to the list of nodes it has an edge to. Depth-first search that
    marks nodes as in progress (on the current path) or done.
    """
    in_progress, done = 1, 2
    state = {}

    def visit(node):
        state[node] = in_progress
        for nxt in graph.get(node, []):
            if state.get(nxt) == in_progress:
                return True
            if nxt not in state and visit(nxt):
                return True
        state[node] = done
        return False

    return any(node not in state and visit(node) for node in graph)
