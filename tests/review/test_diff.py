"""diff.parse over literal diffs (tables), plus real `git diff` output from temp repos."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.conftest import git

from relay_git.errors import UsageError
from relay_git.review import diff

MODIFIED_TWO_HUNKS = """\
diff --git a/src/app.py b/src/app.py
index 83db48f..bf269f4 100644
--- a/src/app.py
+++ b/src/app.py
@@ -1,4 +1,5 @@ import os
 import sys
+import json
\x20
 def main():
     pass
@@ -20,3 +21,3 @@ def helper():
 a = 1
-b = 2
+b = 3
 c = 4
"""

NEW_FILE = """\
diff --git a/new.txt b/new.txt
new file mode 100644
index 0000000..3b18e51
--- /dev/null
+++ b/new.txt
@@ -0,0 +1,2 @@
+hello
+world
"""

DELETED_FILE = """\
diff --git a/old.txt b/old.txt
deleted file mode 100644
index 3b18e51..0000000
--- a/old.txt
+++ /dev/null
@@ -1,2 +0,0 @@
-hello
-world
"""

PURE_RENAME = """\
diff --git a/docs/a.md b/docs/b.md
similarity index 100%
rename from docs/a.md
rename to docs/b.md
"""

RENAME_WITH_EDIT = """\
diff --git a/lib/old name.py b/lib/new name.py
similarity index 90%
rename from lib/old name.py
rename to lib/new name.py
index 1111111..2222222 100644
--- a/lib/old name.py\t
+++ b/lib/new name.py\t
@@ -1,2 +1,2 @@
 x = 1
-y = 2
+y = 3
"""

COPY = """\
diff --git a/ren.txt b/copy.txt
similarity index 94%
copy from ren.txt
copy to copy.txt
index 0ff3bbb..d4de868 100644
--- a/ren.txt
+++ b/copy.txt
@@ -2,1 +2,2 @@
 20
+21
"""

MODE_ONLY = """\
diff --git a/run.sh b/run.sh
old mode 100644
new mode 100755
"""

MODE_AND_CONTENT = """\
diff --git a/run.sh b/run.sh
old mode 100644
new mode 100755
index 1111111..2222222
--- a/run.sh
+++ b/run.sh
@@ -1 +1 @@
-echo hi
+echo hello
"""

NO_NEWLINE = """\
diff --git a/f.txt b/f.txt
index 1111111..2222222 100644
--- a/f.txt
+++ b/f.txt
@@ -1,2 +1,3 @@
 one
-two
\\ No newline at end of file
+two
+three
\\ No newline at end of file
"""

CRLF = (
    "diff --git a/w.txt b/w.txt\r\n"
    "index 1111111..2222222 100644\r\n"
    "--- a/w.txt\r\n"
    "+++ b/w.txt\r\n"
    "@@ -1,2 +1,2 @@\r\n"
    " keep\r\n"
    "-old\r\n"
    "+new\r\n"
)

QUOTED_UNICODE = """\
diff --git "a/\\303\\244 dir/\\303\\266.txt" "b/\\303\\244 dir/\\303\\266.txt"
index 1111111..2222222 100644
--- "a/\\303\\244 dir/\\303\\266.txt"
+++ "b/\\303\\244 dir/\\303\\266.txt"
@@ -1 +1 @@
-a
+b
"""

QUOTED_RENAME_NO_HUNKS = """\
diff --git "a/\\303\\244.txt" "b/\\303\\266.txt"
similarity index 100%
rename from "\\303\\244.txt"
rename to "\\303\\266.txt"
"""

QUOTED_ESCAPES = """\
diff --git "a/tab\\there" "b/tab\\there"
new file mode 100644
index 0000000..e69de29
"""

RAW_UNICODE = """\
diff --git a/ünï/çødé.py b/ünï/çødé.py
index 1111111..2222222 100644
--- a/ünï/çødé.py
+++ b/ünï/çødé.py
@@ -1 +1 @@
-π = 3
+π = 3.14159
"""

BINARY_DIFFER = """\
diff --git a/img.png b/img.png
index 1111111..2222222 100644
Binary files a/img.png and b/img.png differ
"""

NEW_BINARY = """\
diff --git a/img.png b/img.png
new file mode 100644
index 0000000..2222222
Binary files /dev/null and b/img.png differ
"""

GIT_BINARY_PATCH = """\
diff --git a/b.bin b/b.bin
index 8352675d67aed6625ece79af41c27fdb4ee2e867..1592e5c60f1a460928916dc5681fee1a9bd10868 100644
GIT binary patch
literal 3
KcmZQzWCj2L2ml2D

