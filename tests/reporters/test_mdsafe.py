"""Untrusted text in GitHub Markdown: HTML, mentions, links, images, code spans and fences."""

from __future__ import annotations

import re

import pytest

from relay_git.reporters.mdsafe import NO_LINKS, ZWJ, Site, code, fenced, inline, prose
from relay_git.util.text import one_line

SITE = Site("Codertocat/Hello-World")
OURS = "https://github.com/Codertocat/Hello-World/blob/main/app.py#L3"

INLINE = [
    ("plain words", "plain words"),
    ("<img src=x onerror=alert(1)>", "&lt;img src=x onerror=alert(1)&gt;"),
    ("</details><!-- relay-git:summary -->", "&lt;/details&gt;&lt;!-- relay-git:summary --&gt;"),
    ("a & b", "a &amp; b"),
    ("cc @octocat and @org/team", f"cc @{ZWJ}octocat and @{ZWJ}org/team"),
    ("mail me: a@b.io", f"mail me: a@{ZWJ}b.io"),
    ("use `x < y` here", "use `x < y` here"),  # code spans are literal: kept
    ("``a ` b``", "``a ` b``"),
    ("a stray ` tick", "a stray \\` tick"),
    ("back\\`slash", "back\\\\\\`slash"),
    ("[click](https://evil.example/x)", "click (`https://evil.example/x`)"),
    ("![t](https://evil.example/p.png)", "image: t (`https://evil.example/p.png`)"),
    (f"[line 3]({OURS})", f"[line 3]({OURS})"),  # into the repository: kept
    (f"![shot]({OURS})", f"![shot]({OURS})"),
    ("see https://evil.example/a?b=c now", "see `https://evil.example/a?b=c` now"),
    (f"see {OURS} now", f"see {OURS} now"),
    ("www.evil.example", "`www.evil.example`"),
    ("[ref]: https://evil.example", "\\[ref\\]: `https://evil.example`"),
    ("[x][1]", "\\[x\\]\\[1\\]"),
    ("&#64;octocat", "&amp;#64;octocat"),
    ("https://github.com/Codertocat/Hello-World.evil.example/x",
     "`https://github.com/Codertocat/Hello-World.evil.example/x`"),
]  # fmt: skip


@pytest.mark.parametrize(("raw", "safe"), INLINE)
def test_inline(raw: str, safe: str) -> None:
    assert inline(raw, SITE) == safe


def test_without_a_site_no_link_stays_live() -> None:
    assert inline(f"[line 3]({OURS})") == f"line 3 (`{OURS}`)"


@pytest.mark.parametrize(
    ("raw", "span"),
    [("app.py:3", "`app.py:3`"), ("a`b.py", "``a`b.py``"), ("`x`", "`` `x` ``"), ("", "` `"),
     ("two\nlines", "`two lines`")],
)  # fmt: skip
def test_code_spans_hold_any_backticks(raw: str, span: str) -> None:
    assert code(raw) == span


def test_one_line_folds_and_cuts_before_escaping() -> None:
    assert inline(one_line("a\n\n  b <c>", limit=0), NO_LINKS) == "a b &lt;c&gt;"
    assert inline(one_line("x" * 50, limit=10), NO_LINKS) == "x" * 9 + "…"


def fences_balance(text: str) -> bool:
    """Walk the fences as CommonMark does; True when none is left open."""
    open_fence = ""
    for line in text.splitlines():
        m = re.match(r"^ {0,3}(`{3,}|~{3,})(.*)$", line)
        if not m:
            continue
        if not open_fence:
            open_fence = m.group(1)
        elif m.group(1)[0] == open_fence[0] and len(m.group(1)) >= len(open_fence):
            open_fence = "" if not m.group(2).strip() else open_fence
    return not open_fence


PROSE = [
    "Fix it:\n```python\nx = 1\n```\nthen <b>done</b>",
    "never closed:\n```\nx = 1\n<img src=https://evil.example/p.png>",
    "```\ninner ```` run\n```",
    "~~~\ntilde block with ``` inside\n~~~\nafter @octocat",
    "```js onclick=<x>\ncode\n```",
    "</details>\n\n```suggestion\nevil\n",
]


@pytest.mark.parametrize("raw", PROSE)
def test_prose_fences_always_close_and_text_outside_is_escaped(raw: str) -> None:
    out = prose(raw, SITE) + "\n\nrelay-git's own text after it"
    assert fences_balance(out)
    outside = re.sub(r"(?ms)^(`{3,}).*?^\1$", "", out)  # drop the rebuilt blocks
    assert "<" not in outside and "@o" not in outside


def test_prose_keeps_the_code_block_verbatim() -> None:
    out = prose("look:\n```python\nif a < b: print('@x')\n```", SITE)
    assert out == "look:\n```python\nif a < b: print('@x')\n```"
    assert prose("```\nA ``` B\n```") == "````\nA ``` B\n````"
    assert prose("```js onclick=<x>\ncode\n```").splitlines()[0] == "```js"


def test_fenced_outfences_its_content() -> None:
    assert fenced("a\n`````\nb", "suggestion") == "``````suggestion\na\n`````\nb\n``````"
    assert fenced("", "suggestion") == "```suggestion\n\n```"  # an empty suggestion deletes
