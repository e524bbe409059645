"""``relay-git log`` prints stored text with no terminal escapes (issue 18, Low).

A repository's path is whatever its directory is called: a clone into a folder whose
name holds an OSC title sequence, a clear-screen, a tab and a bidi override is reviewed
for real (a scripted reviewer), logged, and listed.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.conftest import git
from tests.fakes import FakeBackend, factory, review_reply

from relay_git.cli import main

HOSTILE = "repo\x1b]0;owned\x07\x1b[2J\tnext\u202eline"


def test_log_escapes_a_hostile_repository_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = tmp_path / HOSTILE
    repo.mkdir()
    git(repo, "init", "-q")
    (repo / "app.py").write_text("x = 1\n")
    git(repo, "add", "app.py")
    monkeypatch.chdir(repo)
    fake = FakeBackend("ollama:m")
    fake.default = review_reply()
    assert main(["review", "--reviewer", "ollama:m"], obj={"make_backend": factory(fake)}) == 0
    capsys.readouterr()

    assert main(["log"]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x07" not in out and "\u202e" not in out
    assert "repo\\x1b]0;owned\\x07\\x1b[2J\\tnext\\u202eline" in out
    assert len(out.strip().splitlines()) == 2  # the header and one run, each on one line
    assert main(["log", "--json"]) == 0
    [run] = json.loads(capsys.readouterr().out)
    assert run["repo"] == str(repo)  # JSON keeps the exact path, escaped by JSON itself
