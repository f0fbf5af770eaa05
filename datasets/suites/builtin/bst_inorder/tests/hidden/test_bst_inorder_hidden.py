from bst_inorder import BST


def build(keys):
    tree = BST()
    for key in keys:
        tree.insert(key)
    return tree


def test_ascending_inserts():
    assert build(range(6)).inorder() == [0, 1, 2, 3, 4, 5]


def test_descending_inserts():
    assert build(range(5, 0, -1)).inorder() == [1, 2, 3, 4, 5]


def test_zigzag_inserts():
    tree = build([50, 20, 80, 30, 70, 60, 90, 10, 25])
    assert tree.inorder() == [10, 20, 25, 30, 50, 60, 70, 80, 90]


def test_contains_keys_deep_on_the_right():
    tree = build([10, 15, 12, 20, 25])
    assert all(tree.contains(key) for key in [10, 15, 12, 20, 25])
    assert not tree.contains(13)


def test_duplicates_are_ignored():
    tree = build([4, 2, 6, 2, 6, 4, 7])
    assert tree.inorder() == [2, 4, 6, 7]


def test_insert_reports_new_keys():
    tree = BST()
    added = [tree.insert(key) for key in [3, 1, 5, 1, 6, 5]]
    assert added == [True, True, True, False, True, False]


def test_negative_keys():
    tree = build([0, -5, 5, -10, -3, 3, 10])
    assert tree.inorder() == [-10, -5, -3, 0, 3, 5, 10]
    assert tree.contains(-3)
    assert not tree.contains(4)


def test_single_key():
    tree = build([42])
    assert tree.contains(42)
    assert tree.inorder() == [42]
