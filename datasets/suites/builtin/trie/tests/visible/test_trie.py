from trie import Trie


def test_contains_only_inserted_words():
    trie = Trie()
    trie.insert("apple")
    trie.insert("app")
    assert trie.contains("apple")
    assert trie.contains("app")
    assert not trie.contains("ap")


def test_starts_with():
    trie = Trie()
    trie.insert("banana")
    assert trie.starts_with("ban")
    assert not trie.starts_with("bad")


def test_count_prefix():
    trie = Trie()
    for word in ["apple", "app", "apt", "bat"]:
        trie.insert(word)
    assert trie.count_prefix("ap") == 3
    assert trie.count_prefix("app") == 2


def test_empty_trie():
    trie = Trie()
    assert not trie.contains("x")
    assert not trie.starts_with("x")
