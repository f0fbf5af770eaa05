"""Click parameter types the commands share."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, TypeVar

import click

__all__ = ["SECONDS", "FiniteFloat", "executor_options"]

F = TypeVar("F", bound=Callable[..., Any])


class FiniteFloat(click.FloatRange):
    """A float in a range that is never NaN or infinite.

    click's FloatRange lets ``nan`` through (every comparison with it is
    false) and ``inf`` (a budget that never runs out); neither is a number of
    seconds anyone means.
    """

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        number = super().convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number.", param, ctx)
        return number


SECONDS = FiniteFloat(min=0, min_open=True)
"""A duration in seconds: finite and above zero."""


def executor_options(command: F) -> F:
    """``--executor`` and ``--ray-address``: where a batch command's items run."""
    command = click.option(
        "--ray-address",
        metavar="ADDRESS",
        help="Run on this Ray cluster (implies --executor ray; default: the ray_address setting).",
    )(command)
    return click.option(
        "--executor",
        type=click.Choice(["local", "ray"]),
        help="Threads here, or Ray tasks (the ray extra; default: the executor setting).",
    )(command)
