from min_heap import MinHeap


def test_peek_returns_smallest():
    heap = MinHeap()
    for item in [5, 3, 8]:
        heap.push(item)
    assert heap.peek() == 3
    assert len(heap) == 3


def test_pop_returns_items_in_ascending_order():
    heap = MinHeap()
    for item in [1, 5, 3, 7]:
        heap.push(item)
    assert [heap.pop() for _ in range(4)] == [1, 3, 5, 7]


def test_pop_from_empty_heap_raises():
    heap = MinHeap()
    try:
        heap.pop()
    except IndexError:
        return
    raise AssertionError("pop on an empty heap should raise IndexError")


def test_len_follows_pushes_and_pops():
    heap = MinHeap()
    assert len(heap) == 0
    heap.push(4)
    heap.push(2)
    heap.pop()
    assert len(heap) == 1
