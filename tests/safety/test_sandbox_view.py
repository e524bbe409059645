"""The outside review's sandbox probes (issue 18, High and first Medium), as drafted tests.

Each probe is a pytest file written into a real relay worktree and run by ``testrun.run``,
the path every drafted test takes. It tries what the review did: connect to the host's
Unix sockets (a listener in ``$XDG_RUNTIME_DIR``, one under /run, one under /tmp, one in
HOME and an abstract one), find the main checkout with ``git rev-parse --git-common-dir``
and read its ``.env``, read ``~/.bash_history`` and ``~/.pgpass`` in the user's HOME, and
``/etc/shadow``. The listeners are real sockets on this machine; a connection that reached
one stays in its backlog, so ``accept`` tells. ``Kind.NONE`` (``--unsandboxed-tests``) is
the control: there every probe lands, so each assertion can fail.
"""

from __future__ import annotations

import hashlib
import json
import os
import shlex
import shutil
import socket
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.safety.test_sandbox import BEYOND, _relay_worktree, _usable

from relay_git.safety.sandbox import Kind
from relay_git.scaffold.verify.testrun import run

SECRET = "PROD_DB_PASSWORD=" + "hunter2-" + uuid.uuid4().hex
HISTORY = "mysql -u root -p" + uuid.uuid4().hex
PGPASS = "db.example.com:5432:*:app:" + uuid.uuid4().hex
# File contents are reported as short digests (16 hex digits: no redaction rule takes
# them): test output is redacted, and the control must still show the reads succeeded.
PROBE = r"""
import hashlib, json, os, socket, subprocess

SOCKETS = json.load(open("probe.json"))


def attempt(action):
    try:
        return action()
    except Exception as err:
        return type(err).__name__


def connect(path):
    def go():
        with socket.socket(socket.AF_UNIX) as client:
            client.settimeout(2)
            client.connect(path)
            client.sendall(b"leak")
        return "connected"
    return go


def read(path):
    def go():
        with open(path, "rb") as fh:
            return "read " + hashlib.sha256(fh.read()).hexdigest()[:16]
    return go


def test_probe():
    paths = SOCKETS["paths"]
    result = {name: attempt(connect(path)) for name, path in SOCKETS["sockets"].items()}
    common = subprocess.run(
        ["git", "rev-parse", "--path-format=absolute", "--git-common-dir"],
        capture_output=True, text=True,
    ).stdout.strip()
    main = os.path.dirname(common) if common else ""
    result["found_env"] = attempt(read(os.path.join(main, ".env")))
    result["env"] = attempt(read(paths["env"]))
    result["bash_history"] = attempt(read(paths["bash_history"]))
    result["pgpass"] = attempt(read(paths["pgpass"]))
    result["shadow"] = attempt(read("/etc/shadow"))
    result["listing"] = attempt(lambda: sorted(os.listdir(paths["home"])))
    result["run"] = attempt(lambda: sorted(os.listdir("/run")))
    result["runtime"] = attempt(lambda: sorted(os.listdir(paths["runtime"])))
    result["git_status"] = subprocess.run(
        ["git", "status", "--porcelain"], capture_output=True, text=True
    ).returncode
    print("RESULT " + json.dumps(result))
"""
LANDED = "connected"


def _digest(line: str) -> str:
    return "read " + hashlib.sha256(f"{line}\n".encode()).hexdigest()[:16]


class Listeners:
    """Unix-socket servers on this machine, each with the name of the place it stands for."""

    def __init__(self, places: dict[str, str]) -> None:
        self.paths = places
        self.servers: dict[str, socket.socket] = {}
        for name, path in places.items():
            server = socket.socket(socket.AF_UNIX)
            server.bind(path)
            server.listen(8)
            server.setblocking(False)
            self.servers[name] = server

    def reached(self) -> list[str]:
        """The listeners a connection arrived at."""
        hit = []
        for name, server in self.servers.items():
            try:
                conn, _ = server.accept()
            except BlockingIOError:
                continue
            conn.close()
            hit.append(name)
        return hit

    def close(self) -> None:
        for name, server in self.servers.items():
            server.close()
            if not self.paths[name].startswith("\0"):
                Path(self.paths[name]).unlink(missing_ok=True)


@pytest.fixture
def user_home() -> Iterator[Path]:
    """A HOME outside /tmp (where a private /tmp would hide it anyway) with history files."""
    home = BEYOND.with_name(f".sandbox-view-home-{uuid.uuid4().hex[:12]}")
    home.mkdir()
    (home / ".bash_history").write_text(HISTORY + "\n")
    (home / ".pgpass").write_text(PGPASS + "\n")
    yield home
    shutil.rmtree(home)


@pytest.fixture
def runtime_dir() -> Iterator[Path]:
    """A $XDG_RUNTIME_DIR under /run, where a session bus and agents would listen."""
    if not os.access("/run", os.W_OK):
        pytest.skip("/run is not writable here (the test places host sockets there)")
    path = Path(f"/run/relay-xdg-{uuid.uuid4().hex[:12]}")
    path.mkdir(mode=0o700)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def listeners(tmp_path: Path, user_home: Path, runtime_dir: Path) -> Iterator[Listeners]:
    tag = uuid.uuid4().hex[:12]
    outside_tmp = Path(f"/run/relay-{tag}.sock")
    places = {
        "xdg_runtime_dir": str(runtime_dir / "bus"),
        "run": str(outside_tmp),
        "tmp": str(tmp_path / "agent.sock"),
        "home": str(user_home / "S.gpg-agent"),
        "abstract": f"\0relay-probe-{tag}",
    }
    found = Listeners(places)
    yield found
    found.close()


