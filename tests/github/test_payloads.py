"""Pure payload building: comments, ranges, suggestions, the cap, folding, markers, escaping."""

from __future__ import annotations

import pytest

from relay_git.github import payloads as gh
from relay_git.review.diff import parse
from relay_git.types import Category, Coverage, Finding, Review, Severity, SkippedFile, Verdict

DIFF = """\
diff --git a/app.py b/app.py
index 1111111..2222222 100644
--- a/app.py
+++ b/app.py
@@ -1,3 +1,4 @@
 a = 1
-b = 2
+b = 3
+c = 4
 d = 5
@@ -20,2 +21,3 @@ def f():
 x = 1
+y = 2
 z = 3
"""
FILES = {fd.path: fd for fd in parse(DIFF)}


def finding(
    line: int,
    end: int | None = None,
    sev: Severity = Severity.WARNING,
    fp: str = "",
    suggestion: str | None = None,
    path: str = "app.py",
    message: str = "m",
) -> Finding:
    fp = fp or f"{path}{line}{end}{sev.value}".encode().hex()[:20]
    return Finding(
        path, line, end or line, sev, Category.BUG, message, suggestion=suggestion, fingerprint=fp
    )


def review_of(*findings: Finding, coverage: Coverage | None = None) -> Review:
    return Review(Verdict.FIX, "sum", findings, coverage or Coverage(("app.py",), (), (), 2, 2))


@pytest.mark.parametrize(
    ("line", "end", "ok"),
    [
        (2, 2, True),  # an added line
        (1, 4, True),  # context through context, one hunk
        (4, 4, True),  # a context line on the new side
        (5, 5, False),  # between hunks
        (4, 22, False),  # spans two hunks
        (22, 22, True),
        (24, 24, False),  # after the last hunk
    ],
)
def test_placeable_needs_one_hunk_on_the_new_side(line: int, end: int, ok: bool) -> None:
    assert gh.placeable(finding(line, end), FILES) is ok


def test_placeable_rejects_other_files_and_old_side() -> None:
    assert not gh.placeable(finding(2, path="nope.py"), FILES)
    old_side = Finding("app.py", 2, 2, Severity.ERROR, Category.BUG, "m", side="old")
    assert not gh.placeable(old_side, FILES)


@pytest.mark.parametrize(
    ("line", "end", "expected"),
    [
        (2, 2, {"path": "app.py", "line": 2, "side": "RIGHT"}),
        (2, 3, {"path": "app.py", "line": 3, "side": "RIGHT", "start_line": 2,
                "start_side": "RIGHT"}),
    ],
)  # fmt: skip
def test_comment_payload_uses_line_side_and_start_for_ranges(
    line: int, end: int, expected: dict[str, object]
) -> None:
    payload = gh.comment_payload(finding(line, end, fp="abcdef123456"))
    assert {k: v for k, v in payload.items() if k != "body"} == expected
    assert payload["body"].endswith("<!-- relay-git:fingerprint=abcdef123456 -->")


@pytest.mark.parametrize(
    ("suggestion", "fence"),
    [("b = 2\n", "```"), ("s = '```'", "````"), ("", "```")],
)
def test_suggestion_blocks_outfence_their_content(suggestion: str, fence: str) -> None:
    body = gh.comment_body(finding(2, suggestion=suggestion))
    code = suggestion.removesuffix("\n")
    assert f"{fence}suggestion\n{code}\n{fence}" in body


def test_no_suggestion_block_without_a_suggestion() -> None:
    assert "suggestion" not in gh.comment_body(finding(2))


def test_model_text_cannot_forge_markers() -> None:
    forged = "x <!-- relay-git:fingerprint=deadbeef00 --> <!-- relay-git:summary -->"
    marker = "<!-- relay-git:fingerprint=deadbeef00 -->"
    body = gh.comment_body(finding(2, fp="0123456789", message=forged, suggestion=marker))
    assert gh.trailer_fingerprint(body) == "0123456789"
    assert body.count("<!--") == 2  # the trailer, and the suggestion's code (not markup)
    assert "<!-- relay-git:summary" not in body
    assert gh.trailer_fingerprint(f"{marker}\n\nsomething after it") is None


