"""Model-written tests run sandboxed (issue 11, item 3): real attacks, both sandboxes.

Each test runs a real command through ``testrun.run`` in a real relay worktree (under the
repository's git dir, as by default, or outside it). The attack script tries to reach a
loopback TCP server (a listening socket on 127.0.0.1 stands in for any network peer: its
backlog shows whether a connection ever arrived), write the main repository's hooks and
git dirs, write outside the worktree, redirect the worktree's ``.git`` file, remount the
file system writable and read API keys. ``Kind.NONE`` (``--unsandboxed-tests``) is the
control: the same attacks succeed there, so the assertions can fail.
"""

from __future__ import annotations

import hashlib
import json
import os
import shlex
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import git

from relay_git.git import worktree
from relay_git.git.repo import Repository
from relay_git.safety.sandbox import Kind, SandboxUnavailable, environment, probe, resolve
from relay_git.scaffold.verify.testrun import run

ATTACK = r"""
import json, os, socket, subprocess, sys

port, hook, outside, gitdir, common, tag, beyond = sys.argv[1:8]
result = {}


def attempt(name, action):
    try:
        action()
        result[name] = "ok"
    except Exception as err:
        result[name] = type(err).__name__


def write(path):
    def go():
        with open(path, "w") as fh:
            fh.write("pwned\n")
    return go


attempt("network", lambda: socket.create_connection(("127.0.0.1", int(port)), 3).close())
attempt("hook", write(hook))
attempt("outside", write(outside))  # under /tmp: lands in the private /tmp, if anywhere
attempt("beyond", write(beyond))  # outside the worktree and /tmp
attempt("gitdir", write(os.path.join(gitdir, "pwned")))
attempt("common", write(os.path.join(common, "config.pwned")))
attempt("worktree", write("written-inside.txt"))
attempt("tmp", write(f"/tmp/relay-sandbox-{tag}"))
attempt("home", write(os.path.join(os.environ["HOME"], "dotfile")))
escape = "mount -o remount,rw / ; unshare -rm sh -c 'mount -o remount,rw,bind /; echo x > {}.2'"
if os.environ["HOME"] == "/tmp/home":  # sandboxed: these mounts are the sandbox's own
    subprocess.run(["sh", "-c", escape.format(beyond)], capture_output=True)
result["secrets"] = sorted(k for k in os.environ if "KEY" in k or "TOKEN" in k or "AWS" in k)
result["env"] = sorted(os.environ)
result["home_dir"] = os.environ["HOME"]
result["git_log"] = subprocess.run(
    ["git", "log", "--format=%s", "-1"], capture_output=True, text=True
).stdout.strip()
attempt("dotgit", write(".git"))
print("RESULT " + json.dumps(result))
"""
# Outside /tmp (the sandbox's /tmp is private, so a path there proves nothing): in the
# checkout, or in /var/tmp when the checkout itself lives under /tmp.
_HERE = Path(__file__).resolve().parent
BEYOND = (Path("/var/tmp") if _HERE.is_relative_to("/tmp") else _HERE) / ".sandbox-escape"
SHELL_VARS = {"PWD", "OLDPWD", "SHLVL", "_"}  # set by /bin/sh itself
SECRETS = {
    "OPENAI_API_KEY": "sk-proj-" + "a" * 40,
    "GITHUB_TOKEN": "ghp_" + "b" * 36,
    "AWS_SECRET_ACCESS_KEY": "c" * 40,
    "AWS_ACCESS_KEY_ID": "AKIA" + "D" * 16,
    "ANTHROPIC_API_KEY": "sk-ant-" + "e" * 40,
}


def _usable(kind: Kind) -> None:
    """Skip where the machine (not relay-git) lacks the tool; else the probe must pass."""
    if kind is Kind.NONE:
        return
    if not sys.platform.startswith("linux"):
        pytest.skip("sandboxes are Linux-only")
    if kind is Kind.BWRAP and shutil.which("bwrap") is None:
        pytest.skip("bubblewrap is not installed")
    if kind is Kind.UNSHARE and subprocess.run(["unshare", "-rn", "true"]).returncode != 0:
        pytest.skip("this kernel gives no unprivileged user namespaces")
    assert probe(kind, os.environ["PATH"]) is None


@pytest.fixture
def tag() -> Iterator[str]:
    """A name for the files an attack writes outside the worktree; whatever lands is removed."""
    tag = uuid.uuid4().hex
    yield tag
    for path in (f"/tmp/relay-sandbox-{tag}", BEYOND.with_name(f"{BEYOND.name}-{tag}")):
        Path(path).unlink(missing_ok=True)
        Path(f"{path}.2").unlink(missing_ok=True)


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.2)
    yield server
    server.close()


def _relay_worktree(repo: Path, where: str, tmp_path: Path) -> worktree.RelayWorktree:
    main = Repository.discover(repo)
    path = None if where == "under-git-dir" else tmp_path / "elsewhere"
    return worktree.create(main, "relay/sandbox", main.resolve("HEAD"), path)


