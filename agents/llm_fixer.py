"""The fixer's model path: a language model proposes whole replaced functions.

Each proposal is the **whole replaced function** (or method), not a line-numbered
edit or a diff: small models are bad at counting lines and at writing diffs that
apply, but good at rewriting one function. The proposal is applied by replacing
that definition's span (from its first decorator to its last line, found with
:mod:`ast`) in the program file, re-indented to where the definition sits; every
other character of the file is kept.

Sampling: :func:`propose` sends ``samples`` requests at a temperature above zero,
each with its own seed (numbered across rounds) and a "proposal set k of n"
line, so each is a new sample with its own cache key: a batch run replays every
sample from the response cache instead of getting the first one ``n`` times.
The samples do not depend on each other, so up to ``parallel`` of them are in
flight at once (still under the client's concurrency limit); their answers are
read in sample order whatever order they land in, so the candidates are the
same as one at a time. In a batch run this keeps the model busy at the end,
when the last task's samples would otherwise go one by one.

What small models need (FixAgent's lessons): the answer starts with the bug
stated in one sentence (``Bug: ...``, a rubber duck), and asks for one minimal
change to one function; the prompt shows each failing test's input, the key
variables' values in a failing and a passing run, and names the functions
holding the top suspects (proposals for a function that holds none of them are
dropped). The explainer's account of each failed model fix (what the change
did, why it failed) comes back in the next round.

The function comes back in a fenced ```` ```python ```` block, not inside JSON:
small models writing code into a JSON string drop or garble its newlines (the
1.5B Qwen coder did in most fixer answers), while a code block is the form they
were trained to write. Every definition in the block is a proposal (a whole
class yields one per method; the unchanged ones are dropped later); a model
that answers with the JSON of :class:`Proposals` anyway is read too. An answer
with no definition at all gets one repair turn, and the client counts it
well-formed, repaired or invalid, as it does structured answers. A Python
answer that changes no code (comments and layout aside), or only makes a
program a candidate already run made (a small model asked again writes its
failed fix again), gets up to two new requests in another form instead: that
function alone, its top suspect lines marked (template
``agents/prompts/fixer_focus.txt``), at the sample's seed and then another.
Asked again in the same conversation, a small model mostly writes the same
function once more.

The prompt is the named template ``agents/prompts/fixer.txt``. The code under
repair, the failing tests' output and the earlier failed attempts go in as data,
each in a fenced block longer than any backtick run inside it, under a note that
nothing inside is an instruction.

Base models (a provider whose ``style`` is ``completion``, such as the local
llama.cpp server with a small GGUF model) cannot hold a chat or write JSON; for
them :func:`propose` writes a completion prompt instead (the file's name, the
failing test, the buggy function, then a comment that the fixed version follows
and the fixed version's ``def`` line) and the model writes the body. The
continuation stops at the next top-level statement; the header plus body is a
proposal like any other. The prompt does not change between rounds (a base
model is not shown failed attempts), so samples are numbered across rounds:
the first of the run is greedy, every later one uses its number as ``seed``,
so each is new, repeatable and cached on its own.

C and HLS C++ tasks (language ``c`` / ``hls``) take the same path with three
differences. Functions are found with tree-sitter-cpp (the ``hls`` extra; the
HLS checks' parser, imported only for C): the ones enclosing the top suspect
lines, at most two per round. A chat request is about one of them, in turn
(template ``agents/prompts/fixer_c.txt``): the function numbered with its file
line numbers, the rest of its file and the headers for context, the failing
bench cases and the earlier attempts, all as data; the model answers with the
whole function in a ```` ```cpp ```` block, not JSON. The replacement must read
as exactly that one function without a syntax error, and takes the old
definition's byte span (as characters), so the rest of the file keeps its
form; one that is the old function's code (comments and layout aside), or the
code a candidate already run made of it, gets the repair turn. A base model
gets the function under ``//`` comments and the fixed version's signature up to
the body's ``{``, and stops at the closing brace.
The compile happens where every candidate's does: in the sandbox's validation.

Proposals that name no existing function, do not parse as exactly one definition
of that name, leave the file unchanged, duplicate another candidate, or make the
file fail to compile are dropped. Model errors (:class:`~duckfix.errors.LLMError`,
budget included) end the sampling and return what was gathered: the model path
never crashes a run.
"""

from __future__ import annotations

import ast
import re
import textwrap
from collections.abc import Callable, Collection, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from importlib.util import find_spec
from typing import TYPE_CHECKING, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from duckfix.agents.clues import clues
from duckfix.agents.prompting import clip, data, messages, outcome_text, shown_files, stable
from duckfix.agents.rewrite_parts import smaller_rewrites
from duckfix.agents.templates import Candidate
from duckfix.agents.templates.c_edits import C_SUFFIXES
from duckfix.agents.templates.candidate import changed_span
from duckfix.agents.templates.spans import compiles
from duckfix.errors import LLMError
from duckfix.llm import LLMClient, Message, extract_json
from duckfix.models import Suspect, Task, TestOutcome

if TYPE_CHECKING:
    from duckfix.agents.explainer import KeyVariableLike

if TYPE_CHECKING:
    from tree_sitter import Node

__all__ = [
    "COMPLETION_STOP",
    "C_COMPLETION_STOP",
    "MAX_PROPOSALS",
    "PRIOR",
    "TEMPERATURE",
    "Proposal",
    "Proposals",
    "apply_c_proposal",
    "apply_proposal",
    "build_messages",
    "c_completion_prompt",
    "completion_prompt",
    "propose",
    "read_answer",
]

R = TypeVar("R")

PRIOR = 0.5
"""The prior of a model candidate, on the templates' scale."""
TEMPERATURE = 0.7
"""Sampling temperature of every request (above zero so samples differ)."""
MAX_PROPOSALS = 3
"""Proposals taken from one answer."""

_MAX_FAILING = 5
_MAX_ATTEMPTS = 5
_MAX_SUSPECTS = 8
_MAX_CONTEXT = 4000
"""Characters of each other file a C prompt shows."""
_MAX_CONTEXT_FILES = 3
_MAX_VARIABLES = 12
_AGENT = "fixer"
_ANSWER_OVERHEAD = 200
"""Tokens of an answer besides the code: JSON keys, the bug sentence, the rationale."""
_MAX_ANSWER_TOKENS = 1536
_RESEED = 1000
"""Added to a sample's seed for its second focused try (a new sample of the same request)."""


