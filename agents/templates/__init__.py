"""Offline candidate generator for the fixer: patch templates applied at suspect lines.

Every template is a standard, language-generic program mutation; none knows about
any benchmark. Edits are made on source spans taken from the AST (positions are
UTF-8 byte columns), so every untouched character of the file, comments included,
is kept. Statement-level templates move whole lines.

Each template has a prior, how often that kind of edit is the fix in practice; a
candidate's score is its suspect line's score times its template's prior:

==================  =====  ===================================================
template            prior  edit
==================  =====  ===================================================
compare-op          0.90   ``<`` -> ``<=``, ``==`` -> ``!=``, ``is`` -> ``is not``...
off-by-one          0.85   int constant +-1; index, slice bound, range() argument,
                           compared value, ``//`` numerator ``x`` -> ``x + 1``,
                           ``x - 1``; ``x + 1`` -> ``x``
negate-condition    0.70   if/while/ternary/assert/filter condition -> ``not (...)``,
                           an existing ``not`` removed, one clause negated,
                           ``not a and b`` -> ``not (a and b)``
bool-op             0.70   ``and`` <-> ``or``
arith-op            0.65   ``+ - * / // % **``, augmented assignments too
init-value          0.60   an assigned literal or list fill (``[0] * n``), a default:
                           0 <-> 1, True <-> False, +-inf, [] <-> [0]...
swap-args           0.60   two call arguments, tuple elements or nested indices
replace-var         0.55   a variable (or ``obj.attr``) -> another one of the same
                           kind in scope; every use of it on the line at once
return-value        0.55   return an operand, another variable, another literal
return-if           0.50   ``return E`` in a loop of a predicate -> ``if E: return
                           True`` (or ``if not E: return False``)
bitwise-op          0.50   ``& | ^ << >>``
swap-operands       0.50   ``a - b`` -> ``b - a``, ``x in s`` -> ``s in x``
swap-chars          0.40   two adjacent characters of a short string literal
                           transposed: ``"DC"`` -> ``"CD"``
drop-clause         0.45   ``a and b`` -> ``a``
delete-stmt         0.45   the statement (or block) removed, ``pass`` if it was alone
negate-value        0.40   an assigned or returned truth value -> ``not (...)``
dedent-stmt         0.35   the tail of a block moved out of it
indent-stmt         0.35   a statement moved into the preceding block
define-var          0.60   a variable read but never bound given a value first
move-stmt           0.30   swapped with its previous or next sibling
insert-control      0.30   ``continue``, ``break``, ``return`` (a value another
                           ``return`` gives, or a variable) inserted
insert-guard        0.30   ``if not xs: return v`` at the top of the function, or
                           another function's one-line guard, adapted
insert-reset        0.30   ``xs[i] = 0`` inserted, for an element read nearby or
                           the one at a loop's variable
insert-push         0.30   ``xs.append(v)`` for a list popped but never added to
insert-stmt         0.25   a statement of the same function copied before / after
insert-adapted      0.20   a statement of another function copied, or one with a
                           name replaced by another of the same kind
duplicate-stmt      0.20   the statement repeated
==================  =====  ===================================================

The insertion templates (``define-var``, ``insert-*``) put their statement
before the suspect statement, after it, or at the top of its block
(:mod:`duckfix.agents.templates.inserts`).

Within one template at one line, the nearest alternative comes first (``<`` tries
``<=`` before ``>``; variables used closest to the line first); ties in score keep
that order, which is the whole ordering contract: deterministic and stable.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Mapping, Sequence
from types import MappingProxyType
from typing import TYPE_CHECKING

from duckfix.agents.regions import around
from duckfix.agents.templates.c_edits import C_SUFFIXES, generate_c
from duckfix.agents.templates.candidate import Candidate, edit_span
from duckfix.agents.templates.expressions import (
    arith_op,
    bitwise_op,
    bool_op,
    compare_op,
    drop_clause,
    init_value,
    negate,
    negate_value,
    off_by_one,
    replace_var,
    return_if,
    return_value,
    swap_args,
    swap_chars,
    swap_operands,
)
from duckfix.agents.templates.inserts import (
    define_var,
    insert_adapted,
    insert_control,
    insert_guard,
    insert_push,
    insert_reset,
)
from duckfix.agents.templates.sites import Site, anchor, nodes
from duckfix.agents.templates.spans import Edit, File, compiles
from duckfix.agents.templates.statements import dedent, delete, duplicate, indent, insert, move
from duckfix.models import Suspect

if TYPE_CHECKING:
    from duckfix.deadline import Deadline

__all__ = ["PRIORS", "Candidate", "generate"]

_EDITS_PER_LINE = 5000
"""Edits tried at one suspect line, in template order: a line in a scope of
thousands of variables or statements would otherwise give millions."""

PRIORS: Mapping[str, float] = MappingProxyType(
    {
        "compare-op": 0.90,
        "off-by-one": 0.85,
        "negate-condition": 0.70,
        "bool-op": 0.70,
        "arith-op": 0.65,
        "init-value": 0.60,
        "swap-args": 0.60,
        "replace-var": 0.55,
        "return-value": 0.55,
        "return-if": 0.50,
        "bitwise-op": 0.50,
        "swap-operands": 0.50,
        "swap-chars": 0.40,
        "drop-clause": 0.45,
        "delete-stmt": 0.45,
        "negate-value": 0.40,
        "dedent-stmt": 0.35,
        "indent-stmt": 0.35,
        "define-var": 0.60,
        "move-stmt": 0.30,
        "insert-control": 0.30,
        "insert-guard": 0.30,
        "insert-reset": 0.30,
        "insert-push": 0.30,
        "insert-stmt": 0.25,
        "insert-adapted": 0.20,
        "duplicate-stmt": 0.20,
    }
)
"""Template name -> prior; the table in the module docstring says what each does."""


def generate(
    sources: dict[str, str],
    suspects: Sequence[Suspect],
    *,
    limit: int | None = None,
    per_line: int | None = None,
    deadline: Deadline | None = None,
) -> list[Candidate]:
    """Candidates for the suspect lines, best first, each new source unique and compilable.

    ``sources`` maps run-layout paths to file text; suspects whose file is missing or
    does not parse are skipped. ``per_line`` caps the candidates kept per suspect
    line and ``limit`` the total, both counted after dropping duplicates and
    candidates that do not compile. Past ``deadline`` the candidates made so far
    come back. At most ``_EDITS_PER_LINE`` edits are tried per line, and of a
    large file only the code around the suspect lines is read
    (:func:`duckfix.agents.regions.around`).
    """
    if suspects and all(s.path.endswith(C_SUFFIXES) for s in suspects):
        return generate_c(sources, suspects, limit=limit, per_line=per_line)
    files: dict[str, File | None] = {}
    pending: list[tuple[float, float, int, int, File, Edit, float]] = []
    done: set[tuple[str, int]] = set()
    for rank, suspect in enumerate(suspects):
        if (suspect.path, suspect.line) in done or suspect.path not in sources:
            continue
        done.add((suspect.path, suspect.line))
        if suspect.path not in files:
            lines = [s.line for s in suspects if s.path == suspect.path]
            files[suspect.path] = File.load(suspect.path, around(sources[suspect.path], lines))
        file = files[suspect.path]
        if file is None or not 1 <= suspect.line <= len(file.lines):
            continue
        for seq, edit in enumerate(itertools.islice(_edits(file, suspect.line), _EDITS_PER_LINE)):
            prior = PRIORS[edit.template]
            score = suspect.score * prior
            pending.append((-score, -prior, rank, seq, file, edit, score))
    pending.sort(key=lambda p: p[:4])

    out: list[Candidate] = []
    seen: set[tuple[str, int, int, str]] = set()
    kept: dict[int, int] = {}
    for _, neg_prior, rank, _, file, edit, score in pending:
        if limit is not None and len(out) >= limit:
            break
        if deadline is not None and deadline.passed:
            break
        if per_line is not None and kept.get(rank, 0) >= per_line:
            continue
        low, high, text = file.changed(edit)
        # Spans are taken in the file's own text: a large file's File holds only
        # the code around the suspects, at the same offsets.
        start, end, replacement = edit_span(sources[file.path], low, high, text)
        key = (file.path, start, end, replacement)
        if (start == end and not replacement) or key in seen:
            continue  # the edit changes nothing, or another edit already gave this file
        seen.add(key)
        if not compiles(file.region(low, high, text), file.path):
            continue
        kept[rank] = kept.get(rank, 0) + 1
        out.append(
            Candidate(
                path=file.path,
                line=file.line_of(low),
                template=edit.template,
                description=edit.description,
                start=start,
                end=end,
                replacement=replacement,
                prior=-neg_prior,
                score=score,
                size=file.size(edit),
            )
        )
    return out


# --- the templates, in the order they run at a line (it breaks ties in score) ----------

_TEMPLATES: tuple[Callable[[Site], Iterator[Edit]], ...] = (
    compare_op, off_by_one, negate, bool_op, arith_op, init_value, swap_args,
    replace_var, return_value, return_if, bitwise_op, swap_operands, swap_chars, drop_clause,
    delete, negate_value,
    define_var, dedent, indent, move, insert_control, insert_guard, insert_reset, insert_push,
    insert, insert_adapted,
    duplicate,
)  # fmt: skip


def _edits(file: File, line: int) -> Iterator[Edit]:
    site = Site(file, line, nodes(file, line), anchor(file, line))
    for template in _TEMPLATES:
        yield from template(site)