def _probe(
    kind: Kind, where: str, repo: Path, tmp_path: Path, listeners: Listeners, home: Path
) -> tuple[dict[str, Any], str]:
    (repo / ".env").write_text(SECRET + "\n")  # untracked, in the main checkout
    wt = _relay_worktree(repo, where, tmp_path)
    spec = {
        "sockets": listeners.paths,
        "paths": {
            "env": str(repo / ".env"),
            "bash_history": str(home / ".bash_history"),
            "pgpass": str(home / ".pgpass"),
            "home": str(home),
            "runtime": listeners.paths["xdg_runtime_dir"].rsplit("/", 1)[0],
        },
    }
    (wt.path / "probe.json").write_text(json.dumps(spec))
    (wt.path / "test_probe.py").write_text(PROBE)
    command = f"{shlex.quote(sys.executable)} -m pytest -q -s -p no:cacheprovider test_probe.py"
    environ = {**os.environ, "HOME": str(home), "XDG_RUNTIME_DIR": spec["paths"]["runtime"]}
    outcome = run(command, wt.path, 120, environ, sandbox=kind)
    assert outcome.status == "passed", outcome.output
    assert outcome.sandbox == kind.value
    line = next(x for x in outcome.output.splitlines() if x.startswith("RESULT "))
    result: dict[str, Any] = json.loads(line.removeprefix("RESULT "))
    return result, outcome.output


SOCKETS = ("xdg_runtime_dir", "run", "tmp", "home", "abstract")


@pytest.mark.parametrize("where", ["under-git-dir", "outside-the-repository"])
@pytest.mark.parametrize("kind", [Kind.BWRAP, Kind.UNSHARE])
def test_no_host_socket_and_no_host_secret_is_reachable(
    repo: Path,
    tmp_path: Path,
    listeners: Listeners,
    user_home: Path,
    kind: Kind,
    where: str,
) -> None:
    _usable(kind)
    result, output = _probe(kind, where, repo, tmp_path, listeners, user_home)
    assert listeners.reached() == []
    assert [name for name in SOCKETS if result[name] == LANDED] == []
    for name in ("found_env", "env", "bash_history", "pgpass", "listing"):
        assert result[name] == "FileNotFoundError", (name, result[name])
    empty = "read " + hashlib.sha256(b"").hexdigest()[:16]  # /dev/null, where bound over a file
    assert result["shadow"] in (empty, "FileNotFoundError", "PermissionError")
    # a fresh, empty /run, holding at most the fresh, empty $XDG_RUNTIME_DIR
    assert result["run"] in ([], [Path(listeners.paths["xdg_runtime_dir"]).parent.name])
    assert result["runtime"] in ([], "FileNotFoundError")
    assert result["git_status"] == 0  # git in the worktree still works
    for secret in (SECRET, HISTORY, PGPASS):
        assert secret not in output


@pytest.mark.slow
def test_the_unsandboxed_control_reaches_everything(
    repo: Path, tmp_path: Path, listeners: Listeners, user_home: Path
) -> None:
    """--unsandboxed-tests: every probe above lands, so those assertions can fail."""
    result, _ = _probe(Kind.NONE, "under-git-dir", repo, tmp_path, listeners, user_home)
    assert sorted(listeners.reached()) == sorted(SOCKETS)
    assert result["found_env"] == result["env"] == _digest(SECRET)
    assert result["bash_history"] == _digest(HISTORY) and result["pgpass"] == _digest(PGPASS)


NORMAL_PROJECT = {
    "mypkg/__init__.py": "def double(x):\n    return 2 * x\n",
    "tests/conftest.py": (
        "import pytest\n\n\n@pytest.fixture\ndef scratch(tmp_path):\n    return tmp_path\n"
    ),
    "tests/test_normal.py": (
        "import os, subprocess, tempfile\n"
        "from mypkg import double\n\n\n"
        "def test_import_and_files(scratch):\n"
        "    assert double(2) == 4\n"
        "    (scratch / 'a.txt').write_text('a')\n"
        "    with open('written-by-test.txt', 'w') as fh:\n"
        "        fh.write('w')\n"
        "    with tempfile.NamedTemporaryFile(dir='/tmp') as fh:\n"
        "        fh.write(b'x')\n"
        "    assert os.environ['HOME'] == '/tmp/home' and os.listdir(os.environ['HOME']) == []\n"
        "    out = subprocess.run(['git', 'log', '--format=%s', '-1'], capture_output=True,\n"
        "                         text=True, check=True).stdout.strip()\n"
        "    assert out == 'initial'\n"
    ),
}


@pytest.mark.parametrize("kind", [Kind.BWRAP, Kind.UNSHARE])
def test_a_normal_project_still_runs(repo: Path, tmp_path: Path, kind: Kind) -> None:
    """Imports from the worktree, a conftest fixture, files written in the worktree and /tmp,
    an empty HOME, git reading the history: all as a project's own tests expect."""
    _usable(kind)
    wt = _relay_worktree(repo, "under-git-dir", tmp_path)
    for name, text in NORMAL_PROJECT.items():
        (wt.path / name).parent.mkdir(parents=True, exist_ok=True)
        (wt.path / name).write_text(text)
    command = f"{shlex.quote(sys.executable)} -m pytest -q -p no:cacheprovider"
    outcome = run(command, wt.path, 120, dict(os.environ), sandbox=kind)
    assert outcome.status == "passed", outcome.output
    assert "1 passed" in outcome.output
    assert (wt.path / "written-by-test.txt").read_text() == "w"
