"""The diff parser never drops input silently (issue 11, item 7).

Four ways input used to be lost or misread — lines left after a hunk, a damaged
``---``/``+++`` pair, prefixes other than a/ b/, and ``diff -U0`` hunks at line 0 —
each either raises a one-line UsageError or is parsed right. Real ``git`` and GNU
``diff`` produce the inputs wherever they can.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.conftest import git
from tests.fakes import FakeBackend, factory, review_reply
from tests.review.test_diff import FRAGMENTS

from relay_git.cli import main
from relay_git.errors import UsageError
from relay_git.review import diff, diffpaths

HEAD = "diff --git a/x b/x\nindex 1..2 100644\n--- a/x\n+++ b/x\n"

# ------------------------------------------------------- lines after a hunk / under-count

LEFTOVER = [
    ("under-count-added", HEAD + "@@ -1 +1 @@\n-a\n+b\n+c\n", "line 8 '+c'"),
    ("under-count-context", HEAD + "@@ -1,1 +1,1 @@\n-a\n+b\n c\n", "line 8 ' c'"),
    ("hides-next-hunk", HEAD + "@@ -1 +1 @@\n-a\n+b\n+c\n@@ -9 +10 @@\n-q\n+r\n", "'+c'"),
    ("after-blank-line", HEAD + "@@ -1 +1 @@\n-a\n+b\n\n+c\n", "line 9 '+c'"),
    ("removed-line", HEAD + "@@ -1,2 +1 @@\n-a\n-b\n+c\n-d\n", "'-d'"),
    ("plain-diff", "--- x\n+++ x\n@@ -1 +1 @@\n-a\n+b\n+c\n", "line 6 '+c'"),
    ("stray-marker", HEAD + "@@ -1 +1 @@\n-a\n+b\n\n\\ No newline at end of file\n", "No newline"),
    ("damaged-hunk-header", HEAD + "@ -1 +1 @\n-a\n+b\n", "'@ -1 +1 @'"),
    ("signature-then-hunk-line", HEAD + "@@ -1 +1 @@\n-a\n+b\n-- \n+c\n", "'-- '"),
]


@pytest.mark.parametrize(("name", "text", "where"), LEFTOVER, ids=[c[0] for c in LEFTOVER])
def test_lines_after_a_hunk_are_an_error(name: str, text: str, where: str) -> None:
    with pytest.raises(UsageError, match="not a unified diff") as err:
        diff.parse(text)
    assert where in str(err.value)
    assert "\n" not in str(err.value)


def test_under_counting_header_from_real_git_is_caught(repo: Path) -> None:
    (repo / "app.py").write_text("".join(f"line {i}\n" for i in range(40)))
    git(repo, "add", "app.py")
    git(repo, "commit", "-q", "-m", "app")
    text = (repo / "app.py").read_text().replace("line 5\n", "line 5\nnew a\nnew b\n")
    (repo / "app.py").write_text(text.replace("line 30\n", "line 30\nnew c\n"))
    out = git(repo, "diff", "--no-color")
    assert len(diff.parse(out)[0].hunks) == 2
    header = next(line for line in out.splitlines() if line.startswith("@@ "))
    _, old, new, *_ = header.split(" ")
    (o_start, o_len), (n_start, n_len) = old.split(","), new.split(",")
    short = f"@@ {o_start},{int(o_len) - 1} {n_start},{int(n_len) - 1} @@"  # one line too few
    damaged = out.replace(header, short, 1)
    with pytest.raises(UsageError, match="is in no hunk"):
        diff.parse(damaged)


TRAILING_TEXT_IS_FINE = [
    ("format-patch-signature", HEAD + "@@ -1 +1 @@\n-a\n+b\n-- \n2.39.5\n\n"),
    ("git-log-p", HEAD + "@@ -1 +1 @@\n-a\n+b\n\ncommit 1234\nAuthor: A <a@b>\n\n    - x\n"),
    ("blank-lines-at-end", HEAD + "@@ -1 +1 @@\n-a\n+b\n\n\n"),
    ("diff-r-lines", "--- d1/x\n+++ d2/x\n@@ -1 +1 @@\n-a\n+b\nOnly in d1: y\n"),
]


@pytest.mark.parametrize(
    ("name", "text"), TRAILING_TEXT_IS_FINE, ids=[c[0] for c in TRAILING_TEXT_IS_FINE]
)
def test_text_between_patches_is_not_an_error(name: str, text: str) -> None:
    (fd,) = diff.parse(text)
    assert [ln.text for ln in fd.hunks[0].lines] == ["a", "b"]


# ----------------------------------------------------------------- damaged ---/+++ lines

DAMAGED = [
    ("plus-short", "diff --git a/x b/x\n--- a/x\n++ b/x\n@@ -1 +1 @@\n-a\n+b\n"),
    ("plus-no-space", "diff --git a/x b/x\n--- a/x\n+++b/x\n@@ -1 +1 @@\n-a\n+b\n"),
    ("minus-short", "diff --git a/x b/x\n-- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n"),
    ("plus-missing", "diff --git a/x b/x\nindex 1..2 100644\n--- a/x\n@@ -1 +1 @@\n-a\n+b\n"),
    ("minus-missing", "diff --git a/x b/x\nindex 1..2 100644\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n"),
]


@pytest.mark.parametrize(("name", "text"), DAMAGED, ids=[c[0] for c in DAMAGED])
def test_damaged_file_header_is_an_error_not_an_empty_file(name: str, text: str) -> None:
    with pytest.raises(UsageError, match=r"not a unified diff: line [23] "):
        diff.parse(text)


# ---------------------------------------------------------------------- prefixes

PREFIX_OPTIONS = [
    (),
    ("--no-prefix",),
    ("--src-prefix=old/", "--dst-prefix=new/"),
    ("--src-prefix=s", "--dst-prefix=d"),
    ("--src-prefix=left/side/", "--dst-prefix=right/"),
    ("--src-prefix=w/", "--dst-prefix=c/"),
]


def _changed_every_way(repo: Path) -> None:
    for rel in ("a/x.py", "b/y.py", "src/app.py", "sp ace/f b.txt", "gone.txt", "mv.txt"):
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo / rel).write_text("".join(f"{rel} {i}\n" for i in range(8)))
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "base")
    for rel in ("a/x.py", "b/y.py", "src/app.py", "sp ace/f b.txt"):
        with (repo / rel).open("a") as fh:
            fh.write("more\n")
    git(repo, "rm", "-q", "gone.txt")
    (repo / "new file.txt").write_text("new\n")
    git(repo, "mv", "mv.txt", "b/moved.txt")
    git(repo, "add", "-A")


@pytest.mark.parametrize("options", PREFIX_OPTIONS, ids=lambda o: " ".join(o) or "default")
def test_paths_match_git_whatever_the_prefixes(repo: Path, options: tuple[str, ...]) -> None:
    """Every path agrees with ``git diff --name-status``, the prefixes stripped."""
    _changed_every_way(repo)
    text = git(repo, "diff", "--cached", "-M", "--no-color", *options)
    got = {
        (f.status[0].upper(), f.old_path if f.status == "renamed" else None, f.path)
        for f in diff.parse(text)
    }
    want = set()
    fields = git(repo, "diff", "--cached", "-M", "--name-status", "-z").split("\0")[:-1]
    while fields:
        status = fields.pop(0)
        if status.startswith("R"):
            old, new = fields.pop(0), fields.pop(0)
            want.add(("R", old, new))
        else:
            want.add((status[0], None, fields.pop(0)))
    assert got == want


def test_prefix_config_and_mnemonic_prefixes(repo: Path) -> None:
    _changed_every_way(repo)
    for config in ("diff.noprefix=true", "diff.mnemonicPrefix=true"):
        text = git(repo, "-c", config, "diff", "--cached", "-M", "--no-color")
        assert {f.path for f in diff.parse(text)} >= {"a/x.py", "sp ace/f b.txt", "b/moved.txt"}


@pytest.mark.parametrize(
    ("left", "right", "old", "new", "expected"),
    [
        ("a/x", "b/x", None, None, ("a/", "b/")),
        ("x", "x", None, None, ("", "")),
        ("old/src/x", "new/src/x", None, None, ("old/", "new/")),
        ("sx/y", "dx/y", None, None, ("s", "d")),
        ("p/one", "q/two", "one", "two", ("p/", "q/")),
        ("dir1/a.txt", "dir2/b.txt", None, None, ("", "")),  # --no-index --no-prefix
    ],
)
def test_prefixes(
    left: str, right: str, old: str | None, new: str | None, expected: tuple[str, str]
) -> None:
    assert diffpaths.prefixes(left, right, old, new) == expected


# -------------------------------------------------------------- plain diff -U0 / -N

needs_gnu_diff = pytest.mark.skipif(shutil.which("diff") is None, reason="GNU diff not installed")


def _gnu_diff(cwd: Path, *args: str, tz: str = "UTC") -> str:
    env = dict(os.environ, TZ=tz, LC_ALL="C")
    proc = subprocess.run(["diff", *args], cwd=cwd, capture_output=True, text=True, env=env)
    assert proc.returncode == 1, proc.stderr
    return proc.stdout


@needs_gnu_diff
def test_u0_hunk_at_line_zero_is_a_modification(tmp_path: Path) -> None:
    (tmp_path / "old.txt").write_text("a\nb\n")
    (tmp_path / "new.txt").write_text("top\na\nb\n")
    (inserted,) = diff.parse(_gnu_diff(tmp_path, "-U0", "old.txt", "new.txt"))
    (removed,) = diff.parse(_gnu_diff(tmp_path, "-U0", "new.txt", "old.txt"))
    assert inserted.hunks[0].old_start == inserted.hunks[0].old_len == 0
    assert (inserted.status, removed.status) == ("modified", "modified")
    assert removed.hunks[0].new_start == removed.hunks[0].new_len == 0


@needs_gnu_diff
@pytest.mark.parametrize("tz", ["UTC", "America/New_York", "Asia/Kolkata"])
def test_diff_n_missing_side_is_added_or_deleted(tmp_path: Path, tz: str) -> None:
    """``diff -ruN`` dates a missing file at the epoch (in local time): that, not ``-0,0``."""
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    (tmp_path / "two" / "born.txt").write_text("x\ny\n")
    (tmp_path / "one" / "dead.txt").write_text("z\n")
    files = {f.path: f for f in diff.parse(_gnu_diff(tmp_path, "-ruN", "one", "two", tz=tz))}
    assert files["born.txt"].status == "added"
    assert files["dead.txt"].status == "deleted"


def test_hand_written_zero_hunk_without_dates_is_a_modification() -> None:
    (fd,) = diff.parse("--- x.py\n+++ x.py\n@@ -0,0 +1 @@\n+top\n")
    assert (fd.status, fd.old_path) == ("modified", "x.py")
    (new,) = diff.parse("--- /dev/null\n+++ x.py\n@@ -0,0 +1 @@\n+top\n")
    assert new.status == "added"


# ------------------------------------------------------------ Binary files ... differ


@pytest.mark.timeout(10)
def test_long_binary_line_parses_in_linear_time() -> None:
    """An 80 kB line that is no binary notice took 4.8 s with the backtracking pattern,
    and 4x that at 160 kB; here the four lines take microseconds (no timed assertion: the
    timeout fails the quadratic version, and bench/diffscale.py reports the figure)."""
    many_ands = "x and " * 27_000  # 160 kB
    for line in (
        "Binary files " + many_ands,
        "Binary files " + many_ands + " differ!",
        "Binary files " + many_ands + "differ",
        "Binary files a/" + "y" * 80_000 + " and b/" + "y" * 80_000 + " differ",
    ):
        files = diff.parse(HEAD + "@@ -1 +1 @@\n-a\n+b\n" + line + "\n")
        assert len(files) == 1 + line.endswith(" differ")


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Binary files a/x and b/x differ", ("a/x", "b/x")),
        ("Binary files a/r and d.png and b/r and d.png differ", ("a/r and d.png", "b/r and d.png")),
        ("Binary files /dev/null and b/new and old differ", ("/dev/null and b/new", "old")),
        ("Binary files a/x differ", None),
        ("Binary files a/x and b/x", None),
    ],
)
def test_split_binary_line(line: str, expected: tuple[str, str] | None) -> None:
    assert diffpaths.split_binary_line(line) == expected


# ------------------------------------------------------------------ NUL bytes = binary


def test_nul_bytes_make_a_text_diffed_file_binary(repo: Path) -> None:
    (repo / "blob.bin").write_bytes(b"\x89PNG\0\0\1\n\2\3\n")
    (repo / "app.py").write_text("x = 1\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "base")
    (repo / "blob.bin").write_bytes(b"\x89PNG\0\0\1\n\2\4\n")
    (repo / "app.py").write_text("x = 2\n")
    git(repo, "add", "-A")
    raw = subprocess.run(
        ["git", "diff", "--cached", "--text"], cwd=repo, capture_output=True, check=True
    ).stdout
    files = {f.path: f for f in diff.parse(raw.decode("utf-8", "surrogateescape"))}
    assert files["blob.bin"].is_binary and files["blob.bin"].hunks == ()
    added = [ln for h in files["app.py"].hunks for ln in h.lines if ln.kind == "+"]
    assert not files["app.py"].is_binary and len(added) == 1


# --------------------------------------------------------------------------- fuzzing

MORE_FRAGMENTS = [
    *FRAGMENTS,
    "diff --git old/x new/x",
    "--- old/x",
    "+++ new/x",
    "++ b/x",
    "-- ",
    "--- x\t1970-01-01 00:00:00.000000000 +0000",
    "+++ x\t2026-01-01 00:00:00.000000000 +0000",
    "@@ -0,0 +0,0 @@",
    "+\0nul",
]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(MORE_FRAGMENTS), max_size=14))
def test_more_fragments_parse_or_raise_usage_error(lines: list[str]) -> None:
    try:
        files = diff.parse("\n".join(lines))
    except UsageError as err:
        assert str(err).startswith("not a unified diff")
    else:
        assert all(f.status in {"added", "deleted", "modified", "renamed"} for f in files)


def _file(k: int, removed: int, added: int, context: int) -> list[str]:
    lines = [f"diff --git a/f{k} b/f{k}", "index 1..2 100644", f"--- a/f{k}", f"+++ b/f{k}"]
    lines.append(f"@@ -1,{removed + context} +1,{added + context} @@")
    lines += [f" c{k}_{j}" for j in range(context)]
    lines += [f"-r{k}_{j}" for j in range(removed)] + [f"+a{k}_{j}" for j in range(added)]
    return lines


MUTATIONS = ("none", "under-count", "over-count", "damage+++", "damage---", "extra", "cut")


def _mutate(lines: list[str], how: str, at: int) -> list[str]:
    out = list(lines)
    pick = [i for i, ln in enumerate(out) if ln.startswith(_PICK[how])] or [0]
    i = pick[at % len(pick)]
    if how == "under-count":
        out[i] = out[i].replace(" @@", "").rsplit(",", 1)[0] + ",0 @@"
    elif how == "over-count":
        out[i] = out[i].replace(" @@", "9 @@")
    elif how in ("damage+++", "damage---"):
        out[i] = out[i][1:]
    elif how == "extra":
        out.insert(i + 1, "+extra")
    elif how == "cut":
        del out[i]
    return out


_PICK = {
    "none": "\0",
    "under-count": "@@",
    "over-count": "@@",
    "damage+++": "+++",
    "damage---": "---",
    "extra": "+a",
    "cut": "diff",
}
_SHAPE = st.tuples(st.integers(0, 3), st.integers(0, 3), st.integers(0, 3)).filter(
    lambda t: t[0] + t[1] > 0
)


@settings(max_examples=400, deadline=None)
@given(
    st.lists(_SHAPE, min_size=1, max_size=3),
    st.sampled_from(MUTATIONS),
    st.integers(0, 10),
)
def test_damaged_git_diffs_keep_every_changed_line_or_raise(
    shapes: list[tuple[int, int, int]], how: str, at: int
) -> None:
    """Well-formed ``git diff`` files, one damaged: every +/- line lands in a hunk, or
    the parse raises; it never returns with a changed line missing."""
    lines = [ln for k, shape in enumerate(shapes) for ln in _file(k, *shape)]
    damaged = _mutate(lines, how, at)
    try:
        files = diff.parse("\n".join(damaged) + "\n")
    except UsageError as err:
        assert str(err).startswith("not a unified diff") and how != "none"
        return
    kept = sorted(ln.kind + ln.text for f in files for h in f.hunks for ln in h.lines)
    changed = [ln for ln in damaged if ln[:1] in "+-" and ln[:4] not in ("+++ ", "--- ")]
    assert sorted(ln for ln in changed if ln[:2] not in ("++", "--")) == [
        k for k in kept if k[0] in "+-"
    ]


# ------------------------------------------------------------------------- the CLI

CLI_CASES = [LEFTOVER[0], LEFTOVER[1], (DAMAGED[0][0], DAMAGED[0][1], "'---'/'+++'")]


@pytest.mark.parametrize(("name", "text", "where"), CLI_CASES, ids=[c[0] for c in CLI_CASES])
def test_bad_diff_file_exits_2_with_one_line(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    text: str,
    where: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    patch = tmp_path / "change.patch"
    patch.write_text(text)
    code = main(["review", "--reviewer", "ollama:unused", "--diff-file", str(patch)])
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    [line] = err.splitlines()
    assert line.startswith("relay-git: error: not a unified diff: line ") and where in line


def test_bad_diff_on_stdin_exits_2_without_traceback(tmp_path: Path) -> None:
    """The real interpreter reading a damaged patch from stdin: one line, exit 2."""
    src = Path(diff.__file__).resolve().parents[2]
    proc = subprocess.run(
        [sys.executable, "-m", "relay_git", "review", "--reviewer", "ollama:x", "--diff-file", "-"],
        input=LEFTOVER[0][1],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=dict(os.environ, PYTHONPATH=str(src)),
        timeout=60,
    )
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
    assert "is in no hunk" in proc.stderr


# ------------------------------------------------------------------ a lone \r in content

LONE_CR = "diff --git a/x b/x\nindex 1..2 100644\n--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\rc\n"


def test_lone_carriage_return_stays_inside_its_line(repo: Path) -> None:
    """Old Mac text (or a binary's bytes) through ``Repository.diff``: git's \\r is content."""
    from relay_git.git.repo import Repository

    (repo / "mac.txt").write_bytes(b"one\rtwo\n")
    git(repo, "add", "mac.txt")
    (fd,) = diff.parse(Repository.discover(repo).diff_staged())
    assert [ln.text for ln in fd.hunks[0].lines] == ["one\rtwo"]


def test_lone_carriage_return_in_a_diff_file_is_not_dropped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # outside any repository: no review cache is written
    (fd,) = diff.parse(LONE_CR)
    assert fd.hunks[0].lines[1].text == "b\rc"
    patch = tmp_path / "cr.patch"
    patch.write_bytes(LONE_CR.encode())
    fake = FakeBackend("ollama:fake-reviewer").enqueue(review_reply())
    args = ["review", "--reviewer", "ollama:fake-reviewer", "--diff-file", str(patch), "-q"]
    args.append("--no-cache")
    code = main(args, obj={"make_backend": factory(fake)})
    assert code == 0, capsys.readouterr().err
    assert "b\rc" in fake.history[0].messages[-1]["content"]
