"""The inside of the ``unshare`` sandbox: run as ``python -I -S prelude.py SPEC``.

``unshare --user --map-root-user --net --mount --pid --fork --mount-proc`` has already
given this process new namespaces, in which it holds every capability. It then:

1. opens (O_PATH) every host path the view shows, while the host tree is still there;
2. mounts a fresh tmpfs as the new root and applies the view's steps to it, in order
   (``relay_git.safety.view``: read-only and read-write binds of the held paths, tmpfs,
   symlinks, masks, a minimal /dev, a new /proc);
3. pivots into it and detaches the host tree, so nothing else of the host is reachable:
   no directory, no Unix socket; then remounts the root read-only;
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
MNT_DETACH = 2
FAILED = 121
NEW_ROOT = "/tmp"  # any directory: the host's tree stays reachable through the held fds
STICKY = ("/tmp", "/var/tmp", "/dev/shm")
DEVICES = ("null", "zero", "full", "random", "urandom", "tty")
LINKS = {
    "fd": "/proc/self/fd",
    "stdin": "/proc/self/fd/0",
    "stdout": "/proc/self/fd/1",
    "stderr": "/proc/self/fd/2",
}
PIVOT_ROOT = {"x86_64": 155, "aarch64": 41, "riscv64": 41, "ppc64le": 203, "s390x": 217}

_libc = ctypes.CDLL(None, use_errno=True)


def _check(result: int, what: str) -> None:
    if result != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def mount(source: str | None, target: str, fstype: str | None, flags: int, data: str = "") -> None:
    src = source.encode() if source else None
    fs = fstype.encode() if fstype else None
    _check(_libc.mount(src, target.encode(), fs, flags, data.encode() or None), f"mount {target}")


def readonly(path: str) -> None:
    """Remount the mount at ``path`` read-only, keeping the flags it must keep."""
    flags = os.statvfs(path).f_flag & KEEP
    mount(None, path, None, MS_REMOUNT | MS_BIND | MS_RDONLY | flags)


def bind(fd: int, target: str, rw: bool) -> None:
    """Bind the held path ``fd`` at ``target`` (created first), not its submounts."""
    if not os.path.lexists(target):
        if os.path.isdir(f"/proc/self/fd/{fd}"):
            os.makedirs(target)
        else:
            os.makedirs(os.path.dirname(target), exist_ok=True)
            os.close(os.open(target, os.O_CREAT | os.O_WRONLY, 0o644))
    mount(f"/proc/self/fd/{fd}", target, None, MS_BIND)
    if not rw:
        readonly(target)


def tmpfs(target: str, mode: str, rdonly: bool = False) -> None:
    os.makedirs(target, exist_ok=True)
    flags = MS_NOSUID | MS_NODEV | (MS_RDONLY if rdonly else 0)
    mount("tmpfs", target, "tmpfs", flags, f"mode={mode}")


def dev(target: str, held: dict[str, int]) -> None:
    """A minimal /dev: a tmpfs holding the host's harmless device nodes, bound."""
    tmpfs(target, "755")
    for name in DEVICES:
        if f"/dev/{name}" in held:  # a container may have no /dev/tty
            bind(held[f"/dev/{name}"], f"{target}/{name}", rw=True)
    for name, link in LINKS.items():
        os.symlink(link, f"{target}/{name}")


def apply(root: str, step: dict[str, str], held: dict[str, int]) -> None:
    op, target, source = step["op"], root + step["target"], step["source"]
    if op in ("ro", "rw"):
        bind(held[source], target, rw=op == "rw")
    elif op == "tmpfs":
        tmpfs(target, "1777" if step["target"] in STICKY else "755")
    elif op == "mask" and os.path.isdir(target):
        tmpfs(target, "700", rdonly=True)
    elif op == "mask":
        bind(held["/dev/null"], target, rw=False)
    elif op == "symlink":
        os.makedirs(os.path.dirname(target), exist_ok=True)
        os.symlink(source, target)
    elif op == "dir":
        os.makedirs(target, exist_ok=True)
    elif op == "dev":
        dev(target, held)
    elif op == "proc":
        os.makedirs(target, exist_ok=True)
        mount("proc", target, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    else:
        raise ValueError(f"unknown mount step {op!r}")


def pivot(root: str) -> None:
    """Make ``root`` the root, and detach the host's tree that was under it."""
    machine = os.uname().machine
    number = PIVOT_ROOT.get(machine)
    if number is None:
        raise OSError(0, f"pivot_root: no system call number known for {machine}")
    os.chdir(root)
    _check(_libc.syscall(number, b".", b"."), "pivot_root")
    _check(_libc.umount2(b".", MNT_DETACH), "detach the host tree")
    os.chdir("/")
    readonly("/")


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
    steps: list[dict[str, str]] = list(spec["mounts"])
    sources = {s["source"] for s in steps if s["op"] in ("ro", "rw")}
    sources |= {"/dev/null", *(f"/dev/{n}" for n in DEVICES if os.path.exists(f"/dev/{n}"))}
    held = {path: os.open(path, os.O_PATH) for path in sorted(sources)}
    root = NEW_ROOT
    mount("tmpfs", root, "tmpfs", MS_NOSUID | MS_NODEV, "mode=755")
    for step in steps:
        apply(root, step, held)
    pivot(root)
    for fd in held.values():
        os.close(fd)


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
