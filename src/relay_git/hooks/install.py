"""Plain git hook scripts: their text, and installing them without losing anyone's hook.

The scripts in the repository's ``hooks/`` folder are ``script(kind)`` with nothing filled
in (they then run the ``relay-git`` on PATH); ``relay-git hooks install`` writes the same
text with the interpreter that runs relay-git filled in, because a hook runs with
whatever PATH git was started with — a GUI client, an IDE, a shell with no virtualenv
active — so "the relay-git on PATH" may be none, or another one.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from relay_git.errors import UsageError
from relay_git.git.repo import Repository
from relay_git.hooks import HOOK_IDS
from relay_git.util.fs import atomic_write

MARKER = "# relay-git hook"
KINDS = ("pre-commit", "pre-push")
BACKUP_SUFFIX = ".relay-git-backup"

_ARGS = {"pre-commit": "--hook", "pre-push": "--hook --push-range --push-refs -"}
_WHAT = {"pre-commit": "the staged diff", "pre-push": "the commits being pushed"}

_TEMPLATE = """\
#!/bin/sh
{marker} ({kind}): the reviewer model reviews {what}.
# Installed by `relay-git hooks install`; `relay-git hooks uninstall` restores what was here.
# Skip it once: RELAY_GIT_SKIP=1 git ... (or SKIP={skip_id}). Settings: .relay-git.toml;
# extra review flags: RELAY_GIT_HOOK_ARGS="--strict --fail-on warning --timeout 120".
# Copied by hand, it runs the relay-git on PATH; installed, the interpreter named below.
relay_git_python='{python}'
relay_git_path='{path}'
relay_git_start='import sys; sys.path.insert(0, sys.argv.pop(1)); import relay_git.cli as c
sys.exit(c.main())'
{chain}case "${{RELAY_GIT_SKIP:-}}" in 1|true|yes) exit 0 ;; esac
# -I (isolated): neither the repository's folder nor PYTHON* variables join sys.path, so a
# relay_git/ folder in the repository can never stand in for the tool.
if [ -n "$relay_git_python" ] && [ -x "$relay_git_python" ] && [ -n "$relay_git_path" ]; then
    # shellcheck disable=SC2086 # RELAY_GIT_HOOK_ARGS is split into words on purpose
    exec "$relay_git_python" -I -c "$relay_git_start" "$relay_git_path" \\
        review {args} ${{RELAY_GIT_HOOK_ARGS:-}}
elif [ -n "$relay_git_python" ] && [ -x "$relay_git_python" ]; then
    # shellcheck disable=SC2086
    exec "$relay_git_python" -I -m relay_git review {args} ${{RELAY_GIT_HOOK_ARGS:-}}
elif command -v relay-git >/dev/null 2>&1; then
    # shellcheck disable=SC2086
    exec relay-git review {args} ${{RELAY_GIT_HOOK_ARGS:-}}
fi
echo "relay-git: not found, {kind} review skipped" \\
    "(install relay-git as its README says, then run relay-git hooks install)" >&2
exit 0
"""


# `hooks install --force` keeps a foreign hook next to ours and runs it first, as
# pre-commit's migration mode runs a legacy hook: its failure is git's answer, and the
# review runs only when it passes. A pre-push hook reads the ref lines on stdin, so both
# hooks get their own copy of them.
_CHAIN = {
    "pre-commit": """\
# The hook that was here before runs first; its failure stops the commit.
if [ -x "$0{suffix}" ]; then
    "$0{suffix}" "$@" || exit $?
fi
""",
    "pre-push": """\
# The hook that was here before runs first, with its own copy of the ref lines on stdin;
# its failure stops the push.
if [ -x "$0{suffix}" ]; then
    relay_git_refs=$(mktemp) || exit 1
    cat >"$relay_git_refs"
    exec 3<"$relay_git_refs" 4<"$relay_git_refs"
    rm -f "$relay_git_refs"
    "$0{suffix}" "$@" <&3 3<&- 4<&- || exit $?
    exec 0<&4 3<&- 4<&-
