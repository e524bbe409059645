"""stops: a looping reply is stopped while it streams; ordinary code never is. Pure; tables.

The checks run at every streamed token, so ordinary replies are checked at every prefix.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from relay_git.models.stops import (
    block_closed,
    for_code_block,
    for_json,
    looping,
    repeated_run,
)

FENCE = "```"
ISSUE_LOOP = '{"edits": [' + '{"path": "1.0.0", "action": "write"}, ' * 8

NORMAL_MODULE = '''"""Small text helpers for the demo repository."""

from __future__ import annotations

import re
from collections.abc import Iterable

_WORD = re.compile(r"[a-z0-9]+")


def slugify(text: str) -> str:
    """Lower-case words joined by hyphens."""
    words = _WORD.findall(text.lower())
    return "-".join(words)


def word_count(text: str) -> int:
    return len(text.split())


def total(values: Iterable[float]) -> float:
    result = 0.0
    for value in values:
        result += value
    return result


def mean(values: list[float]) -> float:
    if not values:
        raise ValueError("mean of nothing")
    return total(values) / len(values)


class Counter:
    def __init__(self) -> None:
        self.count = 0

    def add(self, n: int = 1) -> None:
        self.count += n
'''

NORMAL_TESTS = """import pytest

from textkit import slugify, word_count


def test_slugify_lowercases():
    assert slugify("Hello World") == "hello-world"


def test_slugify_drops_punctuation():
    assert slugify("a, b!") == "a-b"


def test_word_count_counts_words():
    assert word_count("one two three") == 3


def test_word_count_of_nothing():
    assert word_count("") == 0


@pytest.mark.parametrize("text", ["", " ", "  "])
def test_blank(text):
    assert slugify(text) == ""
