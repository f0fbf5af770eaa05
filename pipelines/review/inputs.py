"""Where a review's patch comes from: a diff or patch e-mail, a commit range, the index.

* A plain unified diff (a file or stdin) is one review with no commit.
* A ``git format-patch`` e-mail, or an mbox of several, is one review per patch:
  the commit message is the body up to the ``---`` line (empty when ``---``
  follows the headers at once), the author is ``From:`` (or the in-body
  ``From:`` git adds when the sender is someone else). Messages without a diff
  (a cover letter) are skipped.
* ``A..B`` is one review of ``git diff A B`` with the commits of ``A..B``.
* The index (``--staged``) is one review of ``git diff --cached``.

Git is read through its command line, on a repository from :func:`open_repo`
(:class:`~duckfix.git_cli.GitRepo`): its git commands run no hook and no
command the repository's configuration names (:mod:`duckfix.gitenv`). Errors
become :class:`~duckfix.errors.RepositoryError`.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from pathlib import Path

from duckfix import gitenv
from duckfix.diff import parse_diff
from duckfix.errors import PatchError, RepositoryError
from duckfix.git_cli import GitRepo
from duckfix.patches import CommitInfo, Review

__all__ = [
    "EMPTY_TREE",
    "from_commits",
    "from_range",
    "from_staged",
    "from_text",
    "is_patch_mail",
    "new_commits",
    "open_repo",
    "parse_patch_mail",
    "split_mbox",
]

_MBOX_FROM = re.compile(r"^From \S+ .*\d{4}$")
_SUBJECT_TAGS = re.compile(r"^\s*(\[[^\]]*\]\s*)+")
_HEADER = re.compile(r"^[A-Za-z][A-Za-z0-9-]*: ")
# git diff options used everywhere: renames found, no colour, no external
# diff driver or textconv (the review must see the bytes that are committed,
# and those are commands the repository's configuration names).
_DIFF_OPTIONS = ("-M", "--no-color", *gitenv.DIFF_OPTIONS, "--src-prefix=a/", "--dst-prefix=b/")


def open_repo(path: Path | str = ".") -> GitRepo:
    """The git repository holding ``path``; :class:`RepositoryError` if there is none.

    Every git command run for it runs no hook and no command its configuration
    names (:func:`duckfix.gitenv.safe_env`).
    """
    return GitRepo.open(path)


def _top(repo: GitRepo) -> Path:
    if repo.top is None:
        raise RepositoryError(f"{repo.git_dir}: a bare repository has no work tree to review")
    return repo.top


def _git(repo: GitRepo, *args: str) -> str:
    return repo.run(*args)


def from_range(repo: GitRepo, spec: str) -> Review:
    """A review of the commits in ``A..B`` (``B`` alone means ``B~1..B``)."""
    if "..." in spec:
        raise RepositoryError(f"{spec}: use A..B (two dots); A...B is not a review range")
    base, sep, head = spec.partition("..")
    if not sep:
        base, head = f"{spec}~1", spec
    base, head = base or "HEAD", head or "HEAD"
    shas = {}
    for name, rev in (("start", base), ("end", head)):
        sha = repo.commit_sha(rev)
        if sha is None:
            raise RepositoryError(f"{spec}: the {name} {rev!r} is not a commit here")
        shas[name] = sha
    diff = _git(repo, "diff", *_DIFF_OPTIONS, shas["start"], shas["end"], "--")
    review = Review(
        label=spec,
        files=parse_diff(diff, f"git diff {spec}"),
        commits=_commits(repo, f"{shas['start']}..{shas['end']}"),
        repo=_top(repo),
        revision=shas["end"],
        range_spec=f"{shas['start'][:12]}..{shas['end'][:12]}",
    )
    return review


EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
"""git's empty tree: the base of a review whose first commit has no parent."""


def new_commits(repo: GitRepo, tip: str, exclude: Sequence[str] = ()) -> list[str]:
    """Commits reachable from ``tip`` but not from remote refs or ``exclude``, oldest first."""
    known = [sha for sha in exclude if _has_commit(repo, sha)]
    out = _git(repo, "rev-list", "--reverse", tip, "--not", *known, "--remotes", "--")
    return out.split()


def _has_commit(repo: GitRepo, sha: str) -> bool:
    return repo.succeeds("cat-file", "-e", f"{sha}^{{commit}}")


def from_commits(repo: GitRepo, commits: Sequence[str], label: str) -> Review:
    """A review of ``commits`` (oldest first, a line of history): their diff and messages.

    The diff runs from the first commit's parent (git's empty tree for a root
    commit) to the last commit.
    """
    if not commits:
        raise RepositoryError(f"{label}: no commit to review")
    first, last = commits[0], commits[-1]
    parents = _git(repo, "rev-list", "--parents", "-n", "1", first).split()[1:]
    base = parents[0] if parents else EMPTY_TREE
    diff = _git(repo, "diff", *_DIFF_OPTIONS, base, last, "--")
    wanted = set(commits)
    history = _commits(repo, f"{base}..{last}" if parents else last)
    return Review(
        label=label,
        files=parse_diff(diff, f"git diff {label}"),
        commits=[c for c in history if c.sha in wanted],
        repo=_top(repo),
        revision=last,
        range_spec=f"{base[:12]}..{last[:12]}" if parents else last[:12],
    )


_LOG_FORMAT = "%H%x00%an <%ae>%x00%B%x1e"


