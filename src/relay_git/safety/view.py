"""What a sandboxed test sees: a file system built from the directories it needs.

Nothing of the host is shown unless listed here, so a Unix socket the host listens on
(D-Bus, docker.sock, ssh and gpg agents under /run/user, anything under /tmp or HOME) is
simply not there to ``connect()`` to; a read-only bind would not stop that. The view:

- system directories read-only: /usr, /etc (minus ``ETC_SECRETS``), /opt, /nix/store,
  and /bin, /sbin, /lib* (symlinks on merged-usr systems are recreated as symlinks);
- the interpreter and the tools the command runs with, read-only (``tool_dirs``);
- of the repository only what git in the worktree reads (``git_view``): the worktree's
  own git dir, the object store and refs, read-only; never the main checkout's files;
- the relay worktree read-write (its ``.git`` file read-only);
- fresh, empty tmpfs on /tmp (HOME is /tmp/home), /run (and /var/run), /var/tmp,
  /dev/shm and $XDG_RUNTIME_DIR; a minimal /dev and a new /proc.

Both sandboxes apply the same list of ``Mount`` steps, in order: bubblewrap as its own
arguments (``sandbox.bwrap_argv``), ``unshare`` in ``prelude.py`` on a new tmpfs root.
"""

from __future__ import annotations

import os
import shlex
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from relay_git.git.run import git
from relay_git.util.fs import atomic_write

HOME = "/tmp/home"  # inside the sandbox, on its private /tmp
SYSTEM = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc", "/opt")
EXTRA = ("/nix/store",)
TMPFS = ("/tmp", "/run", "/var/tmp", "/dev/shm")
# Readable by root (which the sandbox may map to) and of no use to a test.
ETC_SECRETS = (
    "/etc/shadow",
    "/etc/shadow-",
    "/etc/gshadow",
    "/etc/gshadow-",
    "/etc/sudoers",
    "/etc/sudoers.d",
    "/etc/ssh",
    "/etc/ssl/private",
    "/etc/security/opasswd",
    "/etc/krb5.keytab",
    "/etc/letsencrypt",
    "/etc/NetworkManager/system-connections",
    "/etc/wpa_supplicant",
    "/etc/credstore",
    "/etc/credstore.encrypted",
    "/etc/apt/auth.conf",
    "/etc/apt/auth.conf.d",
    "/etc/containers/auth.json",
    "/etc/docker/key.json",
)
# Under the user's HOME: where keys and tokens live. HOME is not shown, but a tool dir
# bound from under it (a pyenv, a venv) could hold one: those are masked.
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
    ".pgpass",
    ".bash_history",
    ".password-store",
    ".cargo/credentials",
    ".cargo/credentials.toml",
    ".config/gh",
    ".config/gcloud",
    ".config/relay-git",
    ".local/share/keyrings",
)
# Git reads these from the common dir; config is left out (it may hold a remote URL with
# a token, or core.fsmonitor), unless it declares extensions git needs (see git_view).
GIT_COMMON = ("objects", "refs", "packed-refs", "HEAD", "shallow", "info")


@dataclass(frozen=True)
class Mount:
    """One step: ``ro``/``rw`` bind ``source`` at ``target``; ``tmpfs``; ``symlink`` (source is
    the link text); ``mask`` (an empty read-only tmpfs, or /dev/null over a file); ``dir``;
    ``dev`` (a minimal /dev); ``proc`` (a new /proc)."""

    op: str
    target: str
    source: str = ""

    def to_dict(self) -> dict[str, str]:
        return {"op": self.op, "target": self.target, "source": self.source}


def _depth(mount: Mount) -> int:
    return len(Path(mount.target).parts)