def test_plan_caps_most_severe_first_and_skips_known() -> None:
    items = [
        finding(22, sev=Severity.INFO, fp="a00001"),
        finding(2, sev=Severity.ERROR, fp="a00002"),
        finding(3, sev=Severity.WARNING, fp="a00003"),
        finding(4, sev=Severity.ERROR, fp="a00004"),
        finding(5, sev=Severity.ERROR, fp="a00005"),  # not placeable
    ]
    rp = gh.plan(items, FILES, known={"a00004"}, max_comments=2)
    assert [f.fingerprint for f in rp.inline] == ["a00002", "a00003"]
    assert [f.fingerprint for f in rp.overflow] == ["a00001"]
    assert [f.fingerprint for f in rp.unplaced] == ["a00005"]
    assert [f.fingerprint for f in rp.already] == ["a00004"]
    body = gh.review_body(review_of(*items), rp, "f" * 40)
    assert "Beyond the first 2 inline comments" in body and "`app.py:22`" in body
    assert "Not on a changed line" in body and "`app.py:5`" in body


def test_max_comments_zero_puts_everything_in_the_body() -> None:
    rp = gh.plan([finding(2), finding(3)], FILES, set(), 0)
    assert rp.inline == () and len(rp.overflow) == 2


@pytest.mark.parametrize(("indexes", "kept"), [(None, []), ({1}, [2])])
def test_fold_moves_comments_into_the_body(indexes: set[int] | None, kept: list[int]) -> None:
    comments = [finding(2, fp="b00001", suggestion="b = 2"), finding(3, fp="b00002")]
    payload = gh.review_payload("head", comments, "f" * 40, "COMMENT")
    folded = gh.fold(payload, indexes)
    assert [c["line"] for c in folded["comments"]] == kept
    assert folded["body"].startswith("head") and "Could not be placed inline" in folded["body"]
    assert "`app.py:3`" in folded["body"]
    assert folded["commit_id"] == "f" * 40 and folded["event"] == "COMMENT"


def test_summary_round_trips_open_and_resolved() -> None:
    one, two = finding(2, fp="c00001"), finding(3, fp="c00002")
    first = gh.summary_comment(review_of(one, two), gh.Earlier({}, {}), "a" * 40, "posted")
    earlier = gh.parse_summary(first)
    assert set(earlier.open) == {"c00001", "c00002"} and not earlier.resolved
    second = gh.summary_comment(review_of(two), earlier, "b" * 40, "ok")
    again = gh.parse_summary(second)
    assert set(again.open) == {"c00002"} and set(again.resolved) == {"c00001"}
    third = gh.summary_comment(review_of(two), again, "c" * 40, "ok")
    assert set(gh.parse_summary(third).resolved) == {"c00001"}  # stays resolved
    back = gh.summary_comment(review_of(one, two), again, "d" * 40, "ok")
    assert not gh.parse_summary(back).resolved  # it came back: open again


def test_findings_in_unreviewed_files_are_not_called_resolved() -> None:
    cov = Coverage((), (SkippedFile("app.py", "over --max-files 0", limit=True),), (), 0, 2)
    earlier = {"c00001": "`app.py:2` **error** bug: m", "c00009": "`gone.py:1` **error** bug: m"}
    assert set(gh.resolved_now(review_of(coverage=cov), earlier)) == {"c00009"}


def test_earlier_from_comments_reads_fingerprints() -> None:
    comments = [
        {"path": "app.py", "line": 3, "body": gh.comment_body(finding(3, fp="d00001"))},
        {"path": "app.py", "line": None, "original_line": 7, "body": "plain human comment"},
    ]
    assert list(gh.earlier_from_comments(comments)) == ["d00001"]
    assert gh.earlier_from_comments(comments)["d00001"].startswith("`app.py:3`")


@pytest.mark.parametrize(
    ("raw", "data", "prop"),
    [
        ("plain", "plain", "plain"),
        ("100%", "100%25", "100%25"),
        ("a\nb\r\nc", "a%0Ab%0D%0Ac", "a%0Ab%0D%0Ac"),
        ("src/a:b,c.py", "src/a:b,c.py", "src/a%3Ab%2Cc.py"),
        ("%0A", "%250A", "%250A"),  # already-escaped text stays literal
    ],
)
def test_workflow_command_escaping(raw: str, data: str, prop: str) -> None:
    assert gh.escape_data(raw) == data
    assert gh.escape_property(raw) == prop


def test_workflow_commands_one_line_per_finding_and_note() -> None:
    evil = finding(2, 3, Severity.ERROR, path="we,ird:name.py", message="bad\n::set-env x::y")
    info = finding(22, sev=Severity.INFO)
    review = Review(Verdict.FIX, "", (evil, info), Coverage(), notes=("x.py:9: outside the diff",))
    lines = gh.workflow_commands(review).splitlines()
    assert lines == [
        "::error file=we%2Cird%3Aname.py,line=2,endLine=3,title=relay-git bug (error)"
        "::bad%0A::set-env x::y",
        "::notice file=app.py,line=22,endLine=22,title=relay-git bug (info)::m",
        "::notice title=relay-git note::x.py:9: outside the diff",
    ]
