"""Reading C / HLS C++ with tree-sitter-cpp: what the C mutators, the pragma mutators and
validation share.

- :func:`parser`: the one tree-sitter-cpp parser.
- :class:`Source`: a text read once, with its UTF-8 bytes and syntax tree. It turns
  tree-sitter's byte offsets into the character offsets a
  :class:`~duckfix.datasets.builder.mutants.Mutant` counts, and says whether an edit
  still parses as well as the text does (re-parsed incrementally from its tree).
- :func:`error_count` and :func:`parses_as_before`: ERROR and missing nodes, of a
  tree or of two whole texts.
- Tree helpers: :func:`child`, :func:`descendants`, :func:`function_declarator`,
  :func:`parameters`.

``tree_sitter`` is imported only inside :func:`parser`, so importing this module (and
the mutators built on it) stays cheap.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tree_sitter import Node, Parser

__all__ = [
    "Source",
    "child",
    "descendants",
    "encode",
    "error_count",
    "function_declarator",
    "parameters",
    "parser",
    "parses_as_before",
]


@cache
def parser() -> Parser:
    """The tree-sitter-cpp parser (built once; raises ImportError without tree-sitter-cpp)."""
    import tree_sitter
    import tree_sitter_cpp

    return tree_sitter.Parser(tree_sitter.Language(tree_sitter_cpp.language()))


def encode(text: str) -> bytes:
    """``text`` as the bytes tree-sitter reads: UTF-8, undecodable bytes kept as they were."""
    return text.encode("utf-8", "surrogateescape")


class Source:
    """A C / C++ text read once: its bytes, its syntax tree and how many errors the tree has."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.data = encode(text)
        self.tree = parser().parse(self.data)
        self.root = self.tree.root_node
        self.errors = error_count(self.root)
        # Character offset of each byte, only when some character takes more than one byte.
        self._b2c: list[int] | None = None
        if len(self.data) != len(text):
            self._b2c = [0] * (len(self.data) + 1)
            pos = 0
            for i, ch in enumerate(text):
                for _ in range(len(encode(ch))):
                    self._b2c[pos] = i
                    pos += 1
            self._b2c[pos] = len(text)

    def char(self, byte: int) -> int:
        """The character offset of a byte offset (tree-sitter counts bytes, a mutant characters)."""
        return byte if self._b2c is None else self._b2c[byte]

    def byte(self, char: int) -> int:
        """The byte offset of a character offset."""
        return char if self._b2c is None else len(encode(self.text[:char]))

    def parses_as_before(self, start: int, end: int, new: str) -> bool:
        """Whether the text with bytes ``start:end`` replaced by ``new`` has no more ERROR or
        missing nodes than the text itself.

        The edit is parsed incrementally from the text's tree: a large file is parsed
        once, not once per mutant.
        """
        added = encode(new)
        data = self.data[:start] + added + self.data[end:]
        old = self.tree.copy()
        old.edit(
            start_byte=start,
            old_end_byte=end,
            new_end_byte=start + len(added),
            start_point=_point(self.data, start),
            old_end_point=_point(self.data, end),
            new_end_point=_point(data, start + len(added)),
        )
        return error_count(parser().parse(data, old).root_node) <= self.errors


def _point(data: bytes, at: int) -> tuple[int, int]:
    """Row and byte column of byte ``at``."""
    return data.count(b"\n", 0, at), at - (data.rfind(b"\n", 0, at) + 1)


def error_count(root: Node) -> int:
    """ERROR and missing nodes under ``root`` (with a stack: long expressions nest deeply)."""
    if not root.has_error:
        return 0
    count, stack = 0, [root]
    while stack:
        node = stack.pop()
        count += node.is_error or node.is_missing
        stack.extend(c for c in node.children if c.has_error)
    return count


def parses_as_before(before: str, after: str) -> bool:
    """Whether ``after`` has no more tree-sitter-cpp ERROR or missing nodes than ``before``.

    Each text is parsed whole. Raises ImportError without tree-sitter-cpp.
    """
    errors = [error_count(parser().parse(encode(t)).root_node) for t in (before, after)]
    return errors[1] <= errors[0]


# --- tree helpers -----------------------------------------------------------------------


def child(node: Node, name: str) -> Node:
    """``node``'s child in field ``name``, one the grammar always sets on its node type."""
    found = node.child_by_field_name(name)
    if found is None:
        raise LookupError(f"{node.type} has no {name}")
    return found


def descendants(node: Node, *types: str) -> Iterator[Node]:
    """``node`` and the nodes below it of one of ``types``, in source order."""
    stack = [node]
    while stack:
        n = stack.pop()
        if n.type in types:
            yield n
        stack.extend(reversed(n.children))


def function_declarator(definition: Node) -> Node | None:
    """A function definition's ``function_declarator`` (under pointers and references)."""
    declarator = definition.child_by_field_name("declarator")
    while declarator is not None and declarator.type != "function_declarator":
        declarator = declarator.child_by_field_name("declarator")
    return declarator


def parameters(declarator: Node | None) -> list[Node]:
    """A function declarator's parameter declarations (``...`` and comments left out)."""
    plist = declarator.child_by_field_name("parameters") if declarator is not None else None
    return [
        p
        for p in (plist.named_children if plist is not None else [])
        if p.type in ("parameter_declaration", "optional_parameter_declaration")
    ]
