"""The facts a function's text shows, as the fixer's prompt gives them to a model."""

from __future__ import annotations

import textwrap

from duckfix.agents.clues import clues


def facts(text: str, first: int = 1) -> list[str]:
    return clues("p.py", textwrap.dedent(text).lstrip("\n"), first)


def test_a_parameter_never_read_is_named() -> None:
    found = facts("""
        def shortest(n, edges, source):
            dist = [None] * n
            for u, v, w in edges:
                if dist[u] is not None:
                    dist[v] = dist[u] + w
            return dist
    """)
    assert found == ["the parameter `source` is never read"]


def test_a_branch_or_loop_that_only_passes_is_named_with_its_line() -> None:
    found = facts("""
        def fewest(coins, amount):
            best = [0] + [amount + 1] * amount
            for total in range(1, amount + 1):
                for coin in coins:
                    if coin <= total:
                        pass
                else:
                    ...
            return best[amount]
    """)
    assert found == [
        "line 6: the body of the `if` at line 5 does nothing",
        "line 8: the else branch of the `for` at line 4 does nothing",
    ]


def test_a_name_read_before_anything_binds_it() -> None:
    found = facts("""
        def gcd_steps(a, b):
            if b == 0:
                return a
            return gcd_steps(b, remainder)
    """)
    assert found == ["line 4 reads `remainder`, which nothing assigns before it"]


def test_a_value_computed_and_never_read() -> None:
    found = facts("""
        def relax(dist, u, v, w):
            candidate = dist[u] + w
            _ignored = 0
            if dist[u] + w < dist[v]:
                dist[v] = dist[u] + w
    """)
    assert found == ["line 2 assigns `candidate`, which is never read"]


def test_sound_code_shows_nothing() -> None:
    # Comprehension variables, a nested function's parameter, a closure's
    # names, `except: pass` and a global are all in order.
    found = facts(
        """
        import math

        COUNT = 0

        def table(n, rows):
            global COUNT
            COUNT = 1
            parent = list(range(n))

            def root(x):
                while parent[x] != x:
                    x = parent[x]
                return x

            try:
                root(0)
            except IndexError:
                pass
            return [[None if d == math.inf else d for d in row] for row in rows]
    """,
        first=5,
    )
    assert found == []


def test_only_the_function_at_the_line_and_never_a_broken_file() -> None:
    text = "def a(x):\n    return 1\n\n\ndef b(y):\n    return y\n"
    assert clues("p.py", text, 1) == ["the parameter `x` is never read"]
    assert clues("p.py", text, 5) == []
    assert clues("p.py", text, 2) == []  # no function starts there
    assert clues("p.py", "def (:\n", 1) == []


def test_type_checking_imports_annotations_defaults_and_a_walrus_are_no_missing_names() -> None:
    # Shaped like a real project's module (cleo's application.py and table.py).
    text = textwrap.dedent("""
        from __future__ import annotations

        from typing import TYPE_CHECKING

        if TYPE_CHECKING:
            from app.io import Output


        class Finder:
            LIMIT = 3

            def find(self, registry, name: str, out: Output, limit: int = LIMIT) -> Output:
                if name not in (known := registry.names()):
                    raise KeyError(known)
                return out
    """).lstrip("\n")
    assert clues("p.py", text, 12) == ["the parameter `limit` is never read"]
