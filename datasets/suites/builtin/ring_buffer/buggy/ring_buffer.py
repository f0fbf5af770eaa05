class RingBuffer:
    """Fixed-capacity FIFO buffer; appending to a full buffer drops the oldest item."""

    def __init__(self, capacity):
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self._items = [None] * capacity
        self._end = 0  # slot the next item is written to
        self._size = 0

    def append(self, item):
        """Add item, overwriting the oldest one if the buffer is full."""
        self._items[self._end] = item
        self._end = (self._end + 1) % len(self._items)
        if self._size < len(self._items):
            self._size += 1

    def to_list(self):
        """Return the stored items, oldest first."""
        capacity = len(self._items)
        start = (self._end + self._size) % capacity
        return [self._items[(start + i) % capacity] for i in range(self._size)]

    def __len__(self):
        return self._size
