from lru_cache import LRUCache


def test_capacity_one_keeps_only_last_key():
    cache = LRUCache(1)
    cache.put(1, 1)
    cache.put(2, 2)
    assert cache.get(1) == -1
    assert cache.get(2) == 2


def test_capacity_one_update_keeps_key():
    cache = LRUCache(1)
    cache.put("k", 1)
    cache.put("k", 2)
    assert cache.get("k") == 2


def test_evicts_in_least_recently_used_order():
    cache = LRUCache(3)
    for key in "abc":
        cache.put(key, key.upper())
    cache.put("d", "D")
    cache.put("e", "E")
    assert [cache.get(key) for key in "abcde"] == [-1, -1, "C", "D", "E"]


def test_updating_the_oldest_key_saves_it():
    cache = LRUCache(2)
    cache.put("x", 0)
    cache.put("y", 0)
    cache.put("x", 1)
    cache.put("z", 2)
    assert cache.get("y") == -1
    assert cache.get("x") == 1
    assert cache.get("z") == 2


def test_update_after_get_sequence():
    cache = LRUCache(3)
    cache.put(1, "a")
    cache.put(2, "b")
    cache.put(3, "c")
    cache.put(2, "B")
    cache.put(1, "A")
    cache.put(4, "d")
    assert cache.get(3) == -1
    assert cache.get(2) == "B"
    assert cache.get(1) == "A"


def test_update_then_two_inserts():
    cache = LRUCache(3)
    cache.put(5, 50)
    cache.put(6, 60)
    cache.put(7, 70)
    cache.put(5, 55)
    cache.put(8, 80)
    cache.put(9, 90)
    assert cache.get(5) == 55
    assert cache.get(6) == -1
    assert cache.get(7) == -1


def test_get_after_many_inserts():
    cache = LRUCache(4)
    for key in range(10):
        cache.put(key, key * key)
    assert [cache.get(key) for key in range(10)] == [-1] * 6 + [36, 49, 64, 81]
