from min_stack import MinStack


def test_single_value():
    stack = MinStack()
    stack.push(-7)
    assert stack.top() == -7
    assert stack.get_min() == -7


def test_equal_values_pushed_repeatedly():
    stack = MinStack()
    for _ in range(4):
        stack.push(5)
    stack.pop()
    stack.pop()
    assert stack.get_min() == 5


def test_duplicate_minimum_then_larger_values():
    stack = MinStack()
    for value in [3, 0, 9, 0, 4]:
        stack.push(value)
    stack.pop()
    stack.pop()
    assert stack.get_min() == 0
    assert stack.top() == 9


def test_min_through_a_full_drain():
    stack = MinStack()
    for value in [8, 3, 3, 5, 1, 1, 6]:
        stack.push(value)
    mins = []
    for _ in range(6):
        mins.append(stack.get_min())
        stack.pop()
    assert mins == [1, 1, 1, 3, 3, 3]
    assert stack.get_min() == 8


def test_negative_duplicates():
    stack = MinStack()
    for value in [-2, -2, -1]:
        stack.push(value)
    stack.pop()
    stack.pop()
    assert stack.get_min() == -2


def test_pop_returns_values_in_reverse_order():
    stack = MinStack()
    for value in [1, 2, 3]:
        stack.push(value)
    assert [stack.pop(), stack.pop(), stack.pop()] == [3, 2, 1]


def test_decreasing_then_increasing():
    stack = MinStack()
    for value in [10, 9, 8, 9, 10]:
        stack.push(value)
    assert stack.get_min() == 8
    for _ in range(3):
        stack.pop()
    assert stack.get_min() == 9
