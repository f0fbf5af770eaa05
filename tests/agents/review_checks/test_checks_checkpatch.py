"""The repository's own scripts/checkpatch.pl on each patch, its lines mapped to findings.

The tests' checkpatch is a small perl script of our own that speaks checkpatch's
``--terse --showfile --show-types`` format: it flags added lines holding
``FIXME`` (on the new file's line) and a subject that ends with a period (on
the patch's line, as checkpatch reports commit-message problems).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from duckfix.agents.review_checks.checkpatch import parse_output
from duckfix.patches import CommitInfo
from duckfix.pipelines.review.inputs import from_range, from_text, open_repo
from duckfix.pipelines.review.run import run_review
from duckfix.review_settings import ReviewSettings

from tests.pipelines.review.gitrepo import GitRepo

pytestmark = pytest.mark.skipif(shutil.which("perl") is None, reason="perl is not installed")

FAKE_CHECKPATCH = r"""#!/usr/bin/perl
use strict;
my %opts = map { $_ => 1 } @ARGV;
die "no --no-file\n" unless $opts{"--no-file"} && $opts{"--showfile"} && $opts{"--terse"};
my $conf = "$ENV{CHECKPATCH_CONFIG_DIR}/.checkpatch.conf";
my $strict = (-f $conf && `cat $conf` =~ /--strict/) ? 1 : 0;
my ($file, $line, $n) = ("", 0, 0);
while (my $l = <STDIN>) {
    $n++;
    chomp $l;
    print "-:$n: WARNING:SUBJECT_PERIOD: ends with a period\n" if $l =~ /^Subject: .*\.$/;
    if ($l =~ m{^\+\+\+ b/(.*)$}) { $file = $1; next; }
    if ($l =~ /^@@ -\d+(?:,\d+)? \+(\d+)/) { $line = $1 - 1; next; }
    next if $file eq "";
    if ($l =~ /^\+/) {
        $line++;
        print "$file:$line: WARNING:FIXME: FIXME comment\n" if $l =~ /FIXME/;
        print "$file:$line: CHECK:STRICT_ONLY: a strict check\n" if $strict && $l =~ /strict/;
    }
    elsif ($l =~ /^ /) { $line++; }
}
exit 0;
"""

SETTINGS = ReviewSettings(checks=("checkpatch", "commit"))


@pytest.fixture
def repo(tmp_path: Path) -> GitRepo:
    repo = GitRepo(tmp_path / "r")
    repo.commit(
        "Start\n\nThe tool.",
        {"scripts/checkpatch.pl": FAKE_CHECKPATCH, ".checkpatch.conf": "-f\n--strict\n",
         "src/a.c": "int a;\n"},
    )  # fmt: skip
    repo.commit("Add b.\n\nWith a FIXME.", {"src/a.c": "int a;\n/* FIXME strict */\nint b;\n"})
    return repo


def test_checkpatch_lines_become_findings_on_the_file_and_the_message(repo: GitRepo) -> None:
    git = open_repo(repo.root)
    outcome = run_review(from_range(git, "HEAD~1..HEAD"), SETTINGS, git)
    got = {(f.path, f.line, f.category, f.severity) for f in outcome.findings}
    assert ("src/a.c", 2, "checkpatch/FIXME", "warning") in got
    assert ("src/a.c", 2, "checkpatch/STRICT_ONLY", "note") in got  # .checkpatch.conf read
    assert ("COMMIT_MSG", 1, "checkpatch/SUBJECT_PERIOD", "warning") in got
    assert [r.status for r in outcome.coverage if r.check == "checkpatch"] == ["ran"]


def test_a_patch_mail_is_checked_as_it_came(repo: GitRepo) -> None:
    mail = repo.git("format-patch", "--stdout", "-1", "HEAD")
    repo.git("reset", "-q", "--hard", "HEAD~1")  # the patch is not applied here
    git = open_repo(repo.root)
    (review,) = from_text(mail, "p.patch", git)
    outcome = run_review(review, SETTINGS, git)
    assert ("src/a.c", 2, "checkpatch/FIXME") in {
        (f.path, f.line, f.category) for f in outcome.findings
    }


def test_no_script_no_check_and_a_broken_one_is_coverage(repo: GitRepo, tmp_path: Path) -> None:
    plain = GitRepo(tmp_path / "plain")
    plain.commit("Start\n\nX.", {"a.c": "int a;\n"})
    plain.commit("More\n\nY.", {"a.c": "int a; /* FIXME */\n"})
    git = open_repo(plain.root)
    outcome = run_review(from_range(git, "HEAD~1..HEAD"), SETTINGS, git)
    assert not [r for r in outcome.coverage if r.check == "checkpatch"]
    repo.commit("Break it\n\nZ.", {"scripts/checkpatch.pl": "die 'broken';\n"})
    git = open_repo(repo.root)
    outcome = run_review(from_range(git, "HEAD~1..HEAD"), SETTINGS, git)
    (missed,) = outcome.not_run
    assert missed.check == "checkpatch" and "exited with status" in missed.reason
    assert not [f for f in outcome.findings if f.category.startswith("checkpatch/")]


def test_parse_output_keeps_only_known_files_and_maps_message_lines() -> None:
    commit = CommitInfo("Fix it.", "Because.\n\nSigned-off-by: A <a@x>", "A <a@x>", "abc")
    patch = "From abc\nSubject: [PATCH] Fix it.\n\nBecause.\n\nSigned-off-by: A <a@x>\n---\n"
    output = (
        "-:6: WARNING:BAD_SIGN_OFF: odd sign-off\n"
        "a.c:3: ERROR:CODE_INDENT: code indent should use tabs\n"
        "other.c:1: WARNING:X: not in this patch\n"
        "total: 1 errors\n"
    )
    found = parse_output(output, patch, commit, {"a.c"})
    assert [(f.path, f.line, f.severity) for f in found] == [
        ("COMMIT_MSG", 5, "warning"), ("a.c", 3, "error")
    ]  # fmt: skip
