"""``run.git``, the one place relay-git starts git, and ``Repository.run``, on real repositories."""

from __future__ import annotations

import ast
import hashlib
import os
from pathlib import Path

import pytest
from tests.conftest import git as shell_git

import relay_git
from relay_git.errors import GitError, UsageError
from relay_git.git.repo import Repository
from relay_git.git.run import Result, git

SRC = Path(relay_git.__file__).resolve().parent
SPAWNERS = {"run", "Popen", "call", "check_call", "check_output"}


def test_result_carries_exit_code_stdout_and_stderr(repo: Path) -> None:
    head = git(["rev-parse", "HEAD"], repo)
    assert head.ok and head.rc == 0 and head.out == shell_git(repo, "rev-parse", "HEAD")
    missing = git(["cat-file", "blob", "HEAD:nope"], repo, check=False)
    assert missing == Result(128, "", missing.err) and not missing.ok
    assert "nope" in missing.err


def test_check_raises_with_the_subcommand_and_gits_last_line(repo: Path) -> None:
    with pytest.raises(GitError, match=r"^git cat-file failed: fatal: .*nope"):
        git(["cat-file", "blob", "HEAD:nope"], repo)


def test_bytes_survive_decoding_lone_cr_and_invalid_utf8(repo: Path) -> None:
    """Text mode would turn a lone \\r into a line break; invalid UTF-8 round-trips."""
    data = b"a\rb\xff\r\n"
    (repo / "odd.bin").write_bytes(data)
    shell_git(repo, "add", "odd.bin")
    shell_git(repo, "commit", "-q", "-m", "odd")
    out = git(["cat-file", "blob", "HEAD:odd.bin"], repo).out
    assert out.encode("utf-8", "surrogateescape") == data


def test_input_text_and_env_are_passed_in(repo: Path) -> None:
    blob = git(["hash-object", "--stdin"], repo, input_text="x\n").out.strip()
    assert blob == hashlib.sha1(b"blob 2\x00x\n").hexdigest()
    env = {**os.environ, "GIT_AUTHOR_NAME": "Passed In"}
    assert git(["var", "GIT_AUTHOR_IDENT"], repo, env=env).out.startswith("Passed In <")


def test_git_missing_from_path_is_a_usage_error(repo: Path, tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="git is not installed"):
        git(["status"], repo, env={"PATH": str(tmp_path / "empty")})


def test_a_missing_folder_is_not_reported_as_missing_git(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no such directory") as caught:
        git(["status"], tmp_path / "gone")
    assert "not installed" not in str(caught.value)


def test_repository_run_returns_the_result_and_never_raises(repo: Path) -> None:
    r = Repository.discover(repo)
    assert r.run("rev-parse", "--verify", "-q", "nope").rc == 1
    assert r.run("rev-parse", "HEAD").out.strip() == r.resolve("HEAD")
    with pytest.raises(GitError):
        r.git("rev-parse", "--verify", "-q", "nope")
    assert r.git("rev-parse", "--verify", "-q", "nope", check=False) == ""


def test_has_head_is_false_in_an_empty_repository(tmp_path: Path) -> None:
    shell_git(tmp_path, "init", "-q")
    assert not Repository.discover(tmp_path).has_head()


def _starts_git(call: ast.Call) -> bool:
    func = call.func
    spawner = isinstance(func, ast.Attribute) and func.attr in SPAWNERS
    argv = call.args[0] if call.args else None
    first = argv.elts[0] if isinstance(argv, ast.List | ast.Tuple) and argv.elts else None
    return spawner and isinstance(first, ast.Constant) and first.value == "git"


def test_only_git_run_starts_git() -> None:
    """No module but git/run.py builds a ``["git", ...]`` subprocess (the choke point)."""
    starters = sorted(
        str(path.relative_to(SRC))
        for path in SRC.rglob("*.py")
        if any(
            isinstance(node, ast.Call) and _starts_git(node)
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        )
    )
    assert starters == ["git/run.py"]


@pytest.mark.parametrize(
    "name", ["odd\nname", "two\n\nbreaks\n", "carriage\rreturn", "form\x0cfeed"]
)
def test_discover_a_repository_whose_path_holds_a_line_break(tmp_path: Path, name: str) -> None:
    """Each path is one line of git's answer unless it holds a line break of its own; it
    was split there (and reported as "git is not installed")."""
    root = tmp_path / name / "repo"
    root.mkdir(parents=True)
    shell_git(root, "init", "-q")
    (root / "sub").mkdir()
    r = Repository.discover(root / "sub")
    assert r.root == root and r.git_dir == root / ".git" and r.common_dir == root / ".git"
    assert not r.has_head()


def test_review_runs_in_a_repository_whose_path_holds_a_line_break(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """What the user saw: `relay-git review` there said "git is not installed"."""
    from relay_git.cli import main

    root = tmp_path / "odd\nname"
    root.mkdir()
    shell_git(root, "init", "-q")
    monkeypatch.chdir(root)
    assert main(["review"], obj={"make_backend": None}) == 0
    err = capsys.readouterr().err
    assert "relay-git: nothing to review (staged changes: no changes)" in err
    assert "not installed" not in err
