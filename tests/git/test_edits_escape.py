"""Model output cannot escape the worktree (issue 7, point 1).

The applier (relay_git.git.edits) gets hostile paths and contents in a real git repository
that has traps planted in it: symlinks out of the tree, a symlink onto ``.git``, a symlink
where the applier's temporary file would go, a FIFO, a socket. A property test throws
thousands of generated edit sets at it and checks that nothing outside the worktree and
nothing in ``.git`` changed, and that it only ever fails with UnsafeEdit/EditFailed.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.conftest import git

from relay_git.errors import UnsafeEdit
from relay_git.git.edits import MAX_FILE_BYTES, Edit, EditFailed, apply_edits


def tree(root: Path, fast: bool = False) -> dict[str, tuple[object, ...]]:
    """Mode and content (hash, or link target) of everything under ``root``, links not followed.

    ``fast`` compares inode, size and mtime instead of hashing: any write, in place or by
    rename, changes one of them.
    """
    out: dict[str, tuple[object, ...]] = {}
    top = str(root)
    for dirpath, dirnames, filenames in os.walk(top):
        for name in dirnames + filenames:
            path = os.path.join(dirpath, name)
            st_ = os.lstat(path)
            if stat.S_ISLNK(st_.st_mode):
                seen: object = "-> " + os.readlink(path)
            elif fast:
                seen = (st_.st_ino, st_.st_size, st_.st_mtime_ns)
            elif stat.S_ISREG(st_.st_mode):
                seen = hashlib.sha256(Path(path).read_bytes()).hexdigest()
            else:
                seen = ""
            out[path[len(top) :]] = (st_.st_mode, seen)
    return out


class Trapped:
    """A repository ``work`` with traps, next to a directory ``outside`` holding victims."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.outside = base / "outside"
        self.root = base / "work"
        self.outside.mkdir()
        (self.outside / "victim.txt").write_text("victim\n")
        (self.outside / "tmpvictim").write_text("tmp victim\n")
        git(base, "init", "-q", "-b", "main", "--template=", str(self.root))
        (self.root / ".git" / "hooks").mkdir()
        (self.root / ".git" / "hooks" / "pre-commit").write_text("#!/bin/sh\nexit 0\n")
        self.plant()
        git(self.root, "add", "app.py", "pkg/mod.py", "run.sh")
        git(self.root, "commit", "-q", "-m", "base")
        os.mkfifo(self.root / "fifo")
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.bind(str(self.root / "sock"))
        self.initial = self.guarded()

    def plant(self) -> None:
        """(Re)create the files and the symlink traps; .git, the FIFO and the socket stay."""
        r = self.root
        for child in r.iterdir():
            if child.name in (".git", "fifo", "sock"):
                continue
            if child.is_dir() and not child.is_symlink():
                shutil.rmtree(child)
            else:
                child.unlink()
        (r / "app.py").write_text("x = 1\n")
        (r / "pkg").mkdir()
        (r / "pkg" / "mod.py").write_text("a = 1\n")
        (r / "run.sh").write_text("#!/bin/sh\necho hi\n")
        (r / "run.sh").chmod(0o755)
        (r / "out").symlink_to(self.outside)  # absolute link out
        (r / "up").symlink_to("../outside")  # relative link out
        (r / "victim.py").symlink_to(self.outside / "victim.txt")  # file link out
        (r / "g").symlink_to(".git")  # a link onto the git dir, inside the tree
        (r / "pkg" / "gg").symlink_to("../.git/hooks")
        (r / ".app.py.relay-tmp").symlink_to(self.outside / "tmpvictim")  # old temp name
        (r / "pkg" / ".mod.py.relay-tmp").symlink_to(self.outside / "tmpvictim")
        (r / "loop").symlink_to("loop")
        (r / "devnull").symlink_to("/dev/null")

    def guarded(self) -> dict[str, object]:
        """What no edit may change: the sibling directory, the git dir, the planted links."""
        return {
            "outside": tree(self.outside, fast=True),
            "git": tree(self.root / ".git", fast=True),
            "siblings": sorted(p.name for p in self.base.iterdir()),
            "links": {p.name: os.readlink(p) for p in self.root.iterdir() if p.is_symlink()},
        }


@pytest.fixture
def trapped(tmp_path: Path) -> Iterator[Trapped]:
    t = Trapped(tmp_path)
    yield t
    t.sock.close()


REFUSED = [
    "/etc/passwd",
    "//server/share/x",
    "C:\\Windows\\x.py",
    "c:x.py",
    "../x.py",
    "pkg/../../x.py",
    "pkg\\..\\..\\x.py",
    ".git",
    ".git/config",
    ".git/hooks/pre-commit",
    ".GIT/config",
    ".Git/hooks/pre-commit",
    "pkg/.git/config",
    "pkg/.git",
    ".git./config",
    ".git /config",
    ".git::$INDEX_ALLOCATION/config",  # NTFS alternate data stream of the .git directory
    "GIT~1/config",  # NTFS 8.3 short name of .git
    "git~1/hooks/pre-commit",
    ".g\u200cit/config",  # HFS+ ignores zero-width joiners: this is .git on a Mac
    ".git\u200d/hooks/x",
    "\ufeff.git/config",
    "out/x.py",
    "up/x.py",
    "up/victim.txt",
    "victim.py",
    "g/config",  # through an in-tree link onto .git
    "g/hooks/pre-commit",
    "pkg/gg/pre-commit",
    "loop",
    "loop/x",
    "devnull",
    "fifo",
    "sock",
    "pkg",
    "a\0b.py",
    "a\nb.py",
    "a\x1b[2Jb.py",
    "a\rb.py",
    "x/\ud800.py",  # a lone surrogate cannot be a file name
    "a" * 300,  # one component longer than any file system allows
    "pkg/" + "b" * 256 + "/c.py",
    "d/" * 250 + "x.py",
    "",
    "./",
]


