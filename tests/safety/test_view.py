"""What the sandbox shows: the mount steps (pure checks) and git in a sha256 repository."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from tests.conftest import git

from relay_git.safety import view
from relay_git.safety.sandbox import Kind, argv, bwrap_argv, bwrap_userns_flags, steps
from relay_git.scaffold.verify.testrun import run


def test_the_view_never_shows_the_root_home_or_run(repo: Path, tmp_path: Path) -> None:
    wt = tmp_path / "wt"
    git(repo, "worktree", "add", "-q", str(wt))
    environ = {**os.environ, "HOME": "/root", "XDG_RUNTIME_DIR": "/run/user/0"}
    mounts = steps("python -m pytest", wt.resolve(), environ)
    shown = {m.target for m in mounts if m.op in ("ro", "rw")}
    assert not shown & {"/", "/home", "/root", "/run", "/var", "/tmp", str(repo)}
    assert not any(  # of home directories: this Python, and bin folders on PATH at most
        Path(t).is_relative_to("/home") or t.startswith("/root/.")
        for t in shown
        if Path(t).name != "bin"
        and not any(Path(t).is_relative_to(p) for p in (sys.prefix, sys.base_prefix))
    )
    assert {"/tmp", "/run", "/run/user/0"} <= {m.target for m in mounts if m.op == "tmpfs"}
    assert str(repo / ".git" / "objects") in shown and str(repo / "README.md") not in shown
    assert not any(t == str(repo / ".git" / "config") for t in shown)  # no extensions: none
    bwrap = bwrap_argv("true", wt, mounts)
    assert "/ /" not in " ".join(bwrap)


@pytest.mark.parametrize("bad", ["/", "/home", "/root", "/tmp", "HOME", "MAIN"])
def test_no_tool_directory_may_cover_home_or_the_checkout(tmp_path: Path, bad: str) -> None:
    home, main = tmp_path / "home", tmp_path / "main"
    home.mkdir()
    main.mkdir()
    path = {"HOME": str(home), "MAIN": str(main)}.get(bad, bad)
    found = view.tool_dirs({"HOME": str(home), "PATH": path}, "true", main)
    assert all(not Path(path).resolve().is_relative_to(f) for f in found if f != Path(path))
    assert Path(path).resolve() not in found


def test_of_home_only_bin_folders_on_path_are_shown(tmp_path: Path) -> None:
    home = tmp_path / "home"
    for name in (".local/bin", ".pyenv/shims", "scripts", ".venv/bin"):
        (home / name).mkdir(parents=True)
    (home / ".venv" / "pyvenv.cfg").write_text("home = /usr/bin\n")
    path = os.pathsep.join(str(home / n) for n in (".local/bin", ".pyenv/shims", "scripts"))
    path += os.pathsep + str(home / ".venv" / "bin")
    found = view.tool_dirs({"HOME": str(home), "PATH": path}, "true", None)
    mine = [p for p in found if p.is_relative_to(home)]
    assert sorted(mine) == [home / ".local" / "bin", home / ".venv"]


def test_a_credential_store_inside_a_shown_tool_dir_is_masked(tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / ".local" / "share" / "keyrings").mkdir(parents=True)
    (home / ".local" / "bin").mkdir()
    mounts = view.build(tmp_path / "wt", [home / ".local"], [], {"HOME": str(home)})
    masks = [m.target for m in mounts if m.op == "mask"]
    assert str(home / ".local" / "share" / "keyrings") in masks
    ro = [m.target for m in mounts].index(str(home / ".local"))
    assert ro < [m.target for m in mounts].index(masks[-1])  # masked after it is bound


@pytest.mark.parametrize("kind", [Kind.BWRAP, Kind.UNSHARE])
def test_git_reads_a_sha256_repository_inside(tmp_path: Path, kind: Kind) -> None:
    """Its config declares extensions.objectformat: the sandbox gets a copy with only that."""
    if shutil.which("bwrap" if kind is Kind.BWRAP else "unshare") is None:
        pytest.skip("the sandbox tool is not installed")
    main = tmp_path / "main"
    main.mkdir()
    git(main, "init", "-q", "--object-format=sha256", "-b", "main")
    git(main, "config", "remote.origin.url", "https://user:tok3n-s3cret@example.com/r.git")
    (main / "a.txt").write_text("a\n")
    git(main, "add", "a.txt")
    git(main, "commit", "-q", "-m", "first")
    wt = tmp_path / "wt"
    git(main, "worktree", "add", "-q", str(wt))
    command = "git log --format=%s -1 && git status --porcelain && git config --list"
    outcome = run(command, wt, 60, dict(os.environ), sandbox=kind)
    assert outcome.status == "passed", outcome.output
    assert outcome.output.startswith("first\n")
    assert "extensions.objectformat=sha256" in outcome.output
    assert "tok3n-s3cret" not in outcome.output and "remote.origin" not in outcome.output


@pytest.mark.parametrize("kind", [Kind.BWRAP, Kind.UNSHARE])
def test_no_user_namespace_can_be_made_inside(tmp_path: Path, kind: Kind) -> None:
    """`unshare -r` fails inside: bwrap forbids new user namespaces where it can (here it
    can); under unshare the new namespace's uid map cannot be written. (A nested namespace
    could only rearrange the sandbox's own view: the host's tree is not in it.)"""
    if shutil.which("bwrap" if kind is Kind.BWRAP else "unshare") is None:
        pytest.skip("the sandbox tool is not installed")
    if kind is Kind.BWRAP:
        assert bwrap_userns_flags(os.environ["PATH"]) == ("--unshare-user", "--disable-userns")
    wt = tmp_path / "wt"
    wt.mkdir()
    outcome = run("unshare -r true && echo MADE", wt, 60, dict(os.environ), sandbox=kind)
    assert "MADE" not in outcome.output


def test_argv_for_none_is_the_plain_shell(tmp_path: Path) -> None:
    assert argv(Kind.NONE, "echo hi", tmp_path) == ["/bin/sh", "-c", "echo hi"]
    assert shlex.join(argv(Kind.NONE, "x", tmp_path)) == "/bin/sh -c x"
    assert subprocess.run(argv(Kind.NONE, "exit 3", tmp_path)).returncode == 3
