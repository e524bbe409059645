"""The inside of the ``unshare`` sandbox: run as ``python -I -S prelude.py SPEC``.

``unshare --user --map-root-user --net --mount --pid --fork --mount-proc`` has already
given this process new namespaces, in which it holds every capability. It then:

1. remounts every mount read-only (keeping each mount's nosuid/nodev/noexec flags,
   which the kernel refuses to drop from a mount inherited from the host);
2. hides the user's credential stores (an empty tmpfs, or /dev/null, over each), and
   puts a private tmpfs on /tmp and /dev/shm;
3. binds the repository's git dirs back read-only and the worktree read-write on top
   (the worktree's own ``.git`` file stays read-only, so its gitdir cannot be redirected);
4. drops every capability (bounding, inheritable, ambient, effective, permitted), sets
   no_new_privs, and execs ``/bin/sh -c COMMAND`` in the worktree.

Only the standard library is used, and nothing of relay-git is imported: this file runs
with ``-I -S`` (no site, no user paths). Any failure exits 121 with one line on stderr,
before the command runs: a half-built sandbox never runs the tests.
"""

from __future__ import annotations

import ctypes
import json
import os
import sys
from typing import Any

MS_RDONLY = 0x1
MS_NOSUID = 0x2
MS_NODEV = 0x4
MS_NOEXEC = 0x8
MS_REMOUNT = 0x20
MS_BIND = 0x1000
MS_REC = 0x4000
MS_NOATIME = 0x400
MS_NODIRATIME = 0x800
MS_RELATIME = 0x200000
# statvfs f_flag bits share the MS_* values; these must be kept on a remount.
KEEP = MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME | MS_NODIRATIME | MS_RELATIME
PR_CAPBSET_DROP = 24
PR_SET_NO_NEW_PRIVS = 38
PR_CAP_AMBIENT = 47
PR_CAP_AMBIENT_CLEAR_ALL = 4
LINUX_CAPABILITY_VERSION_3 = 0x20080522
FAILED = 121

_libc = ctypes.CDLL(None, use_errno=True)


def _check(result: int, what: str) -> None:
    if result != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def mount(source: str | None, target: str, fstype: str | None, flags: int, data: str = "") -> None:
    src = source.encode() if source else None
    fs = fstype.encode() if fstype else None
    _check(_libc.mount(src, target.encode(), fs, flags, data.encode() or None), f"mount {target}")


def mount_points() -> list[str]:
    """Every mount point, parents first, as the kernel lists them (octal escapes undone)."""
    points = []
    with open("/proc/self/mountinfo", encoding="utf-8", errors="surrogateescape") as fh:
        for line in fh:
            raw = line.split()[4]
            points.append(raw.encode("latin-1", "surrogateescape").decode("unicode_escape"))
    return points


def readonly(path: str) -> None:
    """Remount the mount at ``path`` read-only, keeping the flags it must keep."""
    try:
        flags = os.statvfs(path).f_flag & KEEP
    except OSError:
        return  # out of reach (over-mounted, or a directory we cannot enter): so are the tests
    mount(None, path, None, MS_REMOUNT | MS_BIND | MS_RDONLY | flags)


def writable(path: str) -> None:
    flags = os.statvfs(path).f_flag & KEEP
    mount(None, path, None, MS_REMOUNT | MS_BIND | flags)


def bind(source: str, target: str, rw: bool) -> None:
    mount(source, target, None, MS_BIND | MS_REC)
    if rw:
        writable(target)
    else:
        readonly(target)


def drop_privileges() -> None:
    _check(_libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")
    with open("/proc/sys/kernel/cap_last_cap", encoding="ascii") as fh:
        last = int(fh.read())
    for cap in range(last + 1):
        _check(_libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0), f"drop capability {cap}")
    _check(_libc.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0), "clear ambient")
    header = (ctypes.c_uint32 * 2)(LINUX_CAPABILITY_VERSION_3, 0)
    data = (ctypes.c_uint32 * 6)()  # effective, permitted, inheritable x 2: all zero
    _check(_libc.capset(header, data), "capset")


def build(spec: dict[str, Any]) -> None:
    worktree = str(spec["worktree"])
    git_dirs = [str(d) for d in spec["git_dirs"]]
    held = {p: os.open(p, os.O_PATH) for p in [worktree, *git_dirs]}
    for point in mount_points():
        readonly(point)
    for path in [str(p) for p in spec["hide"]]:
        if os.path.isdir(path):
            mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV | MS_RDONLY, "mode=700")
        else:
            bind("/dev/null", path, rw=False)
    mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777")
    if os.path.isdir("/dev/shm"):
        mount("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777")
    for path in [*git_dirs, worktree]:
        os.makedirs(path, exist_ok=True)  # only creates anything inside the fresh /tmp
        bind(f"/proc/self/fd/{held[path]}", path, rw=path == worktree)
    dot_git = os.path.join(worktree, ".git")
    if os.path.lexists(dot_git):
        bind(dot_git, dot_git, rw=False)
    os.makedirs(str(spec["home"]), exist_ok=True)


def main(argv: list[str]) -> int:
    try:
        spec = json.loads(argv[1])
        build(spec)
        drop_privileges()
        os.chdir(str(spec["worktree"]))
    except (OSError, ValueError, KeyError, IndexError) as err:
        print(f"relay-git sandbox: {err}", file=sys.stderr)
        return FAILED
    os.execv("/bin/sh", ["/bin/sh", "-c", str(spec["command"])])
    return FAILED  # not reached


if __name__ == "__main__":
    sys.exit(main(sys.argv))