@pytest.mark.parametrize("path", REFUSED, ids=[repr(p[:30]) for p in REFUSED])
def test_hostile_path_is_refused_and_nothing_changes(trapped: Trapped, path: str) -> None:
    before = trapped.guarded()
    worktree_before = tree(trapped.root)
    with pytest.raises(UnsafeEdit) as info:
        apply_edits(trapped.root, [Edit(path, "write", content="pwned\n")])
    assert "refused edit" in str(info.value)
    assert trapped.guarded() == before
    assert tree(trapped.root) == worktree_before


@pytest.mark.parametrize("victim", ["app.py", "pkg/mod.py"])
def test_planted_temp_file_symlink_is_not_followed(trapped: Trapped, victim: str) -> None:
    """The applier writes a temporary file next to the target; a link there must not be used."""
    before = trapped.guarded()
    assert apply_edits(trapped.root, [Edit(victim, "write", content="new\n")]) == [victim]
    assert (trapped.root / victim).read_text() == "new\n"
    assert not (trapped.root / victim).is_symlink()
    assert trapped.guarded()["outside"] == before["outside"]


def test_executable_bit_survives_an_edit(trapped: Trapped) -> None:
    apply_edits(trapped.root, [Edit("run.sh", "write", content="#!/bin/sh\necho bye\n")])
    assert os.access(trapped.root / "run.sh", os.X_OK)
    assert git(trapped.root, "diff", "--summary") == ""  # no "mode change 100755 => 100644"


@pytest.mark.parametrize(
    "edits",
    [
        [Edit("a", "write", content="file\n"), Edit("a/b.py", "write", content="x\n")],
        [Edit("c/d.py", "write", content="x\n"), Edit("c", "write", content="file\n")],
    ],
    ids=["file-then-child", "child-then-file"],
)
def test_edit_set_needing_a_path_as_file_and_directory_applies_nothing(
    trapped: Trapped, edits: list[Edit]
) -> None:
    before = tree(trapped.root)
    with pytest.raises((EditFailed, UnsafeEdit)):
        apply_edits(trapped.root, edits)
    assert tree(trapped.root) == before


@pytest.mark.parametrize(
    "edit",
    [
        Edit("big.py", "write", content="x" * (50 * 1024 * 1024)),
        Edit("app.py", "replace", search="x = 1", content="y" * (MAX_FILE_BYTES + 1)),
        Edit("nul.py", "write", content="a\0b"),
    ],
    ids=["50MB-write", "over-limit-replace", "nul-content"],
)
def test_huge_or_binary_bodies_are_refused(trapped: Trapped, edit: Edit) -> None:
    before = tree(trapped.root)
    with pytest.raises(UnsafeEdit):
        apply_edits(trapped.root, [edit])
    assert tree(trapped.root) == before


def test_content_with_lone_surrogates_is_refused_or_written_cleanly(trapped: Trapped) -> None:
    edit = Edit("s.py", "write", content="s = '\ud800'\n")
    try:
        apply_edits(trapped.root, [edit])
    except (UnsafeEdit, EditFailed):
        assert not (trapped.root / "s.py").exists()


# -- the property test -----------------------------------------------------------------------

SEGMENTS = st.sampled_from(
    [
        "app.py",
        "pkg",
        "mod.py",
        "new.py",
        "tests",
        "..",
        ".",
        "",
        ".git",
        ".GIT",
        ".gIt",
        ".git.",
        "git~1",
        ".g\u200cit",
        "hooks",
        "config",
        "out",
        "up",
        "g",
        "gg",
        "victim.py",
        "victim.txt",
        "loop",
        "devnull",
        "fifo",
        "sock",
        ".app.py.relay-tmp",
        "~",
        "C:",
        "\\..",
    ]
)
PATHS = (
    st.lists(SEGMENTS | st.text(max_size=8), min_size=1, max_size=5).map("/".join)
    | st.lists(SEGMENTS, min_size=1, max_size=4).map(lambda xs: "/" + "/".join(xs))
    | st.text(max_size=40)
)
CONTENT = st.text(max_size=60) | st.sampled_from(["x = 1", "a = 1\n", "", "\0"])
EDITS = st.builds(
    Edit,
    path=PATHS,
    kind=st.sampled_from(["write", "write", "replace", "lines", "delete"]),
    content=CONTENT,
    search=st.sampled_from(["x = 1", "a = 1", "", "zzz"]) | st.text(max_size=5),
    line=st.integers(-2, 4),
    end_line=st.integers(-2, 4),
)


@pytest.mark.slow
@settings(
    max_examples=500,  # each named attack in REFUSED above is a test of its own
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.lists(EDITS, min_size=1, max_size=6))
def test_generated_edit_sets_never_leave_the_worktree(trapped: Trapped, edits: list[Edit]) -> None:
    trapped.plant()
    try:
        written = apply_edits(trapped.root, edits)
    except (UnsafeEdit, EditFailed):
        written = []
    assert trapped.guarded() == trapped.initial
    real = trapped.root.resolve()
    for rel in written:
        target = real / rel
        assert target.resolve().is_relative_to(real)
        assert ".git" not in Path(rel).parts