"""

DISTINCT_JSON = json.dumps(
    {"edits": [{"path": f"src/pkg/module_{i}.py", "action": "write"} for i in range(12)]},
    indent=2,
)
PLAN_JSON = json.dumps(
    {
        "summary": "add slugify",
        "files": [
            {"path": "textkit/slug.py", "change": "define slugify(text)"},
            {"path": "tests/test_slug.py", "change": "tests for slugify"},
        ],
        "tests": ["slugify lowercases", "slugify joins words with hyphens"],
    }
)


def _prefixes(text: str) -> list[str]:
    return [text[:end] for end in range(1, len(text) + 1)]


@pytest.mark.parametrize(
    "text",
    [
        ISSUE_LOOP,
        "def f():\n" + "    return 1 + 2 + 3\n" * 3,
        "x = " + "abcdefghijklm" * 3,
        "The answer is: " + "I think that it is. " * 3,
        "def f():\n" + "\n".join(f"    # step {i}\n    total = total + 1" for i in range(5)) + "\n",
        "- item\n" + "".join(f"  note {i}\n  this line is repeated\n" for i in range(4)),
        "x = " + "!" * 200,
    ],
    ids=[
        "issue-edit-set-loop",
        "repeated-code-line",
        "repeated-stretch-no-newline",
        "repeated-prose",
        "repeated-line-with-lines-between",
        "list-with-varying-lines",
        "one-character-runaway",
    ],
)
def test_looping_flags_repetition(text: str) -> None:
    assert looping(text)
    assert for_json(text) == "repetition"


def test_issue_loop_stops_within_a_few_repeats() -> None:
    unit = '{"path": "1.0.0", "action": "write"}, '
    first = next(p for p in _prefixes(ISSUE_LOOP) if looping(p))
    assert len(first) <= len('{"edits": [') + 3 * len(unit)


@pytest.mark.parametrize(
    "text",
    [
        NORMAL_MODULE,
        NORMAL_TESTS,
        DISTINCT_JSON,
        PLAN_JSON,
        f"Here is the code:\n\n{FENCE}python\n{NORMAL_MODULE}{FENCE}\n",
        "x = 1\n" + "    " * 40 + "\n" + "))))))))" * 4 + "\n",
        "\n" * 50,
        "def f():\n    pass\n\n\n# " + "-" * 76 + "\n# " + "=" * 76 + "\nX = 1\n",
        "".join(f"def f{i}(a):\n    result = a + {i}\n    return result\n\n" for i in range(6)),
        json.dumps(
            [{"name": w, "kind": "module"} for w in ("alpha", "beta", "gamma", "delta")], indent=4
        ),
        "a = [\n" + "".join(f"    {i},\n" for i in range(30)) + "]\n",
    ],
    ids=[
        "normal-module",
        "normal-tests",
        "json-list-of-distinct-items",
        "plan-json",
        "fenced-module",
        "short-repeats",
        "blank-lines",
        "comment-rulers",
        "same-closing-line-in-many-functions",
        "indented-json-same-value-each-item",
        "numbers",
    ],
)
def test_ordinary_text_is_never_flagged_at_any_prefix(text: str) -> None:
    flagged = [p for p in _prefixes(text) if looping(p)]
    assert flagged == [], flagged[:1]


@given(
    st.lists(st.from_regex(r"[a-z_]{3,12} = [0-9]{1,6}", fullmatch=True), min_size=1, max_size=20)
)
@settings(max_examples=60, deadline=None)
def test_distinct_assignments_are_not_loops(lines: list[str]) -> None:
    text = "\n".join(dict.fromkeys(lines)) + "\n"
    assert not looping(text)


@pytest.mark.parametrize(
    ("text", "closed"),
    [
        (f"{FENCE}python\nx = 1\n{FENCE}", True),
        (f"{FENCE}python\nx = 1\n{FENCE}\nmore prose", True),
        (f"Sure!\n{FENCE}\nx = 1\n{FENCE}\n", True),
        (f"{FENCE}python\nx = 1\n", False),
        (f"{FENCE}python\nx = 1\n{FENCE}pyth", False),
        (f"{FENCE}python", False),
        (f"{FENCE}python\n", False),
        ("no fence at all\n", False),
        ("", False),
    ],
    ids=[
        "closed",
        "closed-then-prose",
        "bare-fence-closed",
        "open",
        "next-opening-is-not-a-close",
        "just-opened",
        "just-opened-newline",
        "no-fence",
        "empty",
    ],
)
def test_block_closed(text: str, closed: bool) -> None:
    assert block_closed(text) is closed


@pytest.mark.parametrize(
    ("text", "want"),
    [
        (f"{FENCE}python\nx = 1\n{FENCE}", "stop"),
        (f"{FENCE}python\nx = 1\n", None),
        (f"{FENCE}python\n" + "    y = compute(y)\n" * 4, "repetition"),
        (f"{FENCE}python\n{NORMAL_MODULE}", None),
    ],
    ids=["closed-stops", "open-goes-on", "loop-stops", "normal-goes-on"],
)
def test_for_code_block(text: str, want: str | None) -> None:
    assert for_code_block(text) == want


@pytest.mark.parametrize(
    ("text", "want"),
    [(ISSUE_LOOP, "repetition"), (PLAN_JSON, None), (f"{FENCE}json\n{{}}\n{FENCE}", None)],
    ids=["loop", "plan", "a-closed-fence-does-not-stop-json"],
)
def test_for_json(text: str, want: str | None) -> None:
    assert for_json(text) == want


ROOT = Path(__file__).resolve().parents[2]
SMOLLM2 = ROOT / "tests" / "data" / "smollm2"


@pytest.mark.parametrize("name", ["generate", "tests", "fix"])
def test_definitions_nested_ever_deeper_stop_after_three_repeats(name: str) -> None:
    """SmolLM2-135M's replies in the README demo (recorded with RELAY_GIT_TRACE): the same
    seven lines nested one level deeper each time, so no stretch of text and no single line
    repeats. Before, two ran to the cap (58 and 68 lines) and were continued once more; the
    third was stopped at its 33rd line."""
    text = (SMOLLM2 / f"nested_loop_{name}.txt").read_text()
    ends = [i + 1 for i, ch in enumerate(text) if ch == "\n"]
    first = next(end for end in ends if looping(text[:end]))
    assert text[:first].count("\n") <= min(36, text.count("\n") - 7)


@pytest.mark.parametrize(
    "text",
    [
        "".join(
            f"{'    ' * i}def f():\n{'    ' * i}    return helper_value + offset + 1\n"
            for i in range(3)
        ),
        "x = 1\n" + "    def test_add():\n\n        assert add(2, 3) == 5 + zero\n" * 3,
    ],
    ids=["deeper-each-time", "blank-lines-between"],
)
def test_a_run_of_lines_three_times_over_is_a_loop(text: str) -> None:
    assert repeated_run(text) and looping(text)


@pytest.mark.parametrize(
    "text",
    [
        "}\n    }\n}\n" * 4,  # closing brackets: too little text to be a loop
        "".join(f"def test_{i}():\n    assert f({i}) == {i}\n" for i in range(9)),
        "@pytest.mark.slow\ndef test_a():\n    run()\n" * 2,  # twice is not a loop
        "def test_add():\n    assert add(2, 3) == 5\n" * 3,  # the last line is not complete
    ],
    ids=["brackets", "distinct-tests", "twice", "no-complete-third-repeat"],
)
def test_what_is_not_a_run_of_lines_three_times_over(text: str) -> None:
    assert not repeated_run(text.rstrip("\n") if text.endswith("5\n") else text)


def _texts_a_capable_model_writes() -> list[Path]:
    sources = sorted((ROOT / "src").rglob("*.py")) + sorted((ROOT / "bench").rglob("*.py"))
    return sources + sorted((ROOT / "bench" / "capable" / "tasks").glob("*.toml"))


def test_no_file_of_ours_or_of_the_capable_tasks_is_a_loop_at_any_line() -> None:
    """Every line end of relay-git's own code and of the capable tasks' replies and files:
    code with repeated structure (decorators, closing lines, test tables) is never taken
    for a run of lines three times over."""
    flagged = []
    for path in _texts_a_capable_model_writes():
        text = path.read_text(encoding="utf-8")
        ends = [i + 1 for i, ch in enumerate(text) if ch == "\n"]
        flagged += [
            f"{path.relative_to(ROOT)}:{n}" for n, e in enumerate(ends, 1) if repeated_run(text[:e])
        ]
    assert flagged == []