def build(
    worktree: Path,
    tools: Sequence[Path],
    git_binds: Sequence[tuple[Path, Path]],
    environ: Mapping[str, str],
) -> list[Mount]:
    """The steps that make the view, parents before children (a stable sort by depth)."""
    steps: list[Mount] = [Mount("dev", "/dev"), Mount("proc", "/proc")]
    steps += system_mounts()
    steps += [Mount("tmpfs", t) for t in TMPFS]
    steps.append(Mount("symlink", "/var/run", "../run"))
    runtime = environ.get("XDG_RUNTIME_DIR", "")
    if runtime.startswith("/") and not _covers(Path(runtime), [worktree]):
        steps.append(Mount("tmpfs", os.path.normpath(runtime)))
    steps.append(Mount("dir", HOME))
    steps += [Mount("ro", str(p), str(p)) for p in tools]
    steps += [Mount("ro", str(target), str(source)) for source, target in git_binds]
    shown = [*tools, *(target for _, target in git_binds)]
    steps.append(Mount("rw", str(worktree), str(worktree)))
    if (worktree / ".git").exists():
        steps.append(Mount("ro", str(worktree / ".git"), str(worktree / ".git")))
    steps += [Mount("mask", str(p)) for p in masked(environ, shown)]
    return sorted(steps, key=_depth)


def system_mounts() -> list[Mount]:
    steps = []
    for name in (*SYSTEM, *EXTRA):
        if os.path.islink(name):
            steps.append(Mount("symlink", name, os.readlink(name)))
        elif os.path.isdir(name):
            steps.append(Mount("ro", name, name))
    steps += [Mount("mask", p) for p in ETC_SECRETS if os.path.lexists(p)]
    return steps


def masked(environ: Mapping[str, str], shown: Iterable[Path]) -> list[Path]:
    """Credential stores under HOME that fall inside a directory the view shows."""
    home = environ.get("HOME")
    if not home:
        return []
    found = []
    for name in HIDDEN:
        path = Path(home).resolve() / name
        if os.path.lexists(path) and any(path.is_relative_to(s) for s in shown):
            found.append(path)
    return found


def _covers(path: Path, others: Iterable[Path]) -> bool:
    """Whether ``path`` is one of ``others`` or an ancestor of one."""
    return any(o.is_relative_to(path) for o in others)


def forbidden(environ: Mapping[str, str], main: Path | None) -> list[Path]:
    """Directories no tool bind may be (or contain): they hold the host's sockets, its users'
    files or the main checkout."""
    places = [Path(p) for p in ("/", "/home", "/root", "/tmp", "/run", "/var", "/var/run")]
    home = environ.get("HOME")
    if home:
        places.append(Path(home).resolve())
    if main is not None:
        places.append(main)
    return places


def tool_dirs(environ: Mapping[str, str], command: str, main: Path | None) -> list[Path]:
    """The interpreter, virtualenvs and tools the command may run, outside the system
    directories: this Python's prefixes, ``VIRTUAL_ENV``, directories the command names by
    absolute path, and PATH entries (a virtualenv's ``bin`` as its root, with its base
    Python). Under a home directory only ``bin`` directories (``~/.local/bin``,
    ``~/.cargo/bin``: where uv, poetry, pipx tools live) are taken from PATH, not
    shims or other folders of dotfiles."""
    named = [sys.prefix, sys.base_prefix, environ.get("VIRTUAL_ENV", "")]
    named += [os.path.dirname(w) for w in _words(command) if w.startswith("/")]
    found = {root for raw in named for root in _tool_roots(raw)}
    homes = [Path("/home"), Path("/root"), *([Path(environ["HOME"])] if "HOME" in environ else [])]
    for raw in environ.get("PATH", "").split(os.pathsep):
        roots = _tool_roots(raw)
        venv = len(roots) > 1 or (bool(roots) and (roots[0] / "pyvenv.cfg").is_file())
        found |= {
            r
            for r in roots
            if venv or r.name == "bin" or not any(r.is_relative_to(h) for h in homes)
        }
    bad = forbidden(environ, main)
    system = [Path(s) for s in (*SYSTEM, *EXTRA)]
    keep = [
        p for p in found if not _covers(p, bad) and not any(p.is_relative_to(s) for s in system)
    ]
    return _outermost(keep)


def _words(command: str) -> list[str]:
    try:
        return shlex.split(command)
    except ValueError:  # unbalanced quotes: the shell will refuse it too
        return command.split()