fi
""",
}


def _quote(value: str) -> str:
    if "'" in value or "\n" in value:
        raise UsageError(f"cannot write a hook for the path {value!r}", "avoid quotes in paths")
    return value


def script(kind: str, python: str = "", path: str = "", chain: bool = False) -> str:
    """The hook script for ``kind``; empty ``python`` means "use the relay-git on PATH";
    ``chain`` runs the hook it replaced (kept as ``KIND.relay-git-backup``) first."""
    return _TEMPLATE.format(
        chain=_CHAIN[kind].format(suffix=BACKUP_SUFFIX) if chain else "",
        marker=MARKER,
        kind=kind,
        what=_WHAT[kind],
        skip_id=HOOK_IDS[kind],
        args=_ARGS[kind],
        python=_quote(python),
        path=_quote(path),
    )


def interpreter() -> tuple[str, str]:
    """This interpreter, and the sys.path entry it needs to import relay_git (or "")."""
    import relay_git

    package_root = str(Path(relay_git.__file__).resolve().parent.parent)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    probe = subprocess.run(  # -I, as the hook runs it
        [sys.executable, "-I", "-c", "import relay_git; print(relay_git.__file__)"],
        env=env,
        cwd="/",
        capture_output=True,
        text=True,
        check=False,
    )
    found = probe.stdout.strip()
    same = probe.returncode == 0 and Path(found).resolve() == Path(relay_git.__file__).resolve()
    return sys.executable, "" if same else package_root


def hooks_dir(repo: Repository) -> Path:
    """Where git runs hooks from: honours core.hooksPath (relative to the work tree)."""
    out = repo.git("rev-parse", "--git-path", "hooks").strip()
    path = Path(out)
    return path if path.is_absolute() else repo.root / path


def is_ours(path: Path) -> bool:
    try:
        return MARKER in path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False


@dataclass(frozen=True)
class Change:
    kind: str
    path: Path
    action: str  # what happened, for the user

    def __str__(self) -> str:
        return f"{self.kind}: {self.action} ({self.path})"


def install_one(directory: Path, kind: str, text: Callable[[bool], str], force: bool) -> Change:
    """Write ``text(chain)``: ``chain`` when a replaced hook is kept to run first."""
    target = directory / kind
    backup = directory / (kind + BACKUP_SUFFIX)
    action = "installed"
    if target.exists() or target.is_symlink():
        if is_ours(target):
            action = "updated"
        elif not force:
            hint = " (pre-commit's own hook: add relay-git to .pre-commit-config.yaml)"
            foreign = hint if "pre-commit" in _head(target) else ""
            raise UsageError(
                f"{target} already exists and is not relay-git's{foreign}",
                "rerun with --force to run it first and then the review",
            )
        elif backup.exists():
            raise UsageError(
                f"{backup} already exists", "move it away, or uninstall first to restore it"
            )
        else:
            target.replace(backup)
            action = f"installed; the previous hook, kept as {backup.name}, runs first"
    directory.mkdir(parents=True, exist_ok=True)
    atomic_write(target, text(backup.exists() or backup.is_symlink()), mode=0o755)
    return Change(kind, target, action)


def _head(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")[:2000]
    except OSError:
        return ""


def uninstall_one(directory: Path, kind: str) -> Change:
    target = directory / kind
    backup = directory / (kind + BACKUP_SUFFIX)
    if (target.exists() or target.is_symlink()) and not is_ours(target):
        return Change(kind, target, "left alone: not relay-git's")
    if not target.exists() and not backup.exists():
        return Change(kind, target, "not installed")
    target.unlink(missing_ok=True)
    if backup.exists() or backup.is_symlink():
        backup.replace(target)
        return Change(kind, target, "removed, previous hook restored")
    return Change(kind, target, "removed")


def install(repo: Repository, kinds: tuple[str, ...], force: bool) -> list[Change]:
    directory = hooks_dir(repo)
    python, path = interpreter()
    return [
        install_one(directory, kind, partial(script, kind, python, path), force) for kind in kinds
    ]


def uninstall(repo: Repository) -> list[Change]:
    directory = hooks_dir(repo)
    return [uninstall_one(directory, kind) for kind in KINDS]