class Proposal(BaseModel):
    """One replaced function, as the model writes it."""

    # No other keys: a model that echoes the schema back answers with
    # "properties", "title", ..., which must fail and get the repair turn.
    model_config = ConfigDict(extra="forbid")

    function: str = Field(
        min_length=1,
        description='Name of the function to replace: "name", or "Class.name" for a method.',
    )
    path: str = Field(default="", description="The file it is in (as shown in the program).")
    code: str = Field(
        min_length=1,
        description="The complete new definition, from its decorators / def line to its end.",
    )
    rationale: str = Field(default="", description="One line: what was wrong and what changed.")


class Proposals(BaseModel):
    """The model's answer: the bug in a sentence, then its proposals, best first."""

    model_config = ConfigDict(extra="forbid")

    bug: str = Field(
        min_length=1,
        description="The bug in one sentence: which line does what wrong, on which input.",
    )
    proposals: list[Proposal] = Field(min_length=1)


# --- the prompt ----------------------------------------------------------------------


def build_messages(
    task: Task,
    program: dict[str, str],
    suspects: Sequence[Suspect],
    failing: Sequence[TestOutcome],
    attempts: Sequence[str],
    *,
    key_variables: Sequence[KeyVariableLike] = (),
    sample: int = 1,
    samples: int = 1,
) -> list[Message]:
    """The chat messages of one request, filled from the ``fixer`` template."""
    lang = "c" if task.language != "python" else "python"
    files = "\n\n".join(
        data(f"file {path}", program[path], lang) for path in shown_files(task, program, suspects)
    )
    failed = "\n\n".join(
        data(f"failing test {o.name}", _with_input(task, o)) for o in failing[:_MAX_FAILING]
    )
    suspect_lines = "\n".join(
        f"- {s.path}:{s.line} (score {s.score:.2f})" for s in suspects[:_MAX_SUSPECTS]
    )
    variables = "\n".join(
        f"- {v.path}:{v.line} {v.name}: {clip(str(v.failing), 80)} / {clip(str(v.passing), 80)}"
        for v in list(key_variables)[:_MAX_VARIABLES]
    )
    recent = "\n".join("- " + clip(a, 400) for a in attempts[-_MAX_ATTEMPTS:])
    tried = data("earlier attempts", recent) if attempts else "(none yet)"
    focus = _enclosing_functions(program, suspects)
    fields = {
        "language": task.language,
        "program": files,
        "failing": failed or "(no failing test output)",
        "variables": data("key variables", variables) if variables else "(none recorded)",
        "suspects": suspect_lines or "(none)",
        "focus": _focus_text(focus),
        "clues": _clues_text(program, focus),
        "attempts": tried,
        "sample": sample,
        "samples": samples,
    }
    return messages("fixer", **fields)


def _with_input(task: Task, outcome: TestOutcome) -> str:
    """A failing test as the model reads it, with the call it made when that is known."""
    text = outcome_text(outcome)
    call = failing_call(task, outcome)
    return text if call is None else f"input: {call}\n{text}"


def failing_call(task: Task, outcome: TestOutcome) -> str | None:
    """``entry(args...)`` of the visible case ``outcome`` reports (``case N``), if it is one."""
    name = outcome.name.strip()
    if not name.startswith("case ") or not name[5:].isdigit():
        return None
    index = int(name[5:]) - 1
    cases = task.visible.cases
    if not 0 <= index < len(cases) or cases[index].expected != outcome.expected:
        return None
    args = ", ".join(clip(repr(a), 200) for a in cases[index].args)
    return stable(f"{task.entry_point}({args})")


def _focus_text(functions: Sequence[_Function]) -> str:
    if not functions:
        return "(no function holds the suspect lines; fix where the data points)"
    named = " and ".join(f"`{f.name}` ({f.path} lines {f.first}-{f.last})" for f in functions)
    return (
        f"The top suspect lines are in {named}. Fix that function; change another one "
        "only if the failing input shows the bug cannot be there."
    )


def _clues_text(program: dict[str, str], functions: Sequence[_Function]) -> str:
    found = [
        f"- in `{f.name}`: {clue}"
        for f in functions
        for clue in clues(f.path, program[f.path], f.first)
    ]
    return "\n".join(found) or "(nothing unusual)"


_SUSPECT_MARK = "# <-- suspect"
_MARKS = re.compile(r"[ \t]*" + re.escape(_SUSPECT_MARK) + r"[ \t]*$", re.MULTILINE)
_MARKED_LINES = 3


def focus_messages(
    task: Task,
    program: dict[str, str],
    function: _Function,
    suspects: Sequence[Suspect],
    failing: Sequence[TestOutcome],
    attempts: Sequence[str],
) -> list[Message]:
    """A request about ``function`` alone, its top suspect lines marked (template ``fixer_focus``).

    Sent (twice at most) for a sample whose answer changed no code or repeated a failed fix.
    """
    # Split as the function was cut from its file, so a line's index is its offset
    # from `first` (str.splitlines also splits at form feeds and other separators).
    lines = [line.rstrip("\r\n") for line in _LINE.findall(function.source)]
    inside = [
        s.line - function.first
        for s in suspects
        if s.path == function.path and function.first <= s.line <= function.last
    ]
    marked = [i for i in dict.fromkeys(inside) if lines[i].strip()][:_MARKED_LINES]
    for i in marked:
        lines[i] = f"{lines[i]}  {_SUSPECT_MARK}"
    failed = "\n\n".join(
        data(f"failing test {o.name}", _with_input(task, o)) for o in failing[:_MAX_FAILING]
    )
    recent = "\n".join("- " + clip(a, 300) for a in attempts[-_MAX_ATTEMPTS:])
    return messages(
        "fixer_focus",
        language=task.language,
        function_name=function.name,
        function=data(f"function {function.name} in {function.path}", "\n".join(lines), "python"),
        failing=failed or "(no failing test output)",
        clues=_clues_text(program, [function]),
        attempts=data("earlier attempts", recent) if attempts else "(none yet)",
    )


def _unmarked(reply: str) -> str:
    """A reply without the suspect marks a focused request put on the code (they are not code)."""
    return _MARKS.sub("", reply)


