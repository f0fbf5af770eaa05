"""``duckfix dataset build`` wired up: the builder with the review checks and the bug injector.

The builder (``duckfix.datasets.builder``) may not import agents; this module
hands it the two agent-backed hooks: ``detect``, the deterministic review
checks that flag a pair's changed line (what a reviewer would have caught),
and ``propose``, the model's bugs of the requested categories.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from duckfix.agents.llm_injector import propose_bugs
from duckfix.agents.review_checks import run_file_checks
from duckfix.datasets.builder.build import (
    BuildSpec,
    Detect,
    ProgramResult,
    Propose,
    Summary,
    build_dataset,
)
from duckfix.datasets.builder.categories import category
from duckfix.datasets.builder.mutants import Mutant
from duckfix.diff import parse_diff
from duckfix.executor import Executor
from duckfix.llm import LLMClient
from duckfix.models import Task
from duckfix.patches import FileContext
from duckfix.remote_model import ModelRecipe
from duckfix.review_settings import ReviewSettings
from duckfix.runner import RunOptions

__all__ = ["build", "detector", "proposer"]

# The compiler's warnings would cost a full C++ front-end run per pair (the
# ap_int headers); the rule checks read the file's syntax tree in milliseconds.
_CHECKS = {"python": ("python",), "c": ("hls",), "hls": ("hls",)}


def detector(language: str) -> Detect:
    """A ``detect`` hook: the names of the review checks that flag a mutant's changed lines."""
    names = _CHECKS[language]
    settings = ReviewSettings()

    def detect(task: Task, mutant: Mutant, diff: str, mutated: str) -> list[str]:
        changes = parse_diff(diff, mutant.file)
        if not changes:
            return []
        change = changes[0]
        changed = set(change.added_lines) or {mutant.line}
        near = {n + d for n in changed for d in (-1, 0, 1)}
        findings = run_file_checks(FileContext(change, new_text=mutated), settings, names)
        return sorted({f.category.split("/")[0] for f in findings if f.line in near})

    return detect


def proposer(model: LLMClient | ModelRecipe, count: int) -> Propose:
    """A ``propose`` hook asking the model for ``count`` bugs per program.

    Given a recipe rather than a client, the hook builds the client where it
    runs (a Ray worker), so that it pickles.
    """

    def propose(task: Task, text: str, wanted: Sequence[str]) -> list[Mutant]:
        meanings = {name: category(name).meaning for name in wanted}
        client = model.client() if isinstance(model, ModelRecipe) else model
        bugs = propose_bugs(client, text, task.program, task.language, meanings, count)
        return [
            Mutant(
                category=b.category,
                kind=category(b.category).kind,
                file=task.program,
                start=b.start,
                end=b.end,
                replacement=b.replacement,
                line=b.line,
                description=b.explanation,
                mutator="llm",
            )
            for b in bugs
        ]

    return propose


def build(
    tasks: Sequence[Task],
    spec: BuildSpec,
    options: RunOptions,
    *,
    jobs: int = 1,
    client: LLMClient | ModelRecipe | None = None,
    llm_per_program: int = 0,
    on_program: Callable[[ProgramResult], None] | None = None,
    force: bool = False,
    executor: Executor | None = None,
    done: Mapping[str, ProgramResult] | None = None,
) -> Summary:
    """Build the dataset, with the review checks' verdict on each pair and the model's bugs.

    ``client``: a recipe for it when ``executor`` is remote.
    """
    propose = proposer(client, llm_per_program) if client and llm_per_program else None
    return build_dataset(
        tasks,
        spec,
        options,
        jobs=jobs,
        propose=propose,
        detect=detector(spec.language),
        on_program=on_program,
        force=force,
        executor=executor,
        done=done,
    )
