class MinHeap:
    """A binary min-heap stored in a list: the smallest item is always at index 0."""

    def __init__(self):
        self._items = []

    def __len__(self):
        return len(self._items)

    def push(self, item):
        """Add item to the heap."""
        items = self._items
        items.append(item)
        i = len(items) - 1
        while i > 0:
            parent = (i - 1) // 2
            if items[parent] <= items[i]:
                break
            items[parent], items[i] = items[i], items[parent]
            i = parent

    def peek(self):
        """Return the smallest item without removing it; IndexError if the heap is empty."""
        if not self._items:
            raise IndexError("peek from an empty heap")
        return self._items[0]

    def pop(self):
        """Remove and return the smallest item; IndexError if the heap is empty."""
        items = self._items
        if not items:
            raise IndexError("pop from an empty heap")
        top = items[0]
        last = items.pop()
        if items:
            items[0] = last
            self._sift_down(0)
        return top

    def _sift_down(self, i):
        items = self._items
        n = len(items)
        while True:
            smallest = i
            left, right = 2 * i + 1, 2 * i + 2
            if left < n and items[left] < items[smallest]:
                smallest = left
            if right < n - 1 and items[right] < items[smallest]:
                smallest = right
            if smallest == i:
                return
            items[i], items[smallest] = items[smallest], items[i]
            i = smallest
