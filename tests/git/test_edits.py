"""Model-proposed edits: refused when they would leave the worktree, all-or-nothing otherwise."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from relay_git.errors import UnsafeEdit
from relay_git.git.edits import Edit, EditFailed, apply_edits, check_path, line_edits


@pytest.fixture
def root(tmp_path: Path) -> Path:
    root = tmp_path / "wt"
    root.mkdir()
    (root / "pkg").mkdir()
    (root / "pkg" / "mod.py").write_text("a = 1\nb = 2\nc = 3\n")
    outside = tmp_path / "outside"
    outside.mkdir()
    (root / "escape").symlink_to(outside)
    (root / "inner").symlink_to(root / "pkg")
    (root / "link.py").symlink_to(root / "pkg" / "mod.py")
    os.mkfifo(root / "fifo")
    return root


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("/etc/passwd", "absolute"),
        ("C:/x.py", "absolute"),
        ("../x.py", "'..'"),
        ("pkg/../../x.py", "'..'"),
        ("pkg\\..\\..\\x.py", "'..'"),
        (".git/hooks/pre-commit", ".git"),
        (".GIT/config", ".git"),
        ("pkg/.Git/x", ".git"),
        (".git./config", ".git"),
        ("escape/x.py", "symlink that leaves"),
        ("a\0b.py", "NUL"),
        ("a\nb.py", "control character"),
        ("", "empty"),
        ("./", "names no file"),
        ("link.py", "symlink"),
        ("fifo", "not a regular file"),
        ("pkg", "not a regular file"),
    ],
)
def test_unsafe_paths_are_refused_with_the_reason(root: Path, path: str, reason: str) -> None:
    with pytest.raises(UnsafeEdit) as err:
        apply_edits(root, [Edit(path, "write", content="x\n")])
    assert reason in str(err.value)
    assert not (root.parent / "x.py").exists()
    assert not (root.parent / "outside" / "x.py").exists()


def test_symlink_staying_inside_is_allowed(root: Path) -> None:
    assert apply_edits(root, [Edit("inner/new.py", "write", content="n\n")]) == ["pkg/new.py"]


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            Edit("pkg/mod.py", "replace", content="x", search="zzz"),
            "search text not found in pkg/mod.py",
        ),
        (Edit("pkg/mod.py", "replace", content="x", search=" = "), "found 3 times in pkg/mod.py"),
        (Edit("missing.py", "replace", content="x", search="a"), "does not exist"),
        (Edit("pkg/mod.py", "lines", content="x", line=3, end_line=9), "outside pkg/mod.py"),
    ],
)
def test_non_applying_edits_say_precisely_why(root: Path, edit: Edit, message: str) -> None:
    with pytest.raises(EditFailed) as err:
        apply_edits(root, [edit])
    assert message in str(err.value)


def test_all_or_nothing(root: Path) -> None:
    edits = [Edit("new.py", "write", content="new\n"), Edit("../bad.py", "write", content="x")]
    with pytest.raises(UnsafeEdit):
        apply_edits(root, edits)
    assert not (root / "new.py").exists()


def test_writes_replaces_and_line_ranges(root: Path) -> None:
    written = apply_edits(
        root,
        [
            Edit("src/deep/new.py", "write", content="x = 1\n"),
            Edit("pkg/mod.py", "replace", content="b = 20\n", search="b = 2\n"),
        ],
    )
    assert written == ["src/deep/new.py", "pkg/mod.py"]
    assert (root / "pkg" / "mod.py").read_text() == "a = 1\nb = 20\nc = 3\n"
    apply_edits(root, line_edits([("pkg/mod.py", 1, 1, "A = 1"), ("pkg/mod.py", 3, 3, "C = 3")]))
    assert (root / "pkg" / "mod.py").read_text() == "A = 1\nb = 20\nC = 3\n"


def test_size_limit(root: Path) -> None:
    with pytest.raises(UnsafeEdit, match="larger than"):
        apply_edits(root, [Edit("big.txt", "write", content="x" * 1_000_001)])


def test_check_path_normalises() -> None:
    assert check_path("./pkg//mod.py").as_posix() == "pkg/mod.py"


@pytest.mark.parametrize(
    "path",
    [
        ".gitignore",
        ".gitattributes",
        ".gitmodules",
        "pkg/.gitignore",
        ".githooks/pre-commit",
        ".github/workflows/ci.yml",
        ".GitHub/Workflows/ci.yml",  # one file on a case-insensitive file system
        ".github/actions/setup/action.yml",
        ".pre-commit-config.yaml",
        ".relay-git/templates/plan.system.j2",
        ".relay-git.toml",
        ".git\u200chub/workflows/ci.yml",  # HFS+ ignores the joiner
        "ci/deploy.yml",  # through a symlink into .github/workflows
    ],
)
def test_protected_paths_are_refused_unless_allowed(root: Path, path: str) -> None:
    (root / ".github" / "workflows").mkdir(parents=True)
    (root / "ci").symlink_to(root / ".github" / "workflows")
    with pytest.raises(UnsafeEdit, match=r"protected.*--allow-path"):
        apply_edits(root, [Edit(path, "write", content="x\n")])
    assert not (root / ".github" / "workflows" / "deploy.yml").exists()
    real = os.path.relpath(os.path.realpath(root / path), os.path.realpath(root))
    written = apply_edits(root, [Edit(path, "write", content="x\n")], allow=[path, real])
    assert written == [Path(real).as_posix()]


@pytest.mark.parametrize(
    ("allow", "ok"),
    [
        ([".github/*"], True),  # * crosses /
        ([".github/workflows/*.yml"], True),
        ([".gitignore"], False),
        (["*.yml"], True),
        ([], False),
    ],
)
def test_allow_globs_match_the_whole_path(root: Path, allow: list[str], ok: bool) -> None:
    edit = Edit(".github/workflows/ci.yml", "write", content="on: push\n")
    if ok:
        assert apply_edits(root, [edit], allow=allow) == [".github/workflows/ci.yml"]
    else:
        with pytest.raises(UnsafeEdit):
            apply_edits(root, [edit], allow=allow)


def test_ordinary_dotfiles_are_not_protected(root: Path) -> None:
    edits = [Edit(p, "write", content="x\n") for p in (".editorconfig", ".flake8", "gitlab.py")]
    assert apply_edits(root, edits) == [".editorconfig", ".flake8", "gitlab.py"]