literal 3
KcmZQzWC8#H2LJ>B

diff --git a/after.txt b/after.txt
index 1111111..2222222 100644
--- a/after.txt
+++ b/after.txt
@@ -1 +1 @@
-x
+y
"""

EMPTY_NEW_FILE = """\
diff --git a/empty b/empty
new file mode 100644
index 0000000..e69de29
"""

NO_PREFIX = """\
diff --git src/a.py src/a.py
index 1111111..2222222 100644
--- src/a.py
+++ src/a.py
@@ -1 +1 @@
-x
+y
"""

MNEMONIC = """\
diff --git i/src/a.py w/src/a.py
index 1111111..2222222 100644
--- i/src/a.py
+++ w/src/a.py
@@ -1 +1 @@
-x
+y
"""

PLAIN_SINGLE = """\
--- hello.c\t2024-01-01 10:00:00.000000000 +0000
+++ hello.c\t2024-01-02 10:00:00.000000000 +0000
@@ -1,3 +1,3 @@
 #include <stdio.h>
-int main() { return 1; }
+int main() { return 0; }

"""

PLAIN_RECURSIVE = """\
diff -ruN old/pkg/mod.py new/pkg/mod.py
--- old/pkg/mod.py\t2024-01-01 10:00:00.000000000 +0000
+++ new/pkg/mod.py\t2024-01-02 10:00:00.000000000 +0000
@@ -1 +1,2 @@
 a
+b
diff -ruN old/pkg/gone.py new/pkg/gone.py
--- old/pkg/gone.py\t2024-01-01 10:00:00.000000000 +0000
+++ new/pkg/gone.py\t1970-01-01 00:00:00.000000000 +0000
@@ -1 +0,0 @@
-bye
Only in new: extra
Binary files old/logo.png and new/logo.png differ
"""

FORMAT_PATCH = """\
From 1234567890abcdef1234567890abcdef12345678 Mon Sep 17 00:00:00 2001
From: Test User <test@example.com>
Subject: [PATCH] tweak

---
 a.txt | 2 +-
 1 file changed, 1 insertion(+), 1 deletion(-)

diff --git a/a.txt b/a.txt
index 1111111..2222222 100644
--- a/a.txt
+++ b/a.txt
@@ -1 +1 @@
-old
+new
--\x20
2.39.5

