class _Node:
    __slots__ = ("key", "left", "right")

    def __init__(self, key):
        self.key = key
        self.left = None
        self.right = None


class BST:
    """An unbalanced binary search tree holding distinct keys."""

    def __init__(self):
        self._root = None

    def insert(self, key):
        """Add key; return True if it was added, False if it was already present."""
        if self._root is None:
            self._root = _Node(key)
            return True
        node = self._root
        while True:
            if key == node.key:
                return False
            if key < node.key:
                if node.left is None:
                    node.left = _Node(key)
                    return True
                node = node.left
            else:
                if node.right is None:
                    node.right = _Node(key)
                    return True
                node = node.right

    def contains(self, key):
        """Return True if key is in the tree."""
        node = self._root
        while node is not None:
            if key == node.key:
                return True
            node = node.left if key < node.key else node.right
        return False

    def inorder(self):
        """Return the keys in ascending order."""
        keys = []
        stack = []
        node = self._root
        while stack or node is not None:
            while node is not None:
                stack.append(node)
                node = node.left
            node = stack.pop()
            keys.append(node.key)
            node = node.right
        return keys
