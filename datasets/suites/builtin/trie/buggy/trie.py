class _Node:
    def __init__(self):
        self.children = {}
        self.is_word = False
        self.count = 0  # distinct words stored at or below this node


class Trie:
    """Prefix tree supporting membership, prefix tests and prefix counts."""

    def __init__(self):
        self._root = _Node()

    def _find(self, prefix):
        node = self._root
        for ch in prefix:
            node = node.children.get(ch)
            if node is None:
                return None
        return node

    def insert(self, word):
        """Add word; inserting a word that is already present changes nothing."""
        if self.contains(word):
            return
        node = self._root
        node.count += 1
        for ch in word:
            node = node.children.setdefault(ch, _Node())
            node.count += 1
        node.count += 1
        node.is_word = True

    def contains(self, word):
        """Return True if word itself was inserted."""
        node = self._find(word)
        return node is not None and node.is_word

    def starts_with(self, prefix):
        """Return True if some inserted word starts with prefix."""
        node = self._find(prefix)
        return node is not None and node.count > 0

    def count_prefix(self, prefix):
        """Return how many distinct inserted words start with prefix."""
        node = self._find(prefix)
        return 0 if node is None else node.count