"""

# name, diff, [(path, old_path, status, is_binary, hunks, added, removed)]
CASES = [
    ("modified", MODIFIED_TWO_HUNKS, [("src/app.py", "src/app.py", "modified", False, 2, 2, 1)]),
    ("new", NEW_FILE, [("new.txt", None, "added", False, 1, 2, 0)]),
    ("deleted", DELETED_FILE, [("old.txt", "old.txt", "deleted", False, 1, 0, 2)]),
    ("rename", PURE_RENAME, [("docs/b.md", "docs/a.md", "renamed", False, 0, 0, 0)]),
    (
        "rename-edit",
        RENAME_WITH_EDIT,
        [("lib/new name.py", "lib/old name.py", "renamed", False, 1, 1, 1)],
    ),
    ("copy", COPY, [("copy.txt", "ren.txt", "added", False, 1, 1, 0)]),
    ("mode-only", MODE_ONLY, [("run.sh", "run.sh", "modified", False, 0, 0, 0)]),
    ("mode-content", MODE_AND_CONTENT, [("run.sh", "run.sh", "modified", False, 1, 1, 1)]),
    ("no-newline", NO_NEWLINE, [("f.txt", "f.txt", "modified", False, 1, 2, 1)]),
    ("crlf", CRLF, [("w.txt", "w.txt", "modified", False, 1, 1, 1)]),
    ("quoted", QUOTED_UNICODE, [("ä dir/ö.txt", "ä dir/ö.txt", "modified", False, 1, 1, 1)]),
    ("quoted-rename", QUOTED_RENAME_NO_HUNKS, [("ö.txt", "ä.txt", "renamed", False, 0, 0, 0)]),
    ("quoted-escape", QUOTED_ESCAPES, [("tab\there", None, "added", False, 0, 0, 0)]),
    ("raw-unicode", RAW_UNICODE, [("ünï/çødé.py", "ünï/çødé.py", "modified", False, 1, 1, 1)]),
    ("binary", BINARY_DIFFER, [("img.png", "img.png", "modified", True, 0, 0, 0)]),
    ("new-binary", NEW_BINARY, [("img.png", None, "added", True, 0, 0, 0)]),
    (
        "git-binary-patch",
        GIT_BINARY_PATCH,
        [
            ("b.bin", "b.bin", "modified", True, 0, 0, 0),
            ("after.txt", "after.txt", "modified", False, 1, 1, 1),
        ],
    ),
    ("empty-new", EMPTY_NEW_FILE, [("empty", None, "added", False, 0, 0, 0)]),
    ("no-prefix", NO_PREFIX, [("src/a.py", "src/a.py", "modified", False, 1, 1, 1)]),
    ("mnemonic", MNEMONIC, [("src/a.py", "src/a.py", "modified", False, 1, 1, 1)]),
    ("plain", PLAIN_SINGLE, [("hello.c", "hello.c", "modified", False, 1, 1, 1)]),
    (
        "plain-recursive",
        PLAIN_RECURSIVE,
        [
            ("pkg/mod.py", "pkg/mod.py", "modified", False, 1, 1, 0),
            ("pkg/gone.py", "pkg/gone.py", "deleted", False, 1, 0, 1),
            ("logo.png", "logo.png", "modified", True, 0, 0, 0),
        ],
    ),
    ("format-patch", FORMAT_PATCH, [("a.txt", "a.txt", "modified", False, 1, 1, 1)]),
]


def _count(fd: diff.FileDiff, kind: str) -> int:
    return sum(1 for h in fd.hunks for ln in h.lines if ln.kind == kind)


@pytest.mark.parametrize(("name", "text", "expected"), CASES, ids=[c[0] for c in CASES])
def test_parse_files(
    name: str, text: str, expected: list[tuple[str, str | None, str, bool, int, int, int]]
) -> None:
    got = [
        (f.path, f.old_path, f.status, f.is_binary, len(f.hunks), _count(f, "+"), _count(f, "-"))
        for f in diff.parse(text)
    ]
    assert got == expected


@pytest.mark.parametrize("text", ["", "\n", "  \n\n"])
def test_empty_input_is_no_files(text: str) -> None:
    assert diff.parse(text) == []


@pytest.mark.parametrize(
    ("text", "old_mode", "new_mode", "changed"),
    [
        (MODE_ONLY, "100644", "100755", True),
        (MODE_AND_CONTENT, "100644", "100755", True),
        (NEW_FILE, None, "100644", False),
        (DELETED_FILE, "100644", None, False),
        (MODIFIED_TWO_HUNKS, "100644", "100644", False),
    ],
)
def test_modes(text: str, old_mode: str | None, new_mode: str | None, changed: bool) -> None:
    (fd,) = diff.parse(text)
    assert (fd.old_mode, fd.new_mode) == (old_mode, new_mode)
    assert bool(fd.old_mode and fd.new_mode and fd.old_mode != fd.new_mode) == changed


@pytest.mark.parametrize(
    ("text", "similarity", "is_copy"),
    [(PURE_RENAME, 100, False), (RENAME_WITH_EDIT, 90, False), (COPY, 94, True)],
)
def test_similarity(text: str, similarity: int, is_copy: bool) -> None:
    (fd,) = diff.parse(text)
    assert (fd.similarity, fd.is_copy) == (similarity, is_copy)


def test_line_numbers_and_kinds() -> None:
    (fd,) = diff.parse(MODIFIED_TWO_HUNKS)
    first, second = fd.hunks
    assert first.section == "import os"
    assert [(ln.kind, ln.old_no, ln.new_no, ln.text) for ln in first.lines] == [
        (" ", 1, 1, "import sys"),
        ("+", None, 2, "import json"),
        (" ", 2, 3, ""),
        (" ", 3, 4, "def main():"),
        (" ", 4, 5, "    pass"),
    ]
    assert first.added() == {2}
    assert first.new_side() == {1, 2, 3, 4, 5}
    assert second.added() == {22}
    assert second.new_side() == {21, 22, 23}
    assert fd.new_side() == {1, 2, 3, 4, 5, 21, 22, 23}


def test_no_newline_marks_the_right_lines() -> None:
    (fd,) = diff.parse(NO_NEWLINE)
    marked = [(ln.kind, ln.text) for ln in fd.hunks[0].lines if ln.no_newline]
    assert marked == [("-", "two"), ("+", "three")]


def test_crlf_keeps_carriage_return_out_of_text() -> None:
    (fd,) = diff.parse(CRLF)
    assert [ln.text for ln in fd.hunks[0].lines] == ["keep", "old", "new"]
    assert "\r" not in fd.text


@pytest.mark.parametrize(
    "text",
    [MODIFIED_TWO_HUNKS, NEW_FILE, DELETED_FILE, RENAME_WITH_EDIT, COPY, NO_NEWLINE, MODE_ONLY],
)
def test_text_reproduces_git_diff(text: str) -> None:
    (fd,) = diff.parse(text)
    assert fd.text == text


def test_hunk_text_normalises_short_header() -> None:
    (fd,) = diff.parse(MODE_AND_CONTENT)
    assert fd.hunks[0].text == "@@ -1,1 +1,1 @@\n-echo hi\n+echo hello\n"


def test_binary_header_keeps_marker_but_not_payload() -> None:
    binary, after = diff.parse(GIT_BINARY_PATCH)
    assert binary.header.endswith("GIT binary patch\n")
    assert "KcmZ" not in binary.text
    assert after.hunks[0].lines[1].text == "y"


# (line, end_line, anchorable) against MODIFIED_TWO_HUNKS (new side 1-5 and 21-23)
ANCHOR_CASES = [
    (2, 2, True),  # an added line
    (1, 5, True),  # the whole first hunk, context included
    (3, 4, True),  # context lines only
    (21, 23, True),
    (5, 21, False),  # spans two hunks
    (6, 6, False),  # between hunks
    (4, 3, False),  # reversed range
    (0, 1, False),
    (23, 24, False),  # runs past the hunk
    (100, 100, False),
]


@pytest.mark.parametrize(("line", "end_line", "expected"), ANCHOR_CASES)
def test_anchorable(line: int, end_line: int, expected: bool) -> None:
    (fd,) = diff.parse(MODIFIED_TWO_HUNKS)
    assert diff.anchorable(fd, line, end_line) is expected


def test_anchorable_never_on_deleted_file_or_binary() -> None:
    (deleted,) = diff.parse(DELETED_FILE)
    (binary,) = diff.parse(BINARY_DIFFER)
    assert not diff.anchorable(deleted, 1, 1)
    assert not diff.anchorable(binary, 1, 1)


def test_hunk_for() -> None:
    (fd,) = diff.parse(MODIFIED_TWO_HUNKS)
    assert fd.hunk_for(22) is fd.hunks[1]
    assert fd.hunk_for(10) is None


BAD_CASES = [
    ("garbage", "this is not a diff\nat all\n", "no 'diff --git'"),
    ("truncated", "--- a/x\n+++ b/x\n@@ -1,3 +1,3 @@\n a\n", "cut short"),
    ("bad-line", "--- a/x\n+++ b/x\n@@ -1,2 +1,2 @@\n a\n?b\n", "inside the hunk"),
    ("too-long", "--- a/x\n+++ b/x\n@@ -1,1 +1,1 @@\n+a\n+b\n-c\n", "longer than"),
    ("combined", "diff --cc f.txt\nindex 1,2..3\n", "combined"),
    ("marker-first", "--- a/x\n+++ b/x\n@@ -1 +1 @@\n\\ No newline\n-a\n+b\n", "follows no"),
    ("bad-quote", 'diff --git "a/x\n', "unterminated"),
]


@pytest.mark.parametrize(("name", "text", "message"), BAD_CASES, ids=[c[0] for c in BAD_CASES])
def test_bad_input_is_a_usage_error(name: str, text: str, message: str) -> None:
    with pytest.raises(UsageError, match="not a unified diff") as err:
        diff.parse(text)
    assert message in str(err.value)


# ------------------------------------------------------------------ real `git diff` output


def _staged_diff(repo: Path, *args: str) -> str:
    out = subprocess.run(
        ["git", "-c", "core.quotePath=true", "diff", "--cached", "-M", *args],
        cwd=repo,
        check=True,
        capture_output=True,
    ).stdout
    return out.decode("utf-8")


def test_real_git_diff(repo: Path) -> None:
    """Files changed every way git distinguishes, diffed by the real git binary."""
    (repo / "ä.txt").write_text("x\n")
    (repo / "run.sh").write_text("echo\n")
    (repo / "blob.bin").write_bytes(b"\0\1\2")
    (repo / "moved.txt").write_text("".join(f"{i}\n" for i in range(20)))
    (repo / "gone.txt").write_text("bye\n")
    (repo / "crlf.txt").write_bytes(b"a\r\nb\r\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "base")
    git(repo, "mv", "ä.txt", "ö.txt")
    (repo / "run.sh").chmod(0o755)
    (repo / "blob.bin").write_bytes(b"\0\1\3")
    (repo / "dir with space").mkdir()
    git(repo, "mv", "moved.txt", "dir with space/moved.txt")
    with (repo / "dir with space/moved.txt").open("a") as handle:
        handle.write("20\n")
    git(repo, "rm", "-q", "gone.txt")
    (repo / "crlf.txt").write_bytes(b"a\r\nc\r\n")
    (repo / "README.md").write_text("hello\nworld")
    git(repo, "add", "-A")
    for extra in ((), ("--binary",)):
        files = {f.path: f for f in diff.parse(_staged_diff(repo, *extra))}
        assert files["ö.txt"].status == "renamed"
        assert files["ö.txt"].old_path == "ä.txt"
        assert (files["run.sh"].old_mode, files["run.sh"].new_mode) == ("100644", "100755")
        assert files["blob.bin"].is_binary
        assert files["dir with space/moved.txt"].old_path == "moved.txt"
        assert _count(files["dir with space/moved.txt"], "+") == 1
        assert files["gone.txt"].status == "deleted"
        assert [ln.text for ln in files["crlf.txt"].hunks[0].lines] == ["a", "b", "c"]
        readme = files["README.md"].hunks[0].lines
        assert [ln.no_newline for ln in readme] == [False, True]
        assert len(files) == 7


# ------------------------------------------------------------------ robustness

FRAGMENTS = [
    "diff --git a/x b/x",
    'diff --git "a/\\303\\244" "b/\\9"',
    "--- a/x",
    "+++ b/x",
    "--- /dev/null",
    "@@ -1,2 +1,2 @@",
    "@@ -0,0 +1 @@ ctx",
    "@@ -1 +0,0 @@",
    "@@ bogus @@",
    " context",
    "+added",
    "-removed",
    "\\ No newline at end of file",
    "",
    "\r",
    "rename from x",
    'rename to "y\\',
    "similarity index ²%",
    "new file mode 100644",
    "deleted file mode 100644",
    "Binary files a/x and b/x differ",
    "GIT binary patch",
    "literal 3",
    "index 1..2 100644",
]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(FRAGMENTS), max_size=12))
def test_arbitrary_input_parses_or_raises_usage_error(lines: list[str]) -> None:
    try:
        files = diff.parse("\n".join(lines))
    except UsageError as err:
        assert str(err).startswith("not a unified diff")
    else:
        for fd in files:
            assert fd.status in {"added", "deleted", "modified", "renamed"}
            for hunk in fd.hunks:
                assert all(ln.kind in {"+", "-", " "} for ln in hunk.lines)
