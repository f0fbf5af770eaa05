"""A server job's events shown as a local run shows its steps: the same lines, one live line."""

from __future__ import annotations

from typing import Any

from rich.markup import escape

from duckfix.service.debug_progress import DebugProgress
from duckfix.service.remote.client import Event

__all__ = ["RemoteProgress", "live_view"]


class RemoteProgress(DebugProgress):
    """The live view of ``duckfix debug`` fed by a job's events instead of the graph's steps.

    ``step`` and ``task`` events carry the line the server's own view worded;
    ``progress`` carries the counts the live line shows; ``run`` is the run id,
    said at once as a local run says it (on stderr, even under ``--json``), but
    without the local ``--resume`` hint: the server continues its own jobs.
    """

    def on_event(self, event: Event) -> None:
        from duckfix.service.jobs import announce_run

        data = event.data
        if event.event == "run" and data.get("run_id"):
            announce_run(str(data["run_id"]))  # no resume hint: the server resumes its jobs
            return
        if not self._enabled:
            return
        with self._lock:
            if event.event in ("step", "task") and data.get("text"):
                self._say(escape(str(data["text"])))
            elif event.event == "progress":
                for outcome in ("plausible", "rejected"):
                    self._counts[outcome] = int(data.get(outcome, 0))
                judged = self._counts["plausible"] + self._counts["rejected"]
                self._counts["failed"] = max(0, int(data.get("tried", 0)) - judged)
                self._model_rounds = int(data.get("model_rounds", 0))
                self._refresh(str(data.get("node", "")))


def live_view(state: Any, as_json: bool, kind: str) -> RemoteProgress:
    """A server job's events on stderr, as the local command shows its steps.

    A debug job's live line is shown on a terminal (not under ``--json`` or
    ``-q``); a review shows no live line locally, so none here either. The
    run id is said in every case, as a local run says it.
    """
    from duckfix.service.consoles import console

    err = console(stderr=True)
    enabled = kind == "debug" and err.is_terminal and not as_json and state.verbosity >= 0
    return RemoteProgress(err, enabled=enabled, verbose=state.verbosity > 0)
