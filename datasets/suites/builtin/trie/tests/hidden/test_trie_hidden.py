from trie import Trie


def test_duplicate_insert_counted_once():
    trie = Trie()
    trie.insert("go")
    trie.insert("go")
    assert trie.count_prefix("go") == 1


def test_count_prefix_equal_to_a_word():
    trie = Trie()
    for word in ["car", "card", "care"]:
        trie.insert(word)
    assert trie.count_prefix("car") == 3


def test_count_empty_prefix_counts_all_words():
    trie = Trie()
    for word in ["a", "b", "c"]:
        trie.insert(word)
    assert trie.count_prefix("") == 3


def test_empty_string_is_a_word():
    trie = Trie()
    trie.insert("")
    assert trie.contains("")
    assert trie.count_prefix("") == 1


def test_prefix_is_not_a_word():
    trie = Trie()
    trie.insert("hello")
    assert not trie.contains("hell")
    assert trie.starts_with("hell")


def test_count_missing_prefix_is_zero():
    trie = Trie()
    trie.insert("abc")
    assert trie.count_prefix("zz") == 0


def test_count_nested_words():
    trie = Trie()
    for word in ["a", "ab", "abc"]:
        trie.insert(word)
    assert trie.count_prefix("a") == 3
    assert trie.count_prefix("ab") == 2
