from ring_buffer import RingBuffer


def test_single_item_in_large_buffer():
    buf = RingBuffer(4)
    buf.append("a")
    assert buf.to_list() == ["a"]


def test_partially_filled_keeps_insertion_order():
    buf = RingBuffer(5)
    for item in [10, 20, 30, 40]:
        buf.append(item)
    assert buf.to_list() == [10, 20, 30, 40]


def test_exactly_full_buffer():
    buf = RingBuffer(3)
    for item in ["x", "y", "z"]:
        buf.append(item)
    assert buf.to_list() == ["x", "y", "z"]


def test_capacity_one_keeps_latest():
    buf = RingBuffer(1)
    buf.append("first")
    buf.append("second")
    assert buf.to_list() == ["second"]
    assert len(buf) == 1


def test_many_overwrites():
    buf = RingBuffer(4)
    for item in range(10):
        buf.append(item)
    assert buf.to_list() == [6, 7, 8, 9]


def test_len_counts_items_below_capacity():
    buf = RingBuffer(5)
    for item in range(3):
        buf.append(item)
    assert len(buf) == 3


def test_to_list_after_each_append():
    buf = RingBuffer(3)
    seen = []
    for item in [7, 8, 9, 10]:
        buf.append(item)
        seen.append(buf.to_list())
    assert seen == [[7], [7, 8], [7, 8, 9], [8, 9, 10]]


def test_to_list_returns_independent_copy():
    buf = RingBuffer(3)
    buf.append(1)
    buf.append(2)
    snapshot = buf.to_list()
    snapshot.append(99)
    assert buf.to_list() == [1, 2]