def _tool_roots(raw: str) -> list[Path]:
    if not raw.startswith("/") or not os.path.isdir(raw):
        return []
    path = Path(raw).resolve()
    root = path.parent if (path.parent / "pyvenv.cfg").is_file() else path
    roots = [root]
    cfg = root / "pyvenv.cfg"
    if cfg.is_file():
        for line in cfg.read_text(encoding="utf-8", errors="replace").splitlines():
            key, _, value = line.partition("=")
            if key.strip() == "home" and value.strip().startswith("/"):
                roots.append(Path(value.strip()).resolve().parent)
    return [r for r in roots if r.is_dir()]


def _outermost(paths: Iterable[Path]) -> list[Path]:
    ordered = sorted(set(paths), key=lambda p: len(p.parts))
    kept: list[Path] = []
    for p in ordered:
        if not any(p.is_relative_to(k) for k in kept):
            kept.append(p)
    return sorted(kept)


def main_checkout(worktree: Path) -> tuple[Path | None, Path | None]:
    """The repository's main checkout and common git dir, as seen from ``worktree``; None
    for either when ``worktree`` is not in a repository (or is a bare one's worktree)."""
    proc = git(["rev-parse", "--path-format=absolute", "--git-common-dir"], worktree, check=False)
    if not proc.ok or not proc.out.strip():
        return None, None
    common = Path(proc.out.strip()).resolve()
    return (common.parent if common.name == ".git" else None), common


def git_view(worktree: Path) -> tuple[Path | None, list[tuple[Path, Path]]]:
    """The main checkout (None for a plain directory or a repository's own checkout) and
    what git in ``worktree`` needs shown of the repository, as (source, target) pairs: its
    own git dir and, of the common dir, ``GIT_COMMON`` (plus borrowed object stores)."""
    proc = git(["rev-parse", "--absolute-git-dir", "--git-common-dir"], worktree, check=False)
    if not proc.ok:
        return None, []
    own_raw, common_raw = proc.out.splitlines()[:2]
    own, common = Path(own_raw).resolve(), (worktree / common_raw).resolve()
    if own == common and own.is_relative_to(worktree):
        return None, []  # a plain checkout: its .git is inside the worktree already
    shown = [own] + [common / n for n in GIT_COMMON if os.path.lexists(common / n)]
    shown += _alternates(common / "objects" / "info" / "alternates")
    pairs = [(p.resolve(), p.resolve()) for p in shown if not p.resolve().is_relative_to(worktree)]
    config = _git_config(common, own)
    if config is not None:
        pairs.append((config, common / "config"))
    main = common.parent if common.name == ".git" else common
    return main, pairs


def _alternates(path: Path) -> list[Path]:
    if not path.is_file():
        return []
    found = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        if line.strip() and not line.startswith("#"):
            found.append((path.parent.parent / line.strip()).resolve())
    return [p for p in found if p.is_dir()]


def _git_config(common: Path, own: Path) -> Path | None:
    """A copy of the repository's config with only what git must know to read it
    (``repositoryformatversion`` and ``extensions.*``), or None when it declares none."""
    try:
        if "extensions" not in (common / "config").read_text(errors="replace").lower():
            return None  # the common case, without starting git
    except OSError:
        return None
    proc = git(
        ["config", "--file", str(common / "config"), "--get-regexp", r"^extensions\."],
        own,
        check=False,
    )
    lines = [line.split(" ", 1) for line in proc.out.splitlines() if " " in line]
    if not proc.ok or not lines:
        return None
    version = git(
        ["config", "--file", str(common / "config"), "core.repositoryformatversion"],
        own,
        check=False,
    ).out.strip()
    text = f"[core]\n\trepositoryformatversion = {version or '1'}\n[extensions]\n"
    text += "".join(f"\t{k.removeprefix('extensions.')} = {v}\n" for k, v in lines)
    target = own / "relay-sandbox.config"
    atomic_write(target, text, mode=0o644)
    return target