def _attack(
    kind: Kind, wt: Path, repo: Path, tmp_path: Path, port: int, tag: str
) -> dict[str, Any]:
    (wt / "attack.py").write_text(ATTACK)
    gitdir = git(wt, "rev-parse", "--absolute-git-dir").strip()
    args = [port, repo / ".git/hooks/post-commit", tmp_path / "outside.txt", gitdir]
    args += [repo / ".git", tag, BEYOND.with_name(f"{BEYOND.name}-{tag}")]
    command = shlex.join([sys.executable, "attack.py", *map(str, args)])
    environ = {**os.environ, **SECRETS}
    outcome = run(command, wt, 60, environ, sandbox=kind)
    assert outcome.status == "passed", outcome.output
    assert outcome.sandbox == kind.value
    line = next(x for x in outcome.output.splitlines() if x.startswith("RESULT "))
    result: dict[str, Any] = json.loads(line.removeprefix("RESULT "))
    return result


@pytest.mark.parametrize("where", ["under-git-dir", "outside-the-repository"])
@pytest.mark.parametrize("kind", [Kind.BWRAP, Kind.UNSHARE])
def test_model_code_is_confined(
    repo: Path, tmp_path: Path, listener: socket.socket, tag: str, kind: Kind, where: str
) -> None:
    _usable(kind)
    wt = _relay_worktree(repo, where, tmp_path)
    result = _attack(kind, wt.path, repo, tmp_path, listener.getsockname()[1], tag)
    blocked = ("network", "hook", "beyond", "gitdir", "dotgit")
    assert all(result[name] != "ok" for name in blocked), json.dumps(result)
    # the common dir is not shown: a write there lands in the sandbox's own tmpfs, if at all
    assert not (repo / ".git" / "config.pwned").exists()
    with pytest.raises(TimeoutError):
        listener.accept()  # no connection ever reached the loopback server
    assert not (repo / ".git/hooks/post-commit").exists()
    assert not (tmp_path / "outside.txt").exists()
    assert not BEYOND.with_name(f"{BEYOND.name}-{tag}").exists()
    assert not BEYOND.with_name(f"{BEYOND.name}-{tag}.2").exists()  # no remount made it writable
    assert not (Path(wt.git_dir) / "pwned").exists()
    assert (wt.path / ".git").read_text().startswith("gitdir: ")
    assert result["worktree"] == result["tmp"] == result["home"] == "ok"
    assert (wt.path / "written-inside.txt").read_text() == "pwned\n"
    assert not Path(f"/tmp/relay-sandbox-{tag}").exists()  # its /tmp was private
    assert result["secrets"] == [] and result["home_dir"] == "/tmp/home"
    allowed = {"PATH", "HOME", "TMPDIR", "LANG", "TERM", "VIRTUAL_ENV", *SHELL_VARS}
    allowed.add("PYTHONDONTWRITEBYTECODE")  # ours: no stale .pyc between drafts
    assert set(result["env"]) <= allowed | {k for k in result["env"] if k.startswith("LC_")}
    assert result["git_log"] == "initial"  # git inside the worktree still reads


def test_the_unsandboxed_control_is_not_confined(
    repo: Path, tmp_path: Path, listener: socket.socket, tag: str
) -> None:
    """--unsandboxed-tests: the same attacks land (so the test above can fail); keys stay out."""
    wt = _relay_worktree(repo, "outside-the-repository", tmp_path)
    result = _attack(Kind.NONE, wt.path, repo, tmp_path, listener.getsockname()[1], tag)
    assert result["network"] == result["hook"] == result["outside"] == result["beyond"] == "ok"
    listener.accept()[0].close()
    assert (repo / ".git/hooks/post-commit").read_text() == "pwned\n"
    assert result["secrets"] == []  # the environment allow-list applies even here
    assert result["home"] == "ok" and result["home_dir"] != os.environ["HOME"]
    assert not Path(result["home_dir"]).exists()  # a scratch HOME, removed after the run


@pytest.mark.parametrize("kind", [Kind.BWRAP, Kind.UNSHARE])
def test_pytest_runs_inside_the_sandbox(repo: Path, tmp_path: Path, kind: Kind) -> None:
    _usable(kind)
    wt = _relay_worktree(repo, "under-git-dir", tmp_path)
    (wt.path / "tests").mkdir()
    (wt.path / "tests" / "test_ok.py").write_text(
        "import tempfile\n\n\ndef test_ok(tmp_path):\n"
        "    (tmp_path / 'x').write_text('x')\n"
        "    assert tempfile.gettempdir() == '/tmp'\n"
    )
    command = f"{shlex.quote(sys.executable)} -m pytest -q"
    outcome = run(command, wt.path, 120, dict(os.environ), sandbox=kind)
    assert outcome.status == "passed", outcome.output
    assert "1 passed" in outcome.output


def test_no_sandbox_refuses_in_one_line(tmp_path: Path) -> None:
    """A PATH without bwrap and unshare stands in for macOS or a locked-down kernel."""
    with pytest.raises(SandboxUnavailable) as caught:
        resolve(Kind.AUTO, {"PATH": str(tmp_path)})
    text = str(caught.value)
    assert "bwrap: not installed" in text and "unshare: not installed" in text
    assert "--unsandboxed-tests" in text and "\n" not in text
    assert caught.value.exit_code == 2
    assert resolve(Kind.NONE, {"PATH": str(tmp_path)}) is Kind.NONE


