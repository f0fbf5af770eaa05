"""The fixer's model path: a language model proposes whole replaced functions.

Each proposal is the **whole replaced function** (or method), not a line-numbered
edit or a diff: small models are bad at counting lines and at writing diffs that
apply, but good at rewriting one function. The proposal is applied by replacing
that definition's span (from its first decorator to its last line, found with
:mod:`ast`) in the program file, re-indented to where the definition sits; every
other character of the file is kept.

Sampling: :func:`propose` sends ``samples`` requests at a temperature above zero,
each asking for up to :data:`MAX_PROPOSALS` proposals. The requests differ by a
"proposal set k of n" line, so each has its own cache key: a batch run replays
every sample from the response cache instead of getting the first one ``n`` times.

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
from collections.abc import Sequence
from dataclasses import dataclass

from pydantic import BaseModel, Field

from duckfix.agents.prompting import clip, data, messages, outcome_text, shown_files, stable
from duckfix.agents.templates import Candidate
from duckfix.agents.templates.spans import compiles
from duckfix.errors import LLMError
from duckfix.llm import LLMClient, Message
from duckfix.models import Suspect, Task, TestOutcome

__all__ = [
    "COMPLETION_STOP",
    "MAX_PROPOSALS",
    "PRIOR",
    "TEMPERATURE",
    "Proposal",
    "Proposals",
    "apply_proposal",
    "build_messages",
    "completion_prompt",
    "propose",
]

PRIOR = 0.5
"""The prior of a model candidate, on the templates' scale."""
TEMPERATURE = 0.7
"""Sampling temperature of every request (above zero so samples differ)."""
MAX_PROPOSALS = 3
"""Proposals asked for in one request."""

_MAX_FAILING = 5
_MAX_ATTEMPTS = 5
_MAX_SUSPECTS = 8
_AGENT = "fixer"


class Proposal(BaseModel):
    """One replaced function, as the model writes it."""

    function: str = Field(
        description='Name of the function to replace: "name", or "Class.name" for a method.'
    )
    path: str = Field(default="", description="The file it is in (as shown in the program).")
    code: str = Field(
        description="The complete new definition, from its decorators / def line to its end."
    )
    rationale: str = Field(default="", description="One line: what was wrong and what changed.")


class Proposals(BaseModel):
    """The model's answer: its proposals, best first."""

    proposals: list[Proposal] = Field(default_factory=list)


# --- the prompt ----------------------------------------------------------------------


def build_messages(
    task: Task,
    program: dict[str, str],
    suspects: Sequence[Suspect],
    failing: Sequence[TestOutcome],
    attempts: Sequence[str],
    *,
    sample: int = 1,
    samples: int = 1,
) -> list[Message]:
    """The chat messages of one request, filled from the ``fixer`` template."""
    lang = "c" if task.language != "python" else "python"
    files = "\n\n".join(
        data(f"file {path}", program[path], lang) for path in shown_files(task, program, suspects)
    )
    failed = "\n\n".join(
        data(f"failing test {o.name}", outcome_text(o)) for o in failing[:_MAX_FAILING]
    )
    suspect_lines = "\n".join(
        f"- {s.path}:{s.line} (score {s.score:.2f})" for s in suspects[:_MAX_SUSPECTS]
    )
    recent = "\n".join("- " + clip(a, 300) for a in attempts[-_MAX_ATTEMPTS:])
    tried = data("earlier attempts", recent) if attempts else "(none yet)"
    fields = {
        "language": task.language,
        "max_proposals": MAX_PROPOSALS,
        "program": files,
        "failing": failed or "(no failing test output)",
        "suspects": suspect_lines or "(none)",
        "attempts": tried,
        "sample": sample,
        "samples": samples,
    }
    return messages("fixer", **fields)


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


def _changed(old: str, new: str) -> tuple[int, int]:
    """(first changed line in ``old``, characters changed)."""
    prefix = 0
    for a, b in zip(old, new, strict=False):
        if a != b:
            break
        prefix += 1
    suffix = 0
    limit = min(len(old), len(new)) - prefix
    while suffix < limit and old[-1 - suffix] == new[-1 - suffix]:
        suffix += 1
    size = max(len(old), len(new)) - prefix - suffix
    return old.count("\n", 0, prefix) + 1, size


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
    new = apply_proposal(old, proposal)
    if new is None or new == old or not compiles(new, path):
        return None
    line, size = _changed(old, new)
    lines: list[str] = _LINE.findall(old)
    target = _find(ast.parse(old), lines, proposal.function.strip())
    span = (target.start, target.end) if target else (line, line)
    rationale = " ".join(proposal.rationale.split()) or f"rewrote {proposal.function}"
    return Candidate(
        path=path,
        line=line,
        template="llm",
        description=f"{proposal.function}: {rationale}",
        source=new,
        prior=PRIOR,
        score=_score(suspects, path, *span),
        size=size,
    )


