"""The API's bodies, as pydantic models: what a client sends, what the server answers.

These models are the OpenAPI document's schemas, so a client (and schemathesis)
reads the contract from ``/openapi.json``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from duckfix.budgets import MAX_CANDIDATES, MAX_SECONDS

__all__ = [
    "BenchRequest",
    "DebugOptions",
    "DebugRequest",
    "Health",
    "Job",
    "JobKind",
    "JobList",
    "JobState",
    "Problem",
    "ReviewRequest",
    "one_line",
]

JobKind = Literal["review", "debug", "bench"]
JobState = Literal["queued", "running", "succeeded", "failed", "cancelled"]
_REQUEST = ConfigDict(extra="forbid", allow_inf_nan=False)


def one_line(errors: Sequence[Any]) -> str:
    """pydantic's validation errors as one line: where, and what is wrong, for the first."""
    if not errors:
        return "the request is not valid"
    first = errors[0]
    where = ".".join(str(p) for p in first.get("loc", ())) or "body"
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"{where}: {first.get('msg', 'not valid')}{more}"


def _exactly_one(*choices: tuple[str, ...]) -> Any:
    """A JSON-schema hook: exactly one group of ``choices`` is given, each field a string.

    The document then says what the validator checks, so a client (and
    schemathesis) knows that ``{}`` or a diff with an mbox is not a request.
    """
    names = {name for group in choices for name in group}

    def hook(schema: dict[str, Any]) -> None:
        for name in names:
            described = schema["properties"][name]
            schema["properties"][name] = {
                "type": "string",
                **{k: v for k, v in described.items() if k in ("title", "description")},
            }
        schema["oneOf"] = [
            {"required": list(group),
             "not": {"anyOf": [{"required": [n]} for n in sorted(names - set(group))]}}
            for group in choices
        ]  # fmt: skip

    return hook


def _given(model: BaseModel, names: Sequence[str]) -> list[str]:
    """The fields of ``names`` the request gave a value (a null counts as not given)."""
    return [n for n in names if getattr(model, n) is not None]


class ReviewRequest(BaseModel):
    """``POST /v1/reviews``: exactly one of ``diff``, ``mbox``, or ``repo`` with ``range``.

    The options mirror ``duckfix review``'s flags.
    """

    model_config = ConfigDict(
        **_REQUEST, json_schema_extra=_exactly_one(("diff",), ("mbox",), ("repo", "range"))
    )

    diff: str | None = Field(None, description="A unified diff, as `git diff` prints it.")
    mbox: str | None = Field(
        None, description="One or more patch e-mails (git format-patch), reviewed as a series."
    )
    repo: str | None = Field(
        None, description="A git repository on the server's disk, under server.repo_roots."
    )
    range: str | None = Field(None, description="With repo: the commits A..B to review.")
    label: str | None = Field(None, max_length=200, description="What the review is called.")
    checks: list[str] | None = Field(None, description="Checks to run (default: review.checks).")
    fail_on: Literal["error", "warning", "note", "never"] | None = Field(
        None, description="The job's exit_code is 1 on a finding this severe (review.block_on)."
    )
    strict: bool | None = Field(
        None, description="A check that could not run makes exit_code 1 (review.strict)."
    )
    no_model: bool = Field(False, description="Review without the model (provider none).")

    @model_validator(mode="after")
    def _one_input(self) -> ReviewRequest:
        if len(_given(self, ("diff", "mbox", "repo"))) != 1:
            raise ValueError("give exactly one of diff, mbox, or repo with range")
        if (self.repo is None) != (self.range is None):
            raise ValueError("repo and range go together")
        return self


class DebugOptions(BaseModel):
    """The options of ``duckfix debug`` a remote run may set."""

    model_config = _REQUEST

    max_candidates: int = Field(MAX_CANDIDATES, ge=1, le=10_000)
    max_seconds: float = Field(MAX_SECONDS, gt=0, le=24 * 3600)
    llm_first: bool = False
    no_model: bool = False


class DebugRequest(DebugOptions):
    """``POST /v1/debug`` as JSON: a program and its tests, like ``duckfix debug PROGRAM``.

    A task folder goes as a multipart upload instead (field ``task``: a .tar,
    .tar.gz or .zip of the folder; the options as form fields).
    """

    model_config = ConfigDict(**_REQUEST, json_schema_extra=_exactly_one(("tests",), ("cases",)))

    program: str = Field(description="The program's source.")
    filename: str = Field(
        "program.py",
        pattern=r"^[A-Za-z_][A-Za-z0-9_]*\.(py|c)$",
        description="The program's file name (its stem is the default entry point).",
    )
    tests: str | None = Field(None, description="A pytest file for the program.")
    cases: str | None = Field(None, description='JSON-lines cases: {"args": [...], ...}.')
    entry: str | None = Field(
        None, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$", description="The function the cases call."
    )

    @model_validator(mode="after")
    def _one_test_kind(self) -> DebugRequest:
        if len(_given(self, ("tests", "cases"))) != 1:
            raise ValueError("give exactly one of tests and cases")
        return self


class BenchRequest(BaseModel):
    """``POST /v1/bench``: a suite on the server, like ``duckfix bench run SUITE``."""

    model_config = _REQUEST

    suite: str = Field("builtin", description="builtin, hls, or a suite the server has.")
    tasks: list[str] | None = Field(None, description="Only these task ids.")
    limit: int | None = Field(None, ge=1, description="Only the first K tasks (by id).")
    max_candidates: int | None = Field(None, ge=1, le=10_000)
    max_seconds: float | None = Field(None, gt=0, le=24 * 3600)
    llm_first: bool = False
    no_model: bool = False


class Job(BaseModel):
    """A job, as every endpoint shows it.

    ``result``, once the job succeeded, is exactly what the CLI's ``--json``
    prints for the same work: ``duckfix review --json``'s object,
    ``duckfix debug --json``'s object, or the list of ``duckfix bench run
    --json``'s lines. ``exit_code`` is the exit code the CLI would give.
    """

    id: str
    kind: JobKind
    state: JobState
    token: str = Field(description="The name of the token that submitted it.")
    created_at: str
    started_at: str | None
    finished_at: str | None
    reason: str = Field(description="Why it failed or was cancelled (empty otherwise).")
    run_id: str | None = Field(description="The run the job recorded in the store.")
    exit_code: int | None
    attempt: int = Field(description="How many times a worker has claimed it.")
    result: dict[str, Any] | list[dict[str, Any]] | None


class JobList(BaseModel):
    """``GET /v1/jobs``: newest first."""

    jobs: list[Job]


class Health(BaseModel):
    status: Literal["ok", "unavailable"]
    detail: str = ""


class Problem(BaseModel):
    """Every error's body: one line saying what is wrong."""

    detail: str