def answer_tokens(code: str) -> int:
    """``max_tokens`` of an answer that rewrites ``code``: its length in tokens plus the rest."""
    # About 3 characters a token for code with a BPE tokenizer; rounded up.
    return min(_MAX_ANSWER_TOKENS, _ANSWER_OVERHEAD + len(code) // 3)


# --- applying a proposal ------------------------------------------------------------

_DEF = (ast.FunctionDef, ast.AsyncFunctionDef)
_LINE = re.compile(r".*?(?:\r\n|\r|\n)|.+\Z", re.DOTALL)


@dataclass(frozen=True)
class _Target:
    start: int
    """1-based first line (its first decorator's)."""
    end: int
    """1-based last line."""
    indent: str


def _find(tree: ast.Module, lines: list[str], name: str) -> _Target | None:
    owner, _, leaf = name.rpartition(".")
    found: list[ast.FunctionDef | ast.AsyncFunctionDef] = []
    for node in tree.body:
        if isinstance(node, _DEF) and not owner and node.name == leaf:
            found.append(node)
        elif isinstance(node, ast.ClassDef) and owner in ("", node.name):
            found += [m for m in node.body if isinstance(m, _DEF) and m.name == leaf]
    # A top-level function wins over a method of the same bare name; two
    # candidates of equal rank are ambiguous, and ambiguity is dropped.
    top = [f for f in found if f.col_offset == 0]
    pick = top or found
    if len(pick) != 1:
        return None
    node = pick[0]
    end = node.end_lineno
    if end is None:
        return None
    start = min([node.lineno, *(d.lineno for d in node.decorator_list)])
    first = lines[start - 1]
    return _Target(start, end, first[: len(first) - len(first.lstrip(" \t"))])


def _definition(code: str, leaf: str) -> str | None:
    text = textwrap.dedent(code.strip("\n")).rstrip() + "\n"
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return None
    if len(tree.body) != 1:
        return None
    node = tree.body[0]
    if not isinstance(node, _DEF) or node.name != leaf:
        return None
    return text


def apply_proposal(source: str, proposal: Proposal) -> str | None:
    """The file with the proposal's function replaced, or None if it cannot be applied."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return None
    lines: list[str] = _LINE.findall(source)
    target = _find(tree, lines, proposal.function.strip())
    if target is None:
        return None
    text = _definition(proposal.code, proposal.function.strip().rpartition(".")[2])
    if text is None:
        return None
    newline = "\r\n" if lines and lines[0].endswith("\r\n") else "\n"
    new = textwrap.indent(text, target.indent).replace("\n", newline)
    last = lines[target.end - 1]
    if not last.endswith(("\n", "\r")):  # the definition ended the file without a newline
        new = new.rstrip("\r\n")
    return "".join([*lines[: target.start - 1], new, *lines[target.end :]])


# --- reading an answer ----------------------------------------------------------------

_BUG = re.compile(r"^[\W_]*bug[\W_]*:[ \t]*(\S.*?)[ \t]*$", re.IGNORECASE | re.MULTILINE)
_OPEN_FENCE = re.compile(r"^`{3,}[ \t]*[\w+#-]*[ \t]*\n", re.MULTILINE)
_PROMPT_CHARS = 8000
"""A bound on a fixer prompt's text besides the program and the attempts: the
instructions, failing tests, key variables and suspects."""
_REPAIR = (
    "That answer has no complete Python function in a ```python block. Reply again in "
    'the form asked: the line "Bug: ...", then the whole corrected function, from its '
    '"def" line to its last line, in one ```python block.'
)
_UNCHANGED = (
    "That function is the same code as the program's (comments aside): it changes "
    "nothing, so the failing tests still fail. Find the line that makes them fail and "
    "change it, or add the statement that is missing. Reply in the same form: the line "
    '"Bug: ...", then the whole corrected function in one ```python block.'
)
_REPEATED = (
    "That change was already tried, and the failing tests still failed with it (see "
    '"Earlier fixes that failed"). Make a different change: another line, or a statement '
    'that is missing. Reply in the same form: the line "Bug: ...", then the whole '
    "corrected function in one ```python block."
)


def _definitions(code: str, bug: str) -> list[Proposal]:
    """Every function definition in ``code``; a class gives one per method."""
    text = textwrap.dedent(code.strip("\n")).rstrip() + "\n"
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return []
    lines: list[str] = _LINE.findall(text)

    def proposal(name: str, node: ast.FunctionDef | ast.AsyncFunctionDef) -> Proposal:
        start = min([node.lineno, *(d.lineno for d in node.decorator_list)])
        body = textwrap.dedent("".join(lines[start - 1 : node.end_lineno]))
        return Proposal(function=name, code=body, rationale=bug)

    out: list[Proposal] = []
    for node in tree.body:
        if isinstance(node, _DEF):
            out.append(proposal(node.name, node))
        elif isinstance(node, ast.ClassDef):
            out += [proposal(f"{node.name}.{m.name}", m) for m in node.body if isinstance(m, _DEF)]
    return out


def read_answer(text: str) -> tuple[str, list[Proposal]]:
    """A Python fixer answer's bug sentence and proposals (empty when it holds no function).

    The definitions in its ```` ``` ```` blocks (a block the token limit cut
    before its closing fence still counts when what came parses); else the
    JSON of :class:`Proposals` (a model that answers JSON anyway); else, when
    the reply has no fence, the whole reply read as code.
    """
    found = _BUG.search(text)
    bug = found[1] if found else ""
    blocks = [m[2] for m in _FENCE.finditer(text)]
    if not blocks and (opened := _OPEN_FENCE.search(text)):
        blocks = [text[opened.end() :].rstrip().removesuffix("`").rstrip("`")]
    found_ = [p for code in blocks for p in _definitions(code, bug)]
    if found_:
        return bug, found_
    try:
        answer = Proposals.model_validate(extract_json(text))
    except ValueError:  # not JSON, or not the schema (pydantic's error is a ValueError)
        return bug, [] if blocks else _definitions(text, bug)
    return answer.bug, [
        p if p.rationale else p.model_copy(update={"rationale": answer.bug})
        for p in answer.proposals
    ]


def _ask(
    client: LLMClient,
    request: list[Message],
    read: Callable[[str], R | None],
    repair: str | Callable[[str], str],
    *,
    max_tokens: int,
    seed: int | None,
    again: Callable[[str], list[Message] | None] | None = None,
    formed: Callable[[str], bool] | None = None,
) -> R | None:
    """``read`` of the answer to ``request``; one that reads as None gets up to two more tries.

    ``again``: given such an answer, a new request to send in its place, or None.
    It is sent at the sample's seed, then at another one (two independent tries).
    Otherwise the repair turn, once: the answer, then what ``repair`` says (a
    text, or a function of the answer).
    Counted in the client's replies like a structured answer, so the bench's
    well-formed figures cover the fixer too; a last answer that ``formed`` says is
    in the form asked (it only changed nothing new) counts ``unchanged``, not
    ``invalid``.
    """

    def ask(messages: list[Message], at: int | None) -> tuple[str, R | None]:
        answer = client.complete(
            messages, agent=_AGENT, temperature=TEMPERATURE, max_tokens=max_tokens, seed=at
        )
        return answer.text, read(answer.text)

    text, found = ask(request, seed)
    if found is not None:
        client.count_reply(_AGENT, "well_formed")
        return found
    seeds = [seed, None if seed is None else seed + _RESEED]
    asked, repaired = request, False  # the request ``text`` answers
    for _ in range(2):
        fresh = again(text) if again is not None else None
        if fresh is not None:
            asked = fresh
            text, found = ask(asked, seeds.pop(0))
        elif not repaired:
            repaired = True
            said = repair if isinstance(repair, str) else repair(text)
            asked = [
                *asked,
                {"role": "assistant", "content": text},
                {"role": "user", "content": said},
            ]
            text, found = ask(asked, seed)
        else:
            break
        if found is not None:
            client.count_reply(_AGENT, "repaired")
            return found
    client.count_reply(_AGENT, "unchanged" if formed is not None and formed(text) else "invalid")
    return None


# --- C and HLS C++: functions found with tree-sitter, spliced by span -------------------

_C_LANGUAGES = ("c", "hls")
_FENCE = re.compile(r"^(`{3,})[ \t]*[\w+#-]*[ \t]*\n(.*?)^\1[ \t]*$", re.DOTALL | re.MULTILINE)
_NUMBERED = re.compile(r"^[ \t]*\d+ \| ?")
# Around the one function a reply may carry comments and the file's #includes
# (models like to repeat them); they are dropped, anything else rejects it.
_C_AROUND = frozenset(["comment", "preproc_include"])


@dataclass(frozen=True)
class _CSpan:
    """One function definition of a C/C++ file (``template <...>`` included)."""

    name: str
    """``name``, or ``Scope::name`` for a member defined outside its class."""
    start: int
    """Character offset of its first character."""
    end: int
    """Character offset just past its closing brace."""
    body: int
    """Character offset of the body's opening brace."""
    first: int
    """1-based first line."""
    last: int
    """1-based last line."""


def _c_root(text: str) -> Node:
    """The syntax tree of C/C++ ``text`` (raises ImportError without tree-sitter-cpp)."""
    # The HLS checks' parser: built once, and tree_sitter only imported when C is read.
    from duckfix.agents.review_checks.hls_parse import cpp_parser

    return cpp_parser().parse(text.encode("utf-8", "surrogateescape")).root_node


def _c_spans(text: str) -> list[_CSpan]:
    """Every function definition in ``text``, with character offsets (tree-sitter counts bytes)."""
    from duckfix.agents.review_checks.hls_parse import function_name, walk

    data_ = text.encode("utf-8", "surrogateescape")

    def chars(offset: int) -> int:
        return len(data_[:offset].decode("utf-8", "surrogateescape"))

    out: list[_CSpan] = []
    for node in walk(_c_root(text)):
        body = node.child_by_field_name("body")
        if node.type != "function_definition" or body is None:
            continue
        named = function_name(node.child_by_field_name("declarator"))
        if named is None:
            continue
        name, scope = named
        parent = node.parent
        outer = parent if parent is not None and parent.type == "template_declaration" else node
        out.append(
            _CSpan(
                name=f"{scope}::{name}" if scope else name,
                start=chars(outer.start_byte),
                end=chars(outer.end_byte),
                body=chars(body.start_byte),
                first=outer.start_point.row + 1,
                last=outer.end_point.row + 1,
            )
        )
    return out


def _c_function_at(text: str, line: int) -> _CSpan | None:
    """The innermost function holding ``line``."""
    holding = [f for f in _c_spans(text) if f.first <= line <= f.last]
    return min(holding, key=lambda f: f.last - f.first, default=None)


def _c_find(text: str, name: str) -> _CSpan | None:
    """The one function called ``name`` (``run`` also finds ``K::run``); None if none or two."""
    spans = _c_spans(text)
    exact = [f for f in spans if f.name == name]
    leaf = name.rpartition("::")[2]
    pick = exact or [f for f in spans if f.name.rpartition("::")[2] == leaf]
    return pick[0] if len(pick) == 1 else None


def _c_tokens(text: str) -> tuple[str, ...]:
    """The tokens of C/C++ ``text`` without its comments: its code, layout aside."""
    from duckfix.agents.review_checks.hls_parse import walk

    data_ = text.encode("utf-8", "surrogateescape")
    return tuple(
        data_[node.start_byte : node.end_byte].decode("utf-8", "surrogateescape")
        for node in walk(_c_root(text))
        if node.child_count == 0 and node.type != "comment"
    )


def _c_blocks(reply: str) -> list[str]:
    """The code blocks of a chat reply; the whole reply when it has none."""
    blocks = [m[2] for m in _FENCE.finditer(reply)]
    return blocks or [reply]


def _c_rationale(reply: str) -> str:
    """The line the prompt asks for after the code block; else the first line of prose."""
    blocks = list(_FENCE.finditer(reply))
    after = reply[blocks[-1].end() :] if blocks else ""
    for text in (after, _FENCE.sub("", reply)):
        line = next((line.strip() for line in text.splitlines() if line.strip()), "")
        if line:
            return line
    return ""


def _c_definition(code: str, name: str) -> str | None:
    """``code``'s one definition of function ``name``, unnumbered; None if it is not that."""
    lines = code.replace("\r\n", "\n").strip("\n").split("\n")
    if lines and all(_NUMBERED.match(line) for line in lines if line.strip()):
        # The model copied the prompt's numbering: "  12 | code".
        lines = [_NUMBERED.sub("", line, count=1) for line in lines]
    text = textwrap.dedent("\n".join(lines)).strip() + "\n"
    if not text.strip():
        return None
    spans = _c_spans(text)
    outer = [c for c in _c_root(text).children if c.type not in _C_AROUND]
    if len(spans) != 1 or len(outer) != 1 or outer[0].has_error:
        return None
    (span,) = spans
    if span.name.rpartition("::")[2] != name.rpartition("::")[2]:
        return None
    if outer[0].start_point.row + 1 != span.first or outer[0].end_point.row + 1 != span.last:
        return None  # the one thing in the reply is not the function (a class around it...)
    return text[span.start : span.end]


def apply_c_proposal(source: str, proposal: Proposal) -> str | None:
    """The C/C++ file with the proposal's function replaced, or None if it cannot be applied.

    The replacement takes the old definition's character span exactly, so the
    rest of the file (comments, pragmas, line endings) keeps its form. Lines
    after the first take the old definition's indentation when it had one.
    """
    target = _c_find(source, proposal.function.strip())
    if target is None:
        return None
    text = _c_definition(proposal.code, target.name)
    if text is None:
        return None
    line_start = source.rfind("\n", 0, target.start) + 1
    indent = source[line_start : target.start]
    lines = text.split("\n")
    if indent and not indent.strip():
        lines = [lines[0], *(indent + line if line.strip() else line for line in lines[1:])]
    newline = "\r\n" if "\r\n" in source else "\n"
    return source[: target.start] + newline.join(lines) + source[target.end :]


def _numbered_from(text: str, first: int) -> str:
    """``text`` with its file line numbers (from ``first``) before each line, as ``numbered``."""
    lines = text.splitlines()
    width = len(str(first + len(lines) - 1))
    return "\n".join(f"{i:>{width}} | {line}" for i, line in enumerate(lines, first))


def _build_c_messages(
    task: Task,
    program: dict[str, str],
    function: _Function,
    suspects: Sequence[Suspect],
    failing: Sequence[TestOutcome],
    attempts: Sequence[str],
    *,
    sample: int = 1,
    samples: int = 1,
) -> list[Message]:
    """The chat messages of one request about one C function, from the ``fixer_c`` template."""
    path, name = function.path, function.name
    source = program[path]
    shown = data(
        f"function {name} in {path}, lines {function.first}-{function.last}",
        _numbered_from(function.source, function.first),
        "cpp",
    )
    # The rest of the file (types, macros, helpers) with the function cut out,
    # so it is shown once, numbered; then the other files: headers mostly.
    span = _c_function_at(source, function.first)
    rest = (
        source[: span.start] + f"/* {name}: the function under repair, shown above */"
        + source[span.end :]
    ) if span is not None else source  # fmt: skip
    context = [data(f"file {path}, without {name}", clip(rest, _MAX_CONTEXT), "cpp")]
    others = [p for p in sorted(program) if p != path and p.endswith(C_SUFFIXES)]
    context += [
        data(f"file {p}", clip(program[p], _MAX_CONTEXT), "cpp")
        for p in others[:_MAX_CONTEXT_FILES]
    ]
    failed = "\n\n".join(
        data(f"failing test {o.name}", outcome_text(o)) for o in failing[:_MAX_FAILING]
    )
    inside = [
        s for s in suspects[:_MAX_SUSPECTS]
        if s.path == path and function.first <= s.line <= function.last
    ]  # fmt: skip
    recent = "\n".join("- " + clip(a, 300) for a in attempts[-_MAX_ATTEMPTS:])
    fields = {
        "language": "HLS C++" if task.language == "hls" else "C",
        "function": name,
        "path": path,
        "code": shown,
        "context": "\n\n".join(context),
        "failing": failed or "(no failing test output)",
        "suspects": "\n".join(f"- line {s.line} (score {s.score:.2f})" for s in inside)
        or "(none inside this function)",
        "attempts": data("earlier attempts", recent) if attempts else "(none yet)",
        "sample": sample,
        "samples": samples,
    }
    return messages("fixer_c", **fields)


def _score(suspects: Sequence[Suspect], path: str, first: int, last: int) -> float:
    inside = [s.score for s in suspects if s.path == path and first <= s.line <= last]
    return PRIOR * max(inside, default=0.0)


def _candidate(
    program: dict[str, str],
    proposal: Proposal,
    default_path: str,
    suspects: Sequence[Suspect],
) -> Candidate | None:
    path = proposal.path if proposal.path in program else default_path
    old = program.get(path)
    if old is None:
        return None
    span: tuple[int, int] | None = None
    if path.endswith(C_SUFFIXES):
        # No compile here: the sandbox's validation compiles it, and a C
        # replacement was already read by tree-sitter without a syntax error.
        new = apply_c_proposal(old, proposal)
        target = _c_find(old, proposal.function.strip())
        span = (target.first, target.last) if target else None
    else:
        new = apply_proposal(old, proposal)
        if new is not None and not compiles(new, path):
            new = None
        elif new is not None:
            found = _find(ast.parse(old), _LINE.findall(old), proposal.function.strip())
            span = (found.start, found.end) if found else None
    if new is None or new == old:
        return None
    rationale = " ".join(proposal.rationale.split()) or f"rewrote {proposal.function}"
    description = f"{proposal.function}: {clip(rationale, 200)}"
    candidate = _edit(path, old, new, description, 0.0)
    first, last = span or (candidate.line, candidate.line)
    return candidate.model_copy(update={"score": _score(suspects, path, first, last)})


def _edit(path: str, old: str, new: str, description: str, score: float) -> Candidate:
    start, end, replacement = changed_span(old, new)
    return Candidate(
        path=path,
        line=old.count("\n", 0, start) + 1,
        template="llm",
        description=description,
        start=start,
        end=end,
        replacement=replacement,
        prior=PRIOR,
        score=score,
        size=max(end - start, len(replacement)),
    )


def _smaller(program: dict[str, str], candidate: Candidate) -> list[Candidate]:
    """Each change of a Python rewrite alone, and its additions only (:mod:`rewrite_parts`)."""
    if candidate.path.endswith(C_SUFFIXES):
        return []
    old = program[candidate.path]
    function = candidate.description.split(":", 1)[0]
    return [
        _edit(candidate.path, old, text, f"{function}: {what}", candidate.score)
        for text, what in smaller_rewrites(old, candidate.apply(old))
        if compiles(text, candidate.path)
    ]


COMPLETION_STOP = ("\n# ", "\ndef ", "\nclass ", "\nif __name__", "\n\n\n", "\n```")
"""Where a base model's continuation of a function body ends."""
C_COMPLETION_STOP = ("\n}", "\n```", "\n// File:")
"""Where a base model's continuation of a C function body ends: its closing brace.

The function is shown dedented, so its brace is the first one at column 0;
the brace itself is cut off with the stop and put back.
"""
_COMPLETION_TOKENS = 384
_FUNCTIONS_PER_ROUND = 2


@dataclass(frozen=True)
class _Function:
    path: str
    name: str
    """``name`` or ``Class.name`` (C++: ``Scope::name``)."""
    source: str
    """The definition, dedented."""
    header: str
    """Its lines up to and including the ``def`` line's colon (C: the body's ``{``)."""
    first: int = 0
    """1-based first line in the file."""
    last: int = 0
    """1-based last line in the file."""


def _enclosing_functions(
    program: dict[str, str], suspects: Sequence[Suspect], limit: int = _FUNCTIONS_PER_ROUND
) -> list[_Function]:
    """The distinct functions holding the top suspect lines, in suspect order, at most ``limit``."""
    out: list[_Function] = []
    for suspect in suspects:
        source = program.get(suspect.path)
        if source is None or not suspect.path.endswith(".py"):
            continue
        try:
            tree = ast.parse(source)
        except (SyntaxError, ValueError):
            continue
        lines: list[str] = _LINE.findall(source)
        found = _function_at(tree, suspect.line)
        if found is None:
            continue
        name, node = found
        if any(f.path == suspect.path and f.name == name for f in out):
            continue
        start = min([node.lineno, *(d.lineno for d in node.decorator_list)])
        end = node.end_lineno or node.lineno
        text = textwrap.dedent("".join(lines[start - 1 : end]))
        body_line = node.body[0].lineno
        head = textwrap.dedent("".join(lines[start - 1 : body_line - 1]))
        if not head.rstrip().endswith(":"):  # a one-line def: `def f(x): return x`
            continue
        out.append(_Function(suspect.path, name, text, head.rstrip() + "\n", start, end))
        if len(out) == limit:
            break
    return out


def _c_enclosing_functions(program: dict[str, str], suspects: Sequence[Suspect]) -> list[_Function]:
    """The distinct C/C++ functions holding the top suspect lines, in suspect order."""
    out: list[_Function] = []
    for suspect in suspects:
        source = program.get(suspect.path)
        if source is None or not suspect.path.endswith(C_SUFFIXES):
            continue
        span = _c_function_at(source, suspect.line)
        if span is None or any(f.path == suspect.path and f.name == span.name for f in out):
            continue
        # From the start of its first line, so that dedenting sees its indentation.
        line_start = source.rfind("\n", 0, span.start) + 1
        text = textwrap.dedent(source[line_start : span.end] + "\n")
        head = textwrap.dedent(source[line_start : span.body + 1])
        out.append(_Function(suspect.path, span.name, text, head + "\n", span.first, span.last))
        if len(out) == _FUNCTIONS_PER_ROUND:
            break
    return out


def _function_at(
    tree: ast.Module, line: int
) -> tuple[str, ast.FunctionDef | ast.AsyncFunctionDef] | None:
    for node in tree.body:
        if isinstance(node, _DEF) and node.lineno <= line <= (node.end_lineno or 0):
            return node.name, node
        if isinstance(node, ast.ClassDef):
            for member in node.body:
                if isinstance(member, _DEF) and member.lineno <= line <= (member.end_lineno or 0):
                    return f"{node.name}.{member.name}", member
    return None


def _cut(text: str, stops: Sequence[str] = COMPLETION_STOP) -> str:
    """The continuation up to its first stop sequence (not every server honours ``stop``)."""
    ends = [i for stop in stops if (i := text.find(stop)) >= 0]
    return text[: min(ends)] if ends else text


def _parsable_prefix(header: str, body: str) -> str | None:
    """Header plus the longest run of the body's first lines that parses.

    A continuation cut off by the token limit, or trailing off into prose, still
    yields the complete statements before that point.
    """
    lines = body.rstrip().splitlines(keepends=True)
    for end in range(len(lines), 0, -1):
        code = header + "".join(lines[:end])
        try:
            ast.parse(code)
        except (SyntaxError, ValueError):
            continue
        return code
    return None


def _c_completed(function: _Function, continuation: str) -> str | None:
    """Header, body and closing brace: the longest run of the body's first lines that parses.

    As :func:`_parsable_prefix`, for C: a body cut off by the token limit still
    yields the function up to its last complete statement.
    """
    lines = _cut(continuation, C_COMPLETION_STOP).rstrip().splitlines(keepends=True)
    for end in range(len(lines), 0, -1):
        code = function.header + "".join(lines[:end]).rstrip("\n") + "\n}\n"
        found = _c_definition(code, function.name)
        if found is not None:
            return found
    return None


def _failure_notes(failing: Sequence[TestOutcome], comment: str) -> str:
    notes = []
    for o in failing[:2]:
        if o.expected is not None or o.actual is not None:
            notes.append(f"{comment} {o.name}: expected {o.expected!r}, got {o.actual!r}")
        elif o.message:
            notes.append(f"{comment} {o.name}: {clip(' '.join(o.message.split()), 200)}")
    return stable("\n".join(notes)) or f"{comment} a test fails"


def completion_prompt(
    path: str, function: str, source: str, header: str, failing: Sequence[TestOutcome]
) -> str:
    """A base model's prompt: the buggy function, what failed, then the fixed one's header."""
    return (
        f"# File: {path}\n"
        f"# Buggy version of {function}. Failing tests:\n{_failure_notes(failing, '#')}\n"
        f"{source.rstrip()}\n\n\n"
        f"# Fixed version of {function}: the same code with the bug corrected.\n"
        f"{header}"
    )


def c_completion_prompt(
    path: str, function: str, source: str, header: str, failing: Sequence[TestOutcome]
) -> str:
    """:func:`completion_prompt` for C: ``//`` comments, the header ends at the body's ``{``."""
    return (
        f"// File: {path}\n"
        f"// Buggy version of {function}. Failing tests:\n{_failure_notes(failing, '//')}\n"
        f"{source.rstrip()}\n\n\n"
        f"// Fixed version of {function}: the same code with the bug corrected.\n"
        f"{header}"
    )


def _propose_by_completion(
    client: LLMClient,
    program: dict[str, str],
    suspects: Sequence[Suspect],
    failing: Sequence[TestOutcome],
    samples: int,
    round_: int,
    c: bool,
) -> list[Candidate]:
    seen: set[tuple[str, int, int, str]] = set()
    out: list[Candidate] = []
    functions = (_c_enclosing_functions if c else _enclosing_functions)(program, suspects)
    for function in functions:
        prompt = (c_completion_prompt if c else completion_prompt)(
            function.path, function.name, function.source, function.header, failing
        )
        for sample in range((round_ - 1) * samples + 1, round_ * samples + 1):
            try:
                answer = client.complete_prompt(
                    prompt,
                    agent=_AGENT,
                    temperature=0.0 if sample == 1 else TEMPERATURE,
                    max_tokens=_COMPLETION_TOKENS,
                    stop=C_COMPLETION_STOP if c else COMPLETION_STOP,
                    seed=None if sample == 1 else sample,
                )
            except LLMError:
                return out
            if c:
                code = _c_completed(function, answer.text)
            else:
                code = _parsable_prefix(function.header, _cut(answer.text))
            if code is None:
                continue
            proposal = Proposal(
                function=function.name,
                path=function.path,
                code=code,
                rationale="rewritten by a base model",
            )
            candidate = _candidate(program, proposal, function.path, suspects)
            if candidate is None or candidate.key in seen:
                continue
            seen.add(candidate.key)
            out.append(candidate)
    return out


def _propose_c(
    client: LLMClient,
    task: Task,
    program: dict[str, str],
    suspects: Sequence[Suspect],
    failing: Sequence[TestOutcome],
    attempts: Sequence[str],
    samples: int,
    round_: int,
    parallel: int = 1,
    tried: Collection[tuple[str, int, int, str]] = (),
) -> list[Candidate]:
    """Chat requests about the functions holding the suspects, taken in turn, one per sample.

    An answer whose function is the program's own code, or the code a candidate in
    ``tried`` made of it, gets the repair turn, as a Python one does.
    """
    functions = _c_enclosing_functions(program, suspects)
    seen: set[tuple[str, int, int, str]] = set()
    out: list[Candidate] = []
    made: dict[tuple[str, str], set[tuple[str, ...]]] = {}

    def made_of(function: _Function) -> set[tuple[str, ...]]:
        # Read on first use: most answers change nothing or something new.
        key = (function.path, function.name)
        if key not in made:
            made[key] = _c_made(program.get(function.path, ""), function.name, function.path, tried)
        return made[key]

    def ask(index: int) -> str | None:
        function = functions[index % len(functions)]
        request = _build_c_messages(
            task, program, function, suspects, failing, attempts, sample=index + 1, samples=samples
        )
        name = function.name
        old = _c_tokens(function.source)

        def definitions(reply: str) -> list[str]:
            return [d for code in _c_blocks(reply) if (d := _c_definition(code, name)) is not None]

        def changed(reply: str) -> list[tuple[str, ...]]:
            return [t for d in definitions(reply) if (t := _c_tokens(d)) != old]

        def readable(reply: str) -> str | None:
            return reply if any(t not in made_of(function) for t in changed(reply)) else None

        def repair(reply: str) -> str:
            if changed(reply):
                return (
                    f"That change to {name} was already tried, and the failing cases still "
                    "failed with it. Make a different change: another line, or a statement "
                    f"that is missing. Reply again with the whole corrected function {name} "
                    "in one ```cpp block."
                )
            if definitions(reply):
                return (
                    f"That {name} is the same code as the program's (comments and layout "
                    "aside): it changes nothing, so the failing cases still fail. Find the "
                    "line that makes them fail and change it, or add the statement that is "
                    f"missing. Reply again with the whole corrected function {name} in one "
                    "```cpp block."
                )
            return (
                f"That answer has no complete definition of {name} in a ```cpp block. "
                f"Reply again with the whole corrected function {name}, from its first "
                "line to its closing brace, in one ```cpp block."
            )

        return _ask(
            client,
            request,
            readable,
            repair,
            max_tokens=answer_tokens(function.source),
            seed=(round_ - 1) * samples + index + 1,
            formed=lambda reply: bool(definitions(reply)),
        )

    for index, text in enumerate(_in_order(ask, samples if functions else 0, parallel)):
        function = functions[index % len(functions)]
        if text is None:
            continue
        rationale = _c_rationale(text)
        for code in _c_blocks(text)[:MAX_PROPOSALS]:
            proposal = Proposal(
                function=function.name, path=function.path, code=code, rationale=rationale
            )
            candidate = _candidate(program, proposal, function.path, suspects)
            if candidate is None or candidate.key in seen:
                continue
            seen.add(candidate.key)
            out.append(candidate)
    return out


def _c_made(
    source: str, name: str, path: str, tried: Collection[tuple[str, int, int, str]]
) -> set[tuple[str, ...]]:
    """The code (tokens, comments aside) that the ``tried`` candidates made of function
    ``name`` in ``source``: those whose edit falls inside it."""
    span = _c_find(source, name)
    if span is None:
        return set()
    # The edit lies inside the function, so the edited function is its own text
    # with the edit applied: no need to parse the whole file again per candidate.
    return {
        _c_tokens(source[span.start : start] + replacement + source[end : span.end])
        for where, start, end, replacement in tried
        if where == path and span.start <= start <= end <= span.end
    }


def _in_order(ask: Callable[[int], R], count: int, parallel: int) -> Iterator[R]:
    """``ask(0)``, ``ask(1)``, ... ``ask(count - 1)``, up to ``parallel`` at once, in that order.

    Stops at the first model error: what came before it is kept, samples not
    yet sent are not sent, and answers after it are dropped (as if asked one
    at a time).
    """
    if parallel <= 1 or count <= 1:
        for index in range(count):
            try:
                yield ask(index)
            except LLMError:
                return
        return
    pool = ThreadPoolExecutor(max_workers=min(parallel, count), thread_name_prefix="duckfix-sample")
    futures = [pool.submit(ask, index) for index in range(count)]
    try:
        for future in futures:
            try:
                yield future.result()
            except LLMError:
                return
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _round_at_most(
    program: dict[str, str], attempts: Sequence[str], samples: int
) -> tuple[int, int]:
    """Calls and tokens a round of ``samples`` can take at most: each sample and its
    two more tries, every prompt counted as the whole program, the attempts and the
    instructions, a character a token (a token is rarely shorter)."""
    code = sum(len(text) for text in program.values())
    prompt = code + sum(len(a) for a in attempts) + _PROMPT_CHARS
    answer = answer_tokens(max(program.values(), key=len, default=""))
    return 3 * samples, 3 * samples * (2 * prompt + 2 * answer)


def propose(
    client: LLMClient,
    task: Task,
    program: dict[str, str],
    suspects: Sequence[Suspect],
    failing: Sequence[TestOutcome],
    attempts: Sequence[str],
    samples: int = 3,
    round_: int = 1,
    key_variables: Sequence[KeyVariableLike] = (),
    parallel: int = 1,
    tried: Collection[tuple[str, int, int, str]] = (),
) -> list[Candidate]:
    """Model candidates for the program, in the order proposed, each unique and compilable.

    ``attempts`` are earlier failed fixes in words (what was tried, why it failed,
    and the explainer's account of what the change did);
    ``tried``: the keys of the candidates already run (an answer that only repeats
    one of them is asked again, as one that changes nothing is);
    ``round_`` counts the times the model was asked in this run, from 1;
    ``parallel``: samples in flight at once (chat models, and only when the run's
    budget cannot run out; the order of the candidates does not depend on it).
    Never raises a model error: on one it returns the candidates of the samples
    before it. For a C or HLS task without tree-sitter-cpp installed there are none.
    """
    if parallel > 1 and not client.budget.covers(*_round_at_most(program, attempts, samples)):
        # A budget that could run out mid-round must stop at the same sample every
        # time, as the cache replays it: the samples go in order, one at a time.
        parallel = 1
    c = task.language in _C_LANGUAGES
    if c and (find_spec("tree_sitter") is None or find_spec("tree_sitter_cpp") is None):
        return []  # the `hls` extra is not installed: no function can be found
    if client.style == "completion":
        return _propose_by_completion(client, program, suspects, failing, samples, round_, c)
    if c:
        return _propose_c(
            client, task, program, suspects, failing, attempts, samples, round_, parallel, tried
        )
    shown = shown_files(task, program, suspects)
    default_path = shown[0] if shown else task.program
    holding = _enclosing_functions(program, suspects[:_MAX_SUSPECTS], limit=_MAX_SUSPECTS)
    longest = max((f.source for f in holding), key=len, default=program.get(default_path, ""))
    seen: set[tuple[str, int, int, str]] = set()
    out: list[Candidate] = []
    known = _Known(program, tried)

    def fresh(reply: str) -> list[Proposal] | None:
        proposals = read_answer(_unmarked(reply))[1]
        return [p for p in proposals if known.verdict(p, default_path) == "new"] or None

    def repair(reply: str) -> str:
        verdicts = {known.verdict(p, default_path) for p in read_answer(reply)[1]}
        return _REPEATED if "repeated" in verdicts else _UNCHANGED if verdicts else _REPAIR

    def again(reply: str) -> list[Message] | None:
        # Asked again in the same conversation, a small model that could not find
        # the bug mostly wrote the function as it was once more (the 1.5B coder: 7
        # of 8 times); a new, shorter request about that function alone, its
        # suspect lines marked, got a change 4 times of 6.
        proposals = read_answer(_unmarked(reply))[1]
        if not proposals:
            return None  # no code at all: the repair turn asks for the form
        names = {p.function.strip().rpartition(".")[2] for p in proposals}
        function = next(
            (f for f in holding if f.name.rpartition(".")[2] in names),
            holding[0] if holding else None,
        )
        if function is None:
            return None
        return focus_messages(task, program, function, suspects, failing, attempts)

    def ask(index: int) -> list[Proposal] | None:
        request = build_messages(
            task, program, suspects, failing, attempts,
            key_variables=key_variables, sample=index + 1, samples=samples,
        )  # fmt: skip
        return _ask(
            client,
            request,
            fresh,
            repair,
            max_tokens=answer_tokens(longest),
            seed=(round_ - 1) * samples + index + 1,
            again=again,
            formed=lambda reply: bool(read_answer(_unmarked(reply))[1]),
        )

    smaller: list[Candidate] = []
    for proposals in _in_order(ask, samples, parallel):
        taken = 0
        for proposal in proposals or ():
            if holding and not _holds_a_suspect(holding, proposal, default_path):
                continue  # steered to the suspects: a rewrite of another function is dropped
            candidate = _candidate(program, proposal, default_path, suspects)
            if candidate is None or candidate.key in seen:
                continue
            seen.add(candidate.key)
            out.append(candidate)
            smaller += _smaller(program, candidate)
            taken += 1
            if taken == MAX_PROPOSALS:
                break
    # The rewrites as the model wrote them first, then their smaller versions.
    for candidate in smaller:
        if candidate.key not in seen:
            seen.add(candidate.key)
            out.append(candidate)
    return out


def _code_of(text: str) -> str | None:
    """The code of a Python file without its comments and layout; None if it does not parse."""
    try:
        return ast.dump(ast.parse(text))
    except (SyntaxError, ValueError):
        return None


_Verdict = Literal["new", "unchanged", "repeated"]


class _Known:
    """The code the program has, and the code the candidates already run made (read on first use).

    A small model often returns the function as it was, a comment added (a third
    of the 1.5B coder's samples on the missing-statement pairs), and asked again
    after its fix failed, often writes the same fix (two of three samples of its
    second round, word for word): either answer gets the repair turn.
    """

    def __init__(self, program: dict[str, str], tried: Collection[tuple[str, int, int, str]]):
        self._program, self._tried = program, tried
        self._codes: dict[str, tuple[str | None, set[str]]] = {}

    def verdict(self, proposal: Proposal, default: str) -> _Verdict:
        """Whether ``proposal`` changes the code, leaves it as it is, or repeats a run one.

        One that does not apply is not this check's to judge (it is dropped later): new.
        """
        path = proposal.path if proposal.path in self._program else default
        old = self._program.get(path)
        new = apply_proposal(old, proposal) if old is not None else None
        code = _code_of(new) if new is not None else None
        if code is None:
            return "new"
        now, made = self._code(path)
        return "unchanged" if code == now else "repeated" if code in made else "new"

    def _code(self, path: str) -> tuple[str | None, set[str]]:
        if path not in self._codes:
            old = self._program[path]
            made = {
                _code_of(old[:start] + replacement + old[end:])
                for where, start, end, replacement in self._tried
                if where == path
            }
            self._codes[path] = (_code_of(old), {code for code in made if code is not None})
        return self._codes[path]


def _holds_a_suspect(holding: Sequence[_Function], proposal: Proposal, default: str) -> bool:
    path = proposal.path or default
    name = proposal.function.strip()
    return any(
        f.path == path and (f.name == name or f.name.rpartition(".")[2] == name) for f in holding
    )
