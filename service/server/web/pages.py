"""The web page's HTML, built on the server: every piece of user or task text goes through ``e``.

No template engine: the pages are few and small, and one escaping function
applied at each insertion is easy to check (a test renders ``<script>`` and
``a[i]`` in a finding and a task name). The only script is ``live.js``, which
follows a running job's events.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from typing import Any

from duckfix.service.report import diff_html

__all__ = ["debug_page", "job_page", "jobs_page", "layout", "login_page", "review_form"]

KINDS = ("review", "debug", "bench")
STATES = ("queued", "running", "succeeded", "failed", "cancelled")
RUNNING = ("queued", "running")


def e(value: object) -> str:
    """Text as HTML: ``<``, ``&`` and quotes escaped (None is empty)."""
    return "" if value is None else html.escape(str(value), quote=True)


def layout(title: str, body: str, *, who: str | None = None) -> str:
    """A whole page: the head, a bar with the links (and logout, when logged in), ``body``."""
    bar = ""
    if who is not None:
        bar = (
            '<nav><a href="/web">runs</a> <a href="/web/review">review a diff</a>'
            f'<span class="who">{e(who)}</span>'
            '<form method="post" action="/web/logout"><button id="logout">log out</button></form>'
            "</nav>"
        )
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>duckfix: {e(title)}</title>"
        '<link rel="stylesheet" href="/web/static/web.css"></head>'
        f"<body>{bar}<main><h1>{e(title)}</h1>{body}</main></body></html>"
    )


def login_page(error: str = "") -> str:
    said = f'<p class="error" id="error">{e(error)}</p>' if error else ""
    body = (
        f'{said}<form method="post" action="/web/login" id="login">'
        '<label>token <input type="password" name="token" id="token" autocomplete="off" '
        "required></label> <button>log in</button></form>"
        "<p>A token from <code>duckfix tokens create NAME</code>.</p>"
    )
    return layout("log in", body)


def jobs_page(jobs: Sequence[Any], who: str, kind: str | None, state: str | None) -> str:
    """The runs list (kind, state, when, who), newest first, with its filters."""

    def options(name: str, values: Iterable[str], chosen: str | None) -> str:
        items = "".join(
            f"<option{' selected' if v == chosen else ''}>{e(v)}</option>" for v in values
        )
        return f'<select name="{name}"><option value="">any {name}</option>{items}</select>'

    filters = (
        '<form method="get" action="/web" class="filters">'
        f"{options('kind', KINDS, kind)} {options('state', STATES, state)} "
        "<button>filter</button></form>"
    )
    rows = "".join(
        f'<tr class="{e(j.state)}"><td><a href="/web/jobs/{e(j.id)}">{e(j.id[:12])}</a></td>'
        f'<td>{e(j.kind)}</td><td>{e(_label(j))}</td><td class="state">{e(j.state)}</td>'
        f"<td>{e(j.created_at)}</td><td>{e(j.token)}</td></tr>"
        for j in jobs
    )
    table = (
        '<table id="jobs"><tr><th>job</th><th>kind</th><th>what</th><th>state</th>'
        f"<th>when</th><th>who</th></tr>{rows}</table>"
        if jobs
        else '<p id="jobs">no runs yet</p>'
    )
    return layout("runs", filters + table, who=who)


def _label(job: Any) -> str:
    request = job.request or {}
    for key in ("label", "range", "name", "filename", "suite"):
        if request.get(key):
            return str(request[key])
    return ""


def review_form(who: str, error: str = "") -> str:
    said = f'<p class="error" id="error">{e(error)}</p>' if error else ""
    body = (
        f'{said}<form method="post" action="/web/review" id="review">'
        '<p><label>name <input name="label" id="label" value="change.diff"></label></p>'
        '<p><textarea name="diff" id="diff" rows="20" cols="100" required '
        'placeholder="a unified diff (git diff) or a patch e-mail (git format-patch)">'
        "</textarea></p>"
        '<p><label><input type="checkbox" name="no_model" value="1" checked> without the model'
        '</label> <button id="submit">review</button></p></form>'
    )
    return layout("review a diff", body, who=who)


def job_page(job: Any, who: str, result_html: str) -> str:
    """A job: what it is, its state, then its live progress or its result."""
    facts = [
        ("kind", job.kind),
        ("state", job.state),
        ("who", job.token),
        ("submitted", job.created_at),
        ("started", job.started_at),
        ("finished", job.finished_at),
        ("run", job.run_id),
        ("exit code", job.exit_code),
    ]
    dl = "".join(f"<dt>{e(k)}</dt><dd>{e(v)}</dd>" for k, v in facts if v is not None)
    body = f'<dl id="facts" data-state="{e(job.state)}">{dl}</dl>'
    if job.reason:
        body += f'<p class="error" id="reason">{e(job.reason)}</p>'
    if job.state in RUNNING:
        events = f"/web/jobs/{e(job.id)}/events"
        body += (
            f'<section id="live" data-events="{events}"><p id="line">waiting for the job</p>'
            '<ol id="steps"></ol></section><script src="/web/static/live.js"></script>'
        )
    body += result_html
    return layout(f"{job.kind} {_label(job) or job.id[:12]}", body, who=who)


# -- results ----------------------------------------------------------------------------


def review_result(document: dict[str, Any], files_by_patch: Sequence[Sequence[Any]]) -> str:
    """A review: per patch, per file, the diff with each finding under the line it is on."""
    counts = document.get("counts") or {}
    said = ", ".join(
        f"{n} {s}" + ("" if n == 1 else "s")
        for s in ("error", "warning", "note")
        for n in [int(counts.get(s, 0))]
    )
    out = [f'<p id="counts">{e(said)}</p>']
    patches = document.get("patches") or []
    for index, patch in enumerate(patches):
        files = files_by_patch[index] if index < len(files_by_patch) else []
        if len(patches) > 1:
            out.append(f"<h2>{e(patch.get('label'))}</h2>")
        out.append(_patch_html(patch.get("findings") or [], files))
    if document.get("omitted"):
        out.append("<ul>" + "".join(f"<li>{e(o)}</li>" for o in document["omitted"]) + "</ul>")
    return '<section id="review">' + "".join(out) + "</section>"


def _finding(f: dict[str, Any]) -> str:
    suggestion = (
        f'<pre class="suggestion">{e(f["suggestion"])}</pre>' if f.get("suggestion") else ""
    )
    return (
        f'<div class="finding {e(f.get("severity"))}"><b>{e(f.get("severity"))}</b> '
        f"<code>{e(f.get('category'))}</code> {e(f.get('path'))}:{e(f.get('line'))}: "
        f'<span class="message">{e(f.get("message"))}</span>{suggestion}</div>'
    )


def _patch_html(findings: list[dict[str, Any]], files: Sequence[Any]) -> str:
    by_path: dict[str, list[dict[str, Any]]] = {}
    for f in findings:
        by_path.setdefault(str(f.get("path")), []).append(f)
    order = [c.path for c in files] + [p for p in by_path if p not in {c.path for c in files}]
    changes = {c.path: c for c in files}
    out = []
    for path in order:
        here = by_path.get(path, [])
        out.append(f'<section class="file"><h3>{e(path)}</h3>')
        change = changes.get(path)
        placed: set[int] = set()
        if change is not None:
            lines = []
            for hunk in change.hunks:
                lines.append(
                    f'<span class="hunk">@@ -{hunk.old_start},{hunk.old_length} '
                    f"+{hunk.new_start},{hunk.new_length} @@ {e(hunk.section)}</span>"
                )
                for line in hunk.lines:
                    kind = {"+": "add", "-": "del"}.get(line.kind, "ctx")
                    number = "" if line.new is None else str(line.new)
                    lines.append(
                        f'<span class="{kind}"><i>{number:>5}</i> {e(line.kind)}{e(line.text)}'
                        "</span>"
                    )
                    if line.new is not None and line.kind != "-":
                        at = [i for i, f in enumerate(here) if f.get("line") == line.new]
                        for i in at:
                            lines.append(_finding(here[i]))
                        placed.update(at)
            out.append(f'<pre class="diff">{"".join(lines)}</pre>')
        rest = [f for i, f in enumerate(here) if i not in placed]
        out.extend(_finding(f) for f in rest)
        out.append("</section>")
    return "".join(out) or "<p>no findings</p>"


def debug_page(document: dict[str, Any]) -> str:
    """A debug result: status, suspects with their code, the fix coloured, the explanation."""
    out = [f'<p id="status" class="{e(document.get("status"))}">{e(document.get("status"))}: '
           f'{e(document.get("stop_reason"))}</p>']  # fmt: skip
    program = document.get("program") or {}
    suspects = document.get("suspects") or []
    if suspects:
        rows = []
        for rank, s in enumerate(suspects[:5], 1):
            lines = str(program.get(s.get("path"), "")).splitlines()
            line = int(s.get("line") or 0)
            code = lines[line - 1].strip() if 0 < line <= len(lines) else ""
            rows.append(
                f"<tr><td>{rank}</td><td>{e(s.get('path'))}:{line}</td>"
                f"<td>{float(s.get('score') or 0):.2f}</td><td><code>{e(code)}</code></td></tr>"
            )
        out.append(
            '<h2>suspect lines</h2><table id="suspects"><tr><th>rank</th><th>line</th>'
            f"<th>score</th><th>code</th></tr>{''.join(rows)}</table>"
        )
    patch = document.get("patch") or {}
    if patch.get("diff"):
        out.append(f'<h2>fix</h2><pre class="diff" id="fix">{diff_html(patch["diff"])}</pre>')
    explanation = document.get("explanation") or {}
    if explanation:
        out.append(f'<h2>why</h2><p id="summary"><b>{e(explanation.get("summary"))}</b></p>')
        for label, key in (("cause", "root_cause"), ("why the fix works", "why_fix_works")):
            if explanation.get(key):
                out.append(f"<p><b>{e(label)}:</b> {e(explanation[key])}</p>")
        items = "".join(f"<li>{e(x)}</li>" for x in explanation.get("evidence") or [])
        out.append(f"<ul>{items}</ul>" if items else "")
    return '<section id="debug">' + "".join(out) + "</section>"


def bench_result(job_id: str) -> str:
    """A bench run: its report (tables and plots), the page ``duckfix bench report`` writes."""
    src = f"/web/jobs/{e(job_id)}/report"
    return (
        f'<section id="bench"><p><a href="{src}">the report on its own page</a></p>'
        f'<iframe id="report" src="{src}" title="bench report"></iframe></section>'
    )
