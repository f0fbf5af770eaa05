from bst_inorder import BST


def test_inorder_is_sorted():
    tree = BST()
    for key in [5, 3, 8, 1, 4, 9, 7]:
        tree.insert(key)
    assert tree.inorder() == [1, 3, 4, 5, 7, 8, 9]


def test_contains_keys_on_the_left():
    tree = BST()
    for key in [5, 3, 1, 4]:
        tree.insert(key)
    assert tree.contains(1)
    assert tree.contains(4)
    assert not tree.contains(2)


def test_insert_duplicate_returns_false():
    tree = BST()
    assert tree.insert(2)
    assert not tree.insert(2)
    assert tree.inorder() == [2]


def test_empty_tree():
    tree = BST()
    assert tree.inorder() == []
    assert not tree.contains(0)
