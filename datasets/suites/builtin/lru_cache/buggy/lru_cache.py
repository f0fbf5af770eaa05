from collections import OrderedDict


class LRUCache:
    """A key-value cache that holds at most capacity keys.

    When a new key would exceed the capacity, the least recently used key is evicted.
    Both get and put count as a use of the key.
    """

    def __init__(self, capacity):
        self.capacity = capacity
        self._data = OrderedDict()

    def get(self, key):
        """Return the value stored for key, or -1 if the key is not cached."""
        if key not in self._data:
            return -1
        self._data.move_to_end(key)
        return self._data[key]

    def put(self, key, value):
        """Store value for key, evicting the least recently used key if over capacity."""
        self._data[key] = value
        if len(self._data) > self.capacity:
            self._data.popitem(last=False)
