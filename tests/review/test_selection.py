from __future__ import annotations

import pytest

from relay_git.models.base import estimate_tokens
from relay_git.review.diff import parse
from relay_git.review.selection import plan_chunks, render_hunk, select


def _added(path: str, lines: int, start: int = 1) -> str:
    body = "".join(f"+line {i}\n" for i in range(start, start + lines))
    return (
        f"diff --git a/{path} b/{path}\nnew file mode 100644\n--- /dev/null\n+++ b/{path}\n"
        f"@@ -0,0 +1,{lines} @@\n{body}"
    )


@pytest.mark.parametrize(
    ("path", "local", "reason"),
    [
        ("src/app.py", False, None),
        ("package-lock.json", False, "lockfile"),
        ("vendor/lib/x.py", False, None),  # no name makes a file generated (issue 18)
        ("web/app.min.js", False, None),
        ("proto/x_pb2.py", False, None),
        ("build/helpers.py", False, None),
        ("gen/marked.py", False, "generated"),  # the base commit's attributes say so
        (".env", False, "secret"),
        ("config/.env.production", False, "secret"),
        ("deploy/id_rsa", False, "secret"),
        ("certs/server.pem", False, "secret"),
        (".env", True, None),  # a local model may read it: nothing leaves the machine
        ("docs/guide.md", False, "excluded"),
    ],
)
def test_skip_reasons(path: str, local: bool, reason: str | None) -> None:
    from relay_git.config import DEFAULT_SECRET_PATTERNS

    files = parse(_added(path, 2))
    generated = {"gen/marked.py"}
    kept, skipped = select(files, ("docs/*",), DEFAULT_SECRET_PATTERNS, local, 10, generated)
    assert [s.reason for s in skipped] == ([] if reason is None else [reason])
    assert len(kept) == (1 if reason is None else 0)
    assert all(s.gap == (s.reason != "excluded") for s in skipped)  # all unseen but excluded


def test_deleted_and_max_files_are_named() -> None:
    deleted = (
        "diff --git a/old.py b/old.py\ndeleted file mode 100644\n"
        "--- a/old.py\n+++ /dev/null\n@@ -1 +0,0 @@\n-x\n"
    )
    text = deleted + _added("a.py", 1) + _added("b.py", 1)
    kept, skipped = select(parse(text), (), (), False, 1)
    assert [k.path for k in kept] == ["a.py"]
    assert [(s.path, s.reason, s.limit) for s in skipped] == [
        ("old.py", "deleted", False),
        ("b.py", "over --max-files 1", True),
    ]


def test_small_files_share_a_chunk() -> None:
    files = parse(_added("a.py", 3) + _added("b.py", 3))
    plan = plan_chunks(files, 1000, estimate_tokens)
    assert len(plan.chunks) == 1
    assert plan.chunks[0].paths == ("a.py", "b.py")
    assert plan.chunks[0].hunks == 2


def test_big_file_split_by_hunk_and_oversized_hunk_reported() -> None:
    hunks = "".join(
        f"@@ -{i * 100 + 1},0 +{i * 100 + 1},20 @@\n"
        + "".join(f"+v{i}_{j} = {j}\n" for j in range(20))
        for i in range(4)
    )
    huge = "@@ -900,0 +900,400 @@\n" + "".join(f"+big_{j} = {j}\n" for j in range(400))
    text = "diff --git a/m.py b/m.py\n--- a/m.py\n+++ b/m.py\n" + hunks + huge
    files = parse(text)
    budget = 200
    plan = plan_chunks(files, budget, estimate_tokens)
    assert plan.split == ("m.py",)
    assert len(plan.chunks) > 1
    assert all(estimate_tokens(c.text) <= budget + 5 for c in plan.chunks)
    assert sum(c.hunks for c in plan.chunks) == 4
    assert [(s.path, s.limit) for s in plan.too_large] == [("m.py", True)]


def test_render_hunk_numbers_new_side_lines() -> None:
    text = "diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -10,3 +10,3 @@ def f():\n a\n-b\n+c\n d\n"
    rendered = render_hunk(parse(text)[0].hunks[0]).splitlines()
    assert rendered == [
        "@@ -10,3 +10,3 @@ def f():",
        "   10  a",
        "      -b",
        "   11 +c",
        "   12  d",
    ]