def _commits(repo: GitRepo, rev_range: str) -> list[CommitInfo]:
    out = _git(repo, "log", "--reverse", "--no-color", f"--format={_LOG_FORMAT}", rev_range, "--")
    commits = []
    for record in out.split("\x1e"):
        record = record.strip("\n")
        if not record:
            continue
        sha, author, message = record.split("\x00", 2)
        subject, _, body = message.strip("\n").partition("\n")
        commits.append(CommitInfo(subject, body.strip("\n"), author, sha))
    return commits


def from_staged(repo: GitRepo) -> Review:
    """A review of what ``git commit`` would commit now (the index against ``HEAD``)."""
    diff = _git(repo, "diff", "--cached", *_DIFF_OPTIONS, "--")
    return Review(
        label="staged changes",
        files=parse_diff(diff, "git diff --cached"),
        repo=_top(repo),
        revision=":",
    )


def is_patch_mail(text: str) -> bool:
    """Whether ``text`` is an e-mail (or mbox) rather than a bare diff."""
    head = text.lstrip("\n")[:4096].splitlines()
    if not head:
        return False
    if _MBOX_FROM.match(head[0]):
        return True
    # A bare diff starts with "diff --git" or "--- "; an e-mail with headers.
    for line in head:
        if line.startswith(("diff --git ", "--- ", "+++ ", "@@ ", "Index: ")):
            return False
        if line.lower().startswith(("subject:", "from:", "message-id:")):
            return True
        if not line.strip():
            return False
    return False


def split_mbox(text: str) -> list[str]:
    """The messages of an mbox (``From `` separator lines), or ``[text]`` for one e-mail."""
    lines = text.splitlines(keepends=True)
    starts = [i for i, line in enumerate(lines) if _MBOX_FROM.match(line.rstrip("\r\n"))]
    starts = [i for i in starts if i == 0 or not lines[i - 1].strip()]
    if not starts:
        return [text]
    bounds = [*starts, len(lines)]
    return ["".join(lines[a + 1 : b]) for a, b in itertools.pairwise(bounds)]


def parse_patch_mail(text: str, source: str = "the e-mail") -> tuple[CommitInfo, str] | None:
    """(commit, diff) of one ``git format-patch`` e-mail; None when it carries no diff."""
    # Imported here: the pre-push hook never reads e-mails and should not pay for it.
    import email
    import email.policy
    from email.message import EmailMessage

    msg = email.message_from_string(text, policy=email.policy.default)
    if not isinstance(msg, EmailMessage):  # pragma: no cover - policy.default makes them
        raise PatchError(f"{source}: not an e-mail")
    subject = " ".join(str(msg.get("Subject", "")).split())
    author = str(msg.get("From", ""))
    part = msg.get_body(preferencelist=("plain",))
    if part is None:
        return None
    try:
        payload = part.get_content()
    except (LookupError, ValueError) as exc:
        raise PatchError(f"{source}: the body cannot be decoded ({exc})") from exc
    body = str(payload).replace("\r\n", "\n")
    lines = body.split("\n")
    # git puts "From:" / "Subject:" / "Date:" at the top of the body when the
    # author is not the sender; they win over the mail's own headers.
    while lines and _HEADER.match(lines[0]):
        key, _, value = lines.pop(0).partition(": ")
        if key.lower() == "from":
            author = value.strip()
        elif key.lower() == "subject":
            subject = value.strip()
    if lines and not lines[0].strip():
        lines.pop(0)
    try:
        cut = lines.index("---")
    except ValueError:
        cut = next((i for i, line in enumerate(lines) if line.startswith("diff --git ")), -1)
        if cut < 0:
            return None
    message, rest = lines[:cut], lines[cut:]
    diff_start = next(
        (
            i
            for i, line in enumerate(rest)
            if line.startswith(("diff --git ", "--- a/", "--- /dev/null"))
        ),
        -1,
    )
    if diff_start < 0:
        return None
    diff = "\n".join(rest[diff_start:])
    # format-patch ends the diff with "-- \n<git version>"; it is not part of it.
    diff = re.sub(r"\n-- \n[\s\S]*\Z", "\n", diff)
    subject = _SUBJECT_TAGS.sub("", subject).strip()
    return CommitInfo(subject, "\n".join(message).strip("\n"), author), diff


def from_text(text: str, label: str, repo: GitRepo | None = None) -> list[Review]:
    """Reviews of a bare diff (one) or of a patch e-mail / mbox (one per patch with a diff)."""
    top = _top(repo) if repo is not None else None
    if not is_patch_mail(text):
        if not text.strip():
            raise PatchError(f"{label}: empty; nothing to review")
        files = parse_diff(text, label)
        if not files:
            raise PatchError(f"{label}: no diff found (expected a unified diff or a patch e-mail)")
        return [
            Review(
                label=label,
                files=files,
                repo=top,
                revision="WORKTREE" if top else None,
                patch_text=text,
            )
        ]
    reviews = []
    messages = split_mbox(text)
    for number, mail in enumerate(messages, 1):
        where = f"{label} (message {number})" if len(messages) > 1 else label
        parsed = parse_patch_mail(mail, where)
        if parsed is None:
            continue  # a cover letter, or a reply: nothing to review
        commit, diff = parsed
        reviews.append(
            Review(
                label=commit.subject or where,
                files=parse_diff(diff, where),
                commits=[commit],
                repo=top,
                revision="WORKTREE" if top else None,
                patch_text=mail,
            )
        )
    if not reviews:
        raise PatchError(f"{label}: no patch in it (no message carries a diff)")
    return reviews
