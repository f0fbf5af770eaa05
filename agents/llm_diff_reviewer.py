"""The reviewer's model path on a patch: findings anchored on the lines the patch adds.

The model sees one file at a time: each hunk with the new file's line numbers
on kept and added lines and removed lines unnumbered (models cite the numbers
they are shown; a removed line has none to cite), the enclosing function of the
hunk when it reaches beyond the hunk, and the commit messages, all as data.

A finding must sit on a line the diff shows. One that names another line is
moved to the nearest added line within :data:`MOVE_WITHIN` lines, or dropped;
both are counted in the notes, so a model that cites line numbers loosely is
visible in the output.

Which files the model sees is planned before any call: files are taken in order
of size, smallest first, while their prompts fit the review's token budget
(estimated at four characters a token); the files left out are listed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel, Field

from duckfix.agents.prompting import clip, data, messages
from duckfix.errors import LLMError
from duckfix.findings import Finding
from duckfix.llm import LLMClient, Message
from duckfix.patches import CommitInfo, FileContext

__all__ = [
    "MOVE_WITHIN",
    "ModelFinding",
    "ModelFindings",
    "build_messages",
    "file_view",
    "plan",
    "review_file",
]

MOVE_WITHIN = 3
"""Lines a finding may be moved to reach an added line."""
MAX_FINDINGS = 8
_AGENT = "reviewer"
_CHARS_PER_TOKEN = 4
_MAX_FUNCTION_LINES = 80


class ModelFinding(BaseModel):
    """One problem the model sees."""

    line: int = Field(description="The new file's line number, as shown on the left.")
    severity: Literal["error", "warning", "note"] = "warning"
    kind: str = Field(default="other", description="bug, security, error-handling, ...")
    message: str
    suggestion: str | None = Field(
        default=None, description="The corrected text of that one line, if there is one."
    )


class ModelFindings(BaseModel):
    """The model's answer for one file."""

    findings: list[ModelFinding] = Field(default_factory=list)


def file_view(ctx: FileContext) -> str:
    """The file's changes as the model is shown them (numbered new lines, unnumbered removals)."""
    change = ctx.change
    lines = (ctx.new_text or "").splitlines()
    width = len(str(max([len(lines), *(h.new_start + h.new_length for h in change.hunks)])))
    blocks: list[str] = []
    for i, hunk in enumerate(change.hunks):
        out: list[str] = []
        enclosing = ctx.enclosing[i] if i < len(ctx.enclosing) else None
        if enclosing is not None and lines:
            out.append(f"in {enclosing.name} (lines {enclosing.start}-{enclosing.end}):")
            start = max(enclosing.start, hunk.new_start - _MAX_FUNCTION_LINES // 2)
            for number in range(start, hunk.new_start):
                out.append(f"{number:>{width}}   {lines[number - 1]}")
        elif hunk.section:
            out.append(f"near: {hunk.section}")
        for line in hunk.lines:
            if line.kind == "-":
                out.append(f"{'':>{width}} - {line.text}")
            else:
                out.append(f"{line.new:>{width}} {line.kind} {line.text}")
        end = hunk.new_start + hunk.new_length
        if enclosing is not None and lines:
            stop = min(enclosing.end, end + _MAX_FUNCTION_LINES // 2 - 1)
            for number in range(end, stop + 1):
                out.append(f"{number:>{width}}   {lines[number - 1]}")
        blocks.append("\n".join(out))
    return "\n...\n".join(blocks)


def _messages_text(commits: Sequence[CommitInfo]) -> str:
    if not commits:
        return "(none: a bare diff)"
    return "\n\n".join(data(f"commit {c.label}", clip(c.message, 3000)) for c in commits)


def build_messages(ctx: FileContext, commits: Sequence[CommitInfo]) -> list[Message]:
    """The chat messages of the ``diff_reviewer`` template for one file."""
    return messages(
        "diff_reviewer",
        max_findings=MAX_FINDINGS,
        messages=_messages_text(commits),
        path=ctx.path,
        status=ctx.change.status,
        code=data(f"changes to {ctx.path}", file_view(ctx)),
    )


def plan(
    contexts: Sequence[FileContext], commits: Sequence[CommitInfo], budget_tokens: int
) -> tuple[list[FileContext], list[str]]:
    """The files the model reviews (smallest first, within the budget) and notes on the rest."""
    reviewable = [c for c in contexts if c.change.hunks and not c.change.binary]
    sized = sorted(
        reviewable,
        key=lambda c: sum(len(m["content"]) for m in build_messages(c, commits)),
    )
    chosen: list[FileContext] = []
    notes: list[str] = []
    spent = 0
    for ctx in sized:
        cost = sum(len(m["content"]) for m in build_messages(ctx, commits)) // _CHARS_PER_TOKEN
        if spent + cost > budget_tokens:
            notes.append(
                f"{ctx.path}: not shown to the model (about {cost} tokens; "
                f"the review's budget is {budget_tokens}, review.model_tokens)"
            )
            continue
        spent += cost
        chosen.append(ctx)
    order = {id(c): i for i, c in enumerate(contexts)}
    chosen.sort(key=lambda c: order[id(c)])
    return chosen, notes


def _anchor(line: int, ctx: FileContext) -> int | None:
    shown = ctx.change.shown_lines
    if line in shown:
        return line
    added = sorted(ctx.change.added_lines)
    near = [a for a in added if abs(a - line) <= MOVE_WITHIN]
    return min(near, key=lambda a: (abs(a - line), a)) if near else None


def review_file(
    client: LLMClient, ctx: FileContext, commits: Sequence[CommitInfo] = ()
) -> tuple[list[Finding], list[str]]:
    """The model's findings on one file, anchored, and notes on what was moved or dropped."""
    try:
        answer = client.structured(build_messages(ctx, commits), ModelFindings, agent=_AGENT)
    except LLMError as exc:
        return [], [f"{ctx.path}: the model could not review it ({exc})"]
    findings: list[Finding] = []
    moved = dropped = 0
    for item in answer.findings[:MAX_FINDINGS]:
        line = _anchor(item.line, ctx)
        if line is None:
            dropped += 1
            continue
        moved += line != item.line
        kind = "-".join(item.kind.lower().split()) or "other"
        suggestion = item.suggestion if item.suggestion and "\n" not in item.suggestion else None
        findings.append(
            Finding(
                path=ctx.path,
                line=line,
                severity=item.severity,
                category=f"model/{kind}",
                message=" ".join(item.message.split()),
                suggestion=suggestion,
            )
        )
    notes = []
    if moved:
        notes.append(f"{ctx.path}: {moved} model finding(s) moved to the nearest changed line")
    if dropped:
        notes.append(
            f"{ctx.path}: {dropped} model finding(s) dropped: on lines the diff does not show"
        )
    return findings, notes
