from min_heap import MinHeap


def drain(heap):
    return [heap.pop() for _ in range(len(heap))]


def test_heap_sorts_a_shuffled_range():
    heap = MinHeap()
    for item in [13, 2, 7, 19, 0, 11, 5, 17, 3, 8, 1, 14]:
        heap.push(item)
    assert drain(heap) == [0, 1, 2, 3, 5, 7, 8, 11, 13, 14, 17, 19]


def test_second_pop_after_four_pushes():
    heap = MinHeap()
    for item in [2, 8, 4, 6]:
        heap.push(item)
    assert heap.pop() == 2
    assert heap.pop() == 4


def test_negatives():
    heap = MinHeap()
    for item in [-1, 3, 0, 8, -2]:
        heap.push(item)
    assert drain(heap) == [-2, -1, 0, 3, 8]


def test_duplicates():
    heap = MinHeap()
    for item in [5, 5, 5, 1, 5]:
        heap.push(item)
    assert drain(heap) == [1, 5, 5, 5, 5]


def test_interleaved_push_and_pop():
    heap = MinHeap()
    out = []
    for item in [10, 4, 12, 6]:
        heap.push(item)
    out.append(heap.pop())
    for item in [9, 1, 8]:
        heap.push(item)
    out.append(heap.pop())
    out.append(heap.pop())
    heap.push(5)
    out.extend(drain(heap))
    assert out == [4, 1, 6, 5, 8, 9, 10, 12]


def test_peek_does_not_remove():
    heap = MinHeap()
    heap.push(7)
    heap.push(2)
    assert heap.peek() == 2
    assert heap.peek() == 2
    assert len(heap) == 2


def test_single_item():
    heap = MinHeap()
    heap.push(42)
    assert heap.pop() == 42
    assert len(heap) == 0


def test_peek_on_empty_heap_raises():
    heap = MinHeap()
    try:
        heap.peek()
    except IndexError:
        return
    raise AssertionError("peek on an empty heap should raise IndexError")


def test_strings_in_order():
    heap = MinHeap()
    for word in ["fig", "pear", "kiwi", "plum"]:
        heap.push(word)
    assert drain(heap) == ["fig", "kiwi", "pear", "plum"]
