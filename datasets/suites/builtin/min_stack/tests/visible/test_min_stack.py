from min_stack import MinStack


def test_top_returns_last_pushed():
    stack = MinStack()
    stack.push(3)
    stack.push(8)
    assert stack.top() == 8


def test_get_min_after_pushes():
    stack = MinStack()
    for value in [5, 2, 7, 3]:
        stack.push(value)
    assert stack.get_min() == 2


def test_min_survives_popping_a_duplicate_minimum():
    stack = MinStack()
    for value in [2, 1, 1]:
        stack.push(value)
    assert stack.pop() == 1
    assert stack.get_min() == 1


def test_min_restored_after_pop():
    stack = MinStack()
    for value in [4, 6, 1]:
        stack.push(value)
    stack.pop()
    assert stack.get_min() == 4
