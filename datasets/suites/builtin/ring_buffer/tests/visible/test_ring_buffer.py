from ring_buffer import RingBuffer


def test_new_buffer_is_empty():
    buf = RingBuffer(3)
    assert len(buf) == 0
    assert buf.to_list() == []


def test_items_kept_in_order_below_capacity():
    buf = RingBuffer(3)
    buf.append(1)
    buf.append(2)
    assert buf.to_list() == [1, 2]


def test_full_buffer_overwrites_oldest():
    buf = RingBuffer(3)
    for item in [1, 2, 3, 4, 5]:
        buf.append(item)
    assert buf.to_list() == [3, 4, 5]


def test_len_never_exceeds_capacity():
    buf = RingBuffer(2)
    for item in range(5):
        buf.append(item)
    assert len(buf) == 2
