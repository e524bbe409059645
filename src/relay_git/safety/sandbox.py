"""Where model-written code runs: a sandbox with no network, no secrets and one writable tree.

On Linux the test command runs under bubblewrap (``bwrap``) when it works, else in an
equivalent built from util-linux ``unshare`` (user, mount, pid, network namespaces, set up
by ``prelude.py``). Either way the command gets:

- no network (a fresh network namespace: not even the host's loopback);
- write access to the relay worktree and a private /tmp only; everything else, the
  repository's git dirs included, is read-only (git inside the worktree can still read);
- the user's credential stores (``~/.ssh``, ``~/.aws``, ``~/.netrc``… ``HIDDEN``) hidden:
  the rest of the file system stays readable, so a virtualenv under HOME still works;
- no capabilities, its own pid namespace, and an environment allow-list (``environment``).

Where neither works (macOS, a kernel without user namespaces) ``resolve`` refuses with the
reason, unless the caller opts out with ``Kind.NONE`` (``--unsandboxed-tests``).
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from enum import Enum
from pathlib import Path

from relay_git.errors import UsageError
from relay_git.git.run import git

HOME = "/tmp/home"  # inside the sandbox, on its private /tmp
PRELUDE = Path(__file__).with_name("prelude.py")
# Variables a test run may see; everything else (API keys, tokens, AWS_*, GIT_*) is dropped.
ALLOWED_VARS = frozenset({"PATH", "LANG", "LANGUAGE", "TERM", "TZ", "VIRTUAL_ENV", "NO_COLOR"})
ALLOWED_PREFIXES = ("LC_",)
DEFAULT_PATH = "/usr/local/bin:/usr/bin:/bin"
# Under the user's HOME: where keys and tokens live. Test output goes back to the models
# and the worktree gets committed, so the tests must not read these.
HIDDEN = (
    ".ssh",
    ".gnupg",
    ".aws",
    ".azure",
    ".kube",
    ".docker",
    ".netrc",
    ".git-credentials",
    ".pypirc",
    ".npmrc",
    ".password-store",
    ".cargo/credentials",
    ".cargo/credentials.toml",
    ".config/gh",
    ".config/gcloud",
    ".config/relay-git",
    ".local/share/keyrings",
)
PROBE_TIMEOUT = 20.0


class Kind(Enum):
    AUTO = "auto"  # bwrap if it works, else unshare, else refuse
    BWRAP = "bwrap"
    UNSHARE = "unshare"
    NONE = "none"  # --unsandboxed-tests: the user's own privileges


class SandboxUnavailable(UsageError):
    """No working sandbox and no opt-out: exit 2, with the reason."""


def environment(environ: Mapping[str, str], home: str) -> dict[str, str]:
    """The allow-listed environment: PATH, locale, TERM, TZ, VIRTUAL_ENV; HOME and TMPDIR ours."""
    env = {k: v for k, v in environ.items() if k in ALLOWED_VARS or k.startswith(ALLOWED_PREFIXES)}
    env.setdefault("PATH", DEFAULT_PATH)
    env["HOME"] = home
    env["TMPDIR"] = "/tmp" if home == HOME else home
    return env


def git_dirs(worktree: Path) -> tuple[Path, ...]:
    """The worktree's own git dir and the repository's common dir, resolved."""
    proc = git(["rev-parse", "--absolute-git-dir", "--git-common-dir"], worktree, check=False)
    if not proc.ok:
        return ()
    own, common = proc.out.splitlines()[:2]
    paths = {Path(own).resolve(), (worktree / common).resolve()}
    return tuple(sorted(paths))


def tool_dirs(environ: Mapping[str, str]) -> tuple[Path, ...]:
    """Interpreters and PATH entries that live under /tmp, which the sandbox replaces with a
    private tmpfs: they are bound back read-only, so a virtualenv in /tmp still runs."""
    candidates = [sys.prefix, sys.base_prefix, environ.get("VIRTUAL_ENV", "")]
    candidates += environ.get("PATH", "").split(os.pathsep)
    found: set[Path] = set()
    for raw in candidates:
        if not raw:
            continue
        path = Path(raw)
        if not path.is_dir():
            continue
        real = path.resolve()
        if real.is_relative_to("/tmp") and real != Path("/tmp"):
            found.add(real)
    return tuple(sorted(found))


def hidden(environ: Mapping[str, str], keep: Sequence[Path]) -> tuple[Path, ...]:
    """The credential stores under the user's HOME that exist, as real paths.

    A path that holds (or is inside) one of ``keep`` is left visible.
    """
    home = environ.get("HOME")
    if not home:
        return ()
    found = []
    for name in HIDDEN:
        path = Path(home, name)
        if not path.exists():
            continue
        real = path.resolve()
        if not any(k.is_relative_to(real) or real.is_relative_to(k) for k in keep):
            found.append(real)
    return tuple(found)


def bwrap_argv(
    command: str, worktree: Path, dirs: Sequence[Path], hide: Sequence[Path]
) -> list[str]:
    argv = ["bwrap", "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc"]
    for path in hide:
        argv += ["--tmpfs", str(path)] if path.is_dir() else ["--ro-bind", "/dev/null", str(path)]
    argv += ["--tmpfs", "/tmp", "--dir", HOME]
    for d in dirs:
        argv += ["--ro-bind", str(d), str(d)]
    argv += ["--bind", str(worktree), str(worktree)]
    if (worktree / ".git").exists():
        argv += ["--ro-bind", str(worktree / ".git"), str(worktree / ".git")]
    argv += ["--unshare-all", "--die-with-parent", "--new-session", "--cap-drop", "ALL"]
    return [*argv, "--chdir", str(worktree), "/bin/sh", "-c", command]


def unshare_argv(
    command: str, worktree: Path, dirs: Sequence[Path], hide: Sequence[Path]
) -> list[str]:
    spec = {
        "worktree": str(worktree),
        "git_dirs": [str(d) for d in dirs],
        "hide": [str(p) for p in hide],
        "home": HOME,
        "command": command,
    }
    namespaces = ["--user", "--map-root-user", "--net", "--mount", "--ipc", "--uts"]
    return [
        "unshare",
        *namespaces,
        "--pid",
        "--fork",
        "--kill-child",
        "--mount-proc",
        "--",
        sys.executable,
        "-I",
        "-S",
        str(PRELUDE),
        json.dumps(spec),
    ]


def argv(
    kind: Kind, command: str, worktree: Path, environ: Mapping[str, str] | None = None
) -> list[str]:
    """The argv that runs ``command`` through /bin/sh inside ``kind``'s sandbox.

    ``environ`` is the user's environment (its HOME says where credentials are hidden).
    """
    worktree = worktree.resolve()
    tools = tuple(t for t in tool_dirs(environ or {}) if not worktree.is_relative_to(t))
    dirs = (*git_dirs(worktree), *tools)
    hide = hidden(environ or {}, [worktree, *dirs])
    if kind is Kind.BWRAP:
        return bwrap_argv(command, worktree, dirs, hide)
    if kind is Kind.UNSHARE:
        return unshare_argv(command, worktree, dirs, hide)
    return ["/bin/sh", "-c", command]


def probe(kind: Kind, path: str) -> str | None:
    """None when ``kind`` runs a command here (tools found on ``path``); else why not."""
    tool = "bwrap" if kind is Kind.BWRAP else "unshare"
    if not sys.platform.startswith("linux"):
        return f"{tool}: not Linux"
    if shutil.which(tool, path=path) is None:
        return f"{tool}: not installed"
    with tempfile.TemporaryDirectory(prefix="relay-git-probe-") as tmp:
        try:
            proc = subprocess.run(
                argv(kind, "exit 0", Path(tmp)),
                env={"PATH": path},
                stdin=subprocess.DEVNULL,
                capture_output=True,
                timeout=PROBE_TIMEOUT,
            )
        except (OSError, subprocess.TimeoutExpired) as err:
            return f"{tool}: {err}"
    if proc.returncode != 0:
        lines = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        return f"{tool}: {lines[-1] if lines else f'exit {proc.returncode}'}"
    return None


@functools.cache
def _probe_cached(kind: Kind, path: str) -> str | None:
    return probe(kind, path)


def resolve(kind: Kind, environ: Mapping[str, str]) -> Kind:
    """The sandbox to use for ``kind``; AUTO picks bwrap, then unshare, or refuses.

    Tools are looked up on ``environ``'s PATH, the one the test command runs with.
    """
    if kind is Kind.NONE:
        return kind
    wanted = [Kind.BWRAP, Kind.UNSHARE] if kind is Kind.AUTO else [kind]
    reasons = []
    path = environ.get("PATH") or DEFAULT_PATH
    for candidate in wanted:
        why = _probe_cached(candidate, path)
        if why is None:
            return candidate
        reasons.append(why)
    raise SandboxUnavailable(
        f"refusing to run model-written tests without a sandbox ({'; '.join(reasons)})",
        "install bubblewrap (apt-get install bubblewrap), or rerun with --unsandboxed-tests "
        "to run them with your own privileges",
    )
