class MinStack:
    """A stack that also returns its smallest element in constant time."""

    def __init__(self):
        self._items = []
        self._mins = []

    def push(self, value):
        """Push value onto the stack."""
        self._items.append(value)
        if not self._mins or value < self._mins[-1]:
            self._mins.append(value)

    def pop(self):
        """Remove and return the top value; IndexError if the stack is empty."""
        value = self._items.pop()
        if value == self._mins[-1]:
            self._mins.pop()
        return value

    def top(self):
        """Return the top value without removing it; IndexError if the stack is empty."""
        return self._items[-1]

    def get_min(self):
        """Return the smallest value on the stack; IndexError if the stack is empty."""
        return self._mins[-1]