COMPLETION_STOP = ("\n# ", "\ndef ", "\nclass ", "\nif __name__", "\n\n\n", "\n```")
"""Where a base model's continuation of a function body ends."""
_COMPLETION_TOKENS = 384
_FUNCTIONS_PER_ROUND = 2


@dataclass(frozen=True)
class _Function:
    path: str
    name: str
    """``name`` or ``Class.name``."""
    source: str
    """The definition, dedented."""
    header: str
    """Its lines up to and including the ``def`` line's colon."""


def _enclosing_functions(program: dict[str, str], suspects: Sequence[Suspect]) -> list[_Function]:
    """The distinct functions holding the top suspect lines, in suspect order."""
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
        out.append(_Function(suspect.path, name, text, head.rstrip() + "\n"))
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


def _cut(text: str) -> str:
    """The continuation up to its first stop sequence (not every server honours ``stop``)."""
    ends = [i for stop in COMPLETION_STOP if (i := text.find(stop)) >= 0]
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


def completion_prompt(
    path: str, function: str, source: str, header: str, failing: Sequence[TestOutcome]
) -> str:
    """A base model's prompt: the buggy function, what failed, then the fixed one's header."""
    notes = []
    for o in failing[:2]:
        if o.expected is not None or o.actual is not None:
            notes.append(f"# {o.name}: expected {o.expected!r}, got {o.actual!r}")
        elif o.message:
            notes.append(f"# {o.name}: {clip(' '.join(o.message.split()), 200)}")
    failed = stable("\n".join(notes)) or "# a test fails"
    return (
        f"# File: {path}\n"
        f"# Buggy version of {function}. Failing tests:\n{failed}\n"
        f"{source.rstrip()}\n\n\n"
        f"# Fixed version of {function}: the same code with the bug corrected.\n"
        f"{header}"
    )


def _propose_by_completion(
    client: LLMClient,
    program: dict[str, str],
    suspects: Sequence[Suspect],
    failing: Sequence[TestOutcome],
    samples: int,
    round_: int,
) -> list[Candidate]:
    seen = set(program.items())
    out: list[Candidate] = []
    for function in _enclosing_functions(program, suspects):
        prompt = completion_prompt(
            function.path, function.name, function.source, function.header, failing
        )
        for sample in range((round_ - 1) * samples + 1, round_ * samples + 1):
            try:
                answer = client.complete_prompt(
                    prompt,
                    agent=_AGENT,
                    temperature=0.0 if sample == 1 else TEMPERATURE,
                    max_tokens=_COMPLETION_TOKENS,
                    stop=COMPLETION_STOP,
                    seed=None if sample == 1 else sample,
                )
            except LLMError:
                return out
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
            if candidate is None or (candidate.path, candidate.source) in seen:
                continue
            seen.add((candidate.path, candidate.source))
            out.append(candidate)
    return out


def propose(
    client: LLMClient,
    task: Task,
    program: dict[str, str],
    suspects: Sequence[Suspect],
    failing: Sequence[TestOutcome],
    attempts: Sequence[str],
    samples: int = 3,
    round_: int = 1,
) -> list[Candidate]:
    """Model candidates for the program, in the order proposed, each unique and compilable.

    ``attempts`` are earlier failed fixes in words (what was tried, why it failed);
    ``round_`` counts the times the model was asked in this run, from 1.
    Never raises a model error: on one it returns the candidates gathered so far.
    """
    if client.style == "completion":
        return _propose_by_completion(client, program, suspects, failing, samples, round_)
    shown = shown_files(task, program, suspects)
    default_path = shown[0] if shown else task.program
    seen = set(program.items())
    out: list[Candidate] = []
    for sample in range(1, samples + 1):
        request = build_messages(
            task, program, suspects, failing, attempts, sample=sample, samples=samples
        )
        try:
            answer = client.structured(request, Proposals, agent=_AGENT, temperature=TEMPERATURE)
        except LLMError:
            break
        for proposal in answer.proposals[:MAX_PROPOSALS]:
            candidate = _candidate(program, proposal, default_path, suspects)
            if candidate is None or (candidate.path, candidate.source) in seen:
                continue
            seen.add((candidate.path, candidate.source))
            out.append(candidate)
    return out
