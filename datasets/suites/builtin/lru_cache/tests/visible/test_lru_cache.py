from lru_cache import LRUCache


def test_get_missing_key_returns_minus_one():
    cache = LRUCache(2)
    assert cache.get(1) == -1


def test_get_marks_key_as_recently_used():
    cache = LRUCache(2)
    cache.put(1, "one")
    cache.put(2, "two")
    assert cache.get(1) == "one"
    cache.put(3, "three")
    assert cache.get(2) == -1
    assert cache.get(1) == "one"
    assert cache.get(3) == "three"


def test_updating_a_key_marks_it_as_recently_used():
    cache = LRUCache(2)
    cache.put(1, 1)
    cache.put(2, 2)
    cache.put(1, 10)
    cache.put(3, 3)
    assert cache.get(1) == 10
    assert cache.get(2) == -1


def test_update_replaces_value():
    cache = LRUCache(3)
    cache.put("a", 1)
    cache.put("a", 2)
    assert cache.get("a") == 2
