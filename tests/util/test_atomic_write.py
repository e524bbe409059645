"""util/fs.atomic_write on a real temporary directory: the one write-temp-then-rename."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from relay_git.util.fs import atomic_write


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_writes_text_as_utf8_and_bytes_as_given(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    atomic_write(target, "naïve\n")
    assert target.read_bytes() == "naïve\n".encode()
    atomic_write(target, b"\xff raw")
    assert target.read_bytes() == b"\xff raw"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.txt"]  # no temporary left


def test_mode_is_set_and_keep_mode_keeps_the_old_one(tmp_path: Path) -> None:
    hook = tmp_path / "pre-commit"
    atomic_write(hook, "#!/bin/sh\n", mode=0o755)
    assert _mode(hook) == 0o755
    script = tmp_path / "run.sh"
    script.write_text("old")
    script.chmod(0o750)
    atomic_write(script, "new", keep_mode=True)
    assert script.read_text() == "new" and _mode(script) == 0o750
    private = tmp_path / "trusted.json"
    atomic_write(private, "{}", mode=0o600)
    assert _mode(private) == 0o600


def test_a_symlink_is_replaced_never_followed(tmp_path: Path) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_text("keep")
    target = tmp_path / "dir" / "link.txt"
    target.parent.mkdir()
    target.symlink_to(outside)
    atomic_write(target, "mine")
    assert not target.is_symlink() and target.read_text() == "mine"
    assert outside.read_text() == "keep"


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root writes into a read-only directory")
    target = tmp_path / "state.json"
    target.write_text("old")
    tmp_path.chmod(0o500)
    try:
        with pytest.raises(PermissionError):
            atomic_write(target, "new")
    finally:
        tmp_path.chmod(0o700)
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["state.json"]


def test_an_error_after_the_temporary_exists_removes_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "state.json"
    target.write_text("old")

    def refuse(_src: object, _dst: object) -> None:
        raise OSError("rename refused")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(OSError, match="rename refused"):
        atomic_write(target, "new")
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["state.json"]