def test_environment_is_an_allow_list() -> None:
    env = environment(
        {**SECRETS, "PATH": "/bin", "LC_ALL": "C.UTF-8", "GIT_DIR": "/x", "PYTHONPATH": "/evil"},
        "/tmp/home",
    )
    assert env == {
        "PATH": "/bin",
        "LC_ALL": "C.UTF-8",
        "HOME": "/tmp/home",
        "TMPDIR": "/tmp",
        "PYTHONDONTWRITEBYTECODE": "1",
    }


@pytest.mark.parametrize("kind", [Kind.BWRAP, Kind.UNSHARE])
def test_a_timeout_kills_everything_in_the_sandbox(repo: Path, tmp_path: Path, kind: Kind) -> None:
    """A background child of the test command dies with it (pid namespace, die-with-parent)."""
    _usable(kind)
    wt = _relay_worktree(repo, "under-git-dir", tmp_path)
    marker = wt.path / "child-survived"
    start = time.monotonic()
    outcome = run(f"(sleep 2; touch {marker}) & sleep 30", wt.path, 0.5, {}, sandbox=kind)
    assert outcome.status == "timeout" and time.monotonic() - start < 5
    time.sleep(2.5)
    assert not marker.exists()


HOME_SECRETS = {
    ".ssh/id_rsa": "-----BEGIN OPENSSH PRIVATE KEY-----\n",
    ".netrc": "machine example.com password hunter2\n",
    ".config/gh/hosts.yml": "oauth_token: gho_x\n",
    ".aws/credentials": "aws_secret_access_key = y\n",
}
# Contents are reported as short digests (16 hex digits: no redaction rule takes them):
# test output is redacted, and the control must still show that the reads succeeded.
READ_HOME = r"""
import hashlib, json, os, sys

home = sys.argv[1]
seen = {}
for name in (".ssh/id_rsa", ".netrc", ".config/gh/hosts.yml", ".aws/credentials", "notes.txt"):
    try:
        with open(os.path.join(home, name), "rb") as fh:
            seen[name] = "read " + hashlib.sha256(fh.read()).hexdigest()[:16]
    except OSError as err:
        seen[name] = type(err).__name__
print("RESULT " + json.dumps(seen))
"""


@pytest.fixture
def user_home() -> Iterator[Path]:
    """A HOME with credentials, outside /tmp (a private /tmp would hide one under it anyway)."""
    home = BEYOND.with_name(f".sandbox-home-{uuid.uuid4().hex}")
    for name, text in {**HOME_SECRETS, "notes.txt": "not a secret\n"}.items():
        (home / name).parent.mkdir(parents=True, exist_ok=True)
        (home / name).write_text(text)
    yield home
    shutil.rmtree(home)


@pytest.mark.parametrize("kind", [Kind.BWRAP, Kind.UNSHARE, Kind.NONE])
def test_credential_stores_in_home_are_hidden(
    repo: Path, tmp_path: Path, user_home: Path, kind: Kind
) -> None:
    _usable(kind)
    wt = _relay_worktree(repo, "under-git-dir", tmp_path)
    (wt.path / "read_home.py").write_text(READ_HOME)
    command = shlex.join([sys.executable, "read_home.py", str(user_home)])
    outcome = run(command, wt.path, 60, {**os.environ, "HOME": str(user_home)}, sandbox=kind)
    assert outcome.status == "passed", outcome.output
    line = next(x for x in outcome.output.splitlines() if x.startswith("RESULT "))
    seen = json.loads(line.removeprefix("RESULT "))
    for name, text in {**HOME_SECRETS, "notes.txt": "not a secret\n"}.items():
        if kind is Kind.NONE:
            digest = hashlib.sha256(text.encode()).hexdigest()[:16]
            assert seen[name] == f"read {digest}"  # the control: the reads succeed unsandboxed
        else:  # the user's HOME is not part of the view at all
            assert seen[name] == "FileNotFoundError", seen


@pytest.mark.parametrize("kind", [Kind.BWRAP, Kind.UNSHARE])
def test_a_virtualenv_under_tmp_still_runs_inside_the_sandbox(
    repo: Path, tmp_path: Path, kind: Kind
) -> None:
    """The sandbox's /tmp is private; a virtualenv that lives in /tmp is bound back read-only."""
    _usable(kind)
    assert tmp_path.resolve().is_relative_to("/tmp")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    wt = _relay_worktree(repo, "under-git-dir", tmp_path)
    env = {**os.environ, "VIRTUAL_ENV": str(venv), "PATH": f"{venv / 'bin'}:{os.environ['PATH']}"}
    probe = f"python -c 'import sys; print(sys.prefix)' && touch {venv}/written"
    outcome = run(probe, wt.path, 60, env, sandbox=kind)
    assert str(venv) in outcome.output, outcome.output
    assert not (venv / "written").exists()  # read-only in there
