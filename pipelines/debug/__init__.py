"""The debug workflow: reproduce, localize, fix and validate, review, explain."""

from duckfix.pipelines.debug.context import DebugContext
from duckfix.pipelines.debug.graph import build_graph, debug_task
from duckfix.pipelines.debug.state import DebugInput, DebugResult, DebugState

__all__ = ["DebugContext", "DebugInput", "DebugResult", "DebugState", "build_graph", "debug_task"]
