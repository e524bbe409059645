"""Where model-written code runs: a sandbox with no network, no secrets and one writable tree.

On Linux the test command runs under bubblewrap (``bwrap``) when it works, else in an
equivalent built from util-linux ``unshare`` (user, mount, pid, network namespaces, set up
by ``prelude.py``). Either way the command gets:

- no network (a fresh network namespace: not even the host's loopback);
- a file system built from what it needs (``view``): system directories and the
  interpreter read-only, the relay worktree writable, of the repository only what git in
  the worktree reads; fresh tmpfs on /tmp, /run and $XDG_RUNTIME_DIR, an empty HOME. The
  host's Unix sockets, HOME, /root and the main checkout (its ``.env``) are not there;
- no capabilities, no new user namespaces, its own pid namespace, and an environment
  allow-list (``environment``).

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

from relay_git.errors import SandboxUnavailable
from relay_git.safety import redact, view

HOME = view.HOME
PRELUDE = Path(__file__).with_name("prelude.py")
# Variables a test run may see; everything else (API keys, tokens, AWS_*, GIT_*, other
# LC_* settings) is dropped.
ALLOWED_VARS = frozenset(
    {"PATH", "LANG", "LC_ALL", "LC_CTYPE", "TERM", "TZ", "VIRTUAL_ENV", "NO_COLOR"}
)
DEFAULT_PATH = "/usr/local/bin:/usr/bin:/bin"
PROBE_TIMEOUT = 20.0


class Kind(Enum):
    AUTO = "auto"  # bwrap if it works, else unshare, else refuse
    BWRAP = "bwrap"
    UNSHARE = "unshare"
    NONE = "none"  # --unsandboxed-tests: the user's own privileges


def environment(environ: Mapping[str, str], home: str) -> dict[str, str]:
    """The allow-listed environment: PATH, locale, TERM, TZ, VIRTUAL_ENV; HOME and TMPDIR ours."""
    env = {k: v for k, v in environ.items() if k in ALLOWED_VARS}
    env.setdefault("PATH", DEFAULT_PATH)
    env["HOME"] = home
    env["TMPDIR"] = "/tmp" if home == HOME else home
    # A draft rewritten within the same second at the same size would otherwise be run
    # from the stale .pyc of the one before (its timestamp check cannot tell them apart).
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


DOTENV_FILES = (".env", ".env.local", ".env.production", ".env.development", ".envrc")


def known_secrets(worktree: Path, environ: Mapping[str, str]) -> tuple[str, ...]:
    """Secret values the test output must not carry, however encoded: those of the user's
    secret-named variables and of the ``.env`` files beside the worktree and in the main
    checkout (which the sandbox hides, but an unsandboxed run can read)."""
    roots = [worktree]
    main, _ = view.main_checkout(worktree)
    if main is not None:
        roots.append(main)
    found = list(redact.known_values(environ))
    for root in roots:
        for name in DOTENV_FILES:
            found += redact.dotenv_values(root / name)
    return tuple(dict.fromkeys(found))


def steps(command: str, worktree: Path, environ: Mapping[str, str]) -> list[view.Mount]:
    """The mount steps of the view ``command`` runs in (see ``view``)."""
    if worktree in view.forbidden(environ, None):  # it would show what the view hides
        raise SandboxUnavailable(f"refusing to run tests with {worktree} as their worktree")
    main, git_binds = view.git_view(worktree)
    forbidden = [worktree, *([main] if main else [])]
    tools = [
        t
        for t in view.tool_dirs(environ, command, main)
        if not any(f.is_relative_to(t) for f in forbidden)
    ]
    return view.build(worktree, tools, git_binds, environ)


@functools.cache
def bwrap_userns_flags(path: str) -> tuple[str, ...]:
    """``--unshare-user --disable-userns`` (no user namespaces inside: no remounting the view
    from within) where this bwrap and kernel allow it; else nothing, and the view still holds."""
    flags = ("--unshare-user", "--disable-userns")
    try:
        proc = subprocess.run(
            ["bwrap", "--ro-bind", "/", "/", *flags, "true"],
            env={"PATH": path},
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=PROBE_TIMEOUT,
        )
    except (OSError, subprocess.TimeoutExpired):
        return ()
    return flags if proc.returncode == 0 else ()


def bwrap_argv(
    command: str, worktree: Path, mounts: Sequence[view.Mount], userns: Sequence[str] = ()
) -> list[str]:
    argv = ["bwrap"]
    for m in mounts:
        if m.op in ("ro", "rw"):
            argv += ["--ro-bind" if m.op == "ro" else "--bind", m.source, m.target]
        elif m.op == "mask" and os.path.isdir(m.target):
            argv += ["--tmpfs", m.target, "--remount-ro", m.target]
        elif m.op == "mask":
            argv += ["--ro-bind", "/dev/null", m.target]
        elif m.op == "symlink":
            argv += ["--symlink", m.source, m.target]
        else:  # tmpfs, dir, dev, proc
            argv += [f"--{m.op}", m.target]
    argv += ["--remount-ro", "/", "--unshare-all", *userns]
    argv += ["--die-with-parent", "--new-session", "--cap-drop", "ALL"]
    return [*argv, "--chdir", str(worktree), "/bin/sh", "-c", command]


def unshare_argv(command: str, worktree: Path, mounts: Sequence[view.Mount]) -> list[str]:
    spec = {
        "worktree": str(worktree),
        "mounts": [m.to_dict() for m in mounts],
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

    ``environ`` is the user's environment: its PATH, VIRTUAL_ENV and HOME say which tool
    directories to show and which credential stores inside them to mask.
    """
    if kind is Kind.NONE:
        return ["/bin/sh", "-c", command]
    worktree = worktree.resolve()
    mounts = steps(command, worktree, environ or {})
    if kind is Kind.BWRAP:
        path = (environ or {}).get("PATH") or DEFAULT_PATH
        return bwrap_argv(command, worktree, mounts, bwrap_userns_flags(path))
    return unshare_argv(command, worktree, mounts)


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
