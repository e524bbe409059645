"""consensus: expected values taken from the code drafts that agree.

``probe_script`` is run for real with this Python in a temporary directory against tiny
draft modules; the rest is pure and tested over tables.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from relay_git.scaffold.write.consensus import (
    MAX_CALLS,
    agreed,
    equality_calls,
    parse_values,
    pinned,
    probe_script,
)
from relay_git.scaffold.write.testsmith import TestFn


def fn(body: str, name: str = "test_x") -> TestFn:
    return TestFn(name, f"def {name}():\n    {body}\n")


@pytest.mark.parametrize(
    ("bodies", "want"),
    [
        (["assert double(3) == 6"], ["double(3)"]),
        (["assert 6 == double(3)"], ["double(3)"]),
        (["assert double(3) == double(4)"], ["double(3)", "double(4)"]),
        (["assert double(3) != 6", "assert double(3) > 1"], []),
        (["assert 1 < double(3) == 6"], []),
        (["assert double(x) == 6", "assert double([y]) == 6"], []),
        (
            ["assert double(n=2) == 4", "assert double('a', [1, 2]) == 0"],
            ["double(n=2)", "double('a', [1, 2])"],
        ),
        (["assert triple(3) == 9", "assert math.double(3) == 6"], []),
        (["assert double(3) == 6", "assert double(3) == 7"], ["double(3)"]),
        (["assert double((1, -2)) == (2, -4)"], ["double((1, -2))"]),
    ],
    ids=[
        "call-left",
        "call-right",
        "both-sides",
        "other-comparisons",
        "chained",
        "non-literal-args",
        "keyword-and-mixed-literals",
        "other-names",
        "deduplicated",
        "tuple-literal",
    ],
)
def test_equality_calls(bodies: list[str], want: list[str]) -> None:
    assert equality_calls([fn(b) for b in bodies], ["double"]) == want


def test_equality_calls_skips_unparsable_and_caps() -> None:
    tests = [TestFn("bad", "def bad(:\n")] + [
        fn(f"assert double({i}) == {2 * i}", f"test_{i}") for i in range(MAX_CALLS + 5)
    ]
    calls = equality_calls(tests, ["double"])
    assert calls == [f"double({i})" for i in range(MAX_CALLS)]


def run_probe(tmp_path: Path, module: str, where: dict[str, str], calls: list[str]) -> str:
    (tmp_path / "draft.py").write_text(module)
    (tmp_path / "probe.py").write_text(probe_script(where, calls))
    done = subprocess.run(
        [sys.executable, "probe.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr  # the script itself never fails
    return done.stdout


def test_probe_script_prints_repr_of_each_value(tmp_path: Path) -> None:
    module = (
        "def double(x):\n    return x * 2\n\n"
        "def fail(x):\n    raise ValueError(x)\n\n"
        "def say(s):\n    print('noise')\n    return s.upper()\n"
    )
    calls = ["double(3)", "fail(1)", "say('hi')", "double([1])", "double(None)"]
    where = {"double": "draft", "fail": "draft", "say": "draft"}
    out = run_probe(tmp_path, module, where, calls)
    assert parse_values(out, len(calls)) == ["6", None, "'HI'", "[1, 1]", None]


def test_probe_script_survives_a_module_that_does_not_import(tmp_path: Path) -> None:
    out = run_probe(
        tmp_path, "def double(x):\n    return x *\n", {"double": "draft"}, ["double(1)"]
    )
    assert parse_values(out, 1) == [None]


def test_probe_script_survives_a_missing_name(tmp_path: Path) -> None:
    out = run_probe(tmp_path, "X = 1\n", {"double": "draft"}, ["double(1)"])
    assert parse_values(out, 1) == [None]


def test_probe_script_survives_sys_exit_in_a_call(tmp_path: Path) -> None:
    module = "import sys\n\ndef double(x):\n    sys.exit(3)\n\ndef half(x):\n    return x / 2\n"
    where = {"double": "draft", "half": "draft"}
    out = run_probe(tmp_path, module, where, ["double(1)", "half(3)"])
    assert parse_values(out, 2) == [None, "1.5"]


@pytest.mark.parametrize(
    ("output", "count", "want"),
    [
        ('RELAY_VALUES:["6", null]\n', 2, ["6", None]),
        ('noise\nRELAY_VALUES:["6"]\nmore\n', 3, ["6", None, None]),
        ('RELAY_VALUES:["1", "2", "3"]\n', 2, ["1", "2"]),
        ("RELAY_VALUES:[6, {}]\n", 2, [None, None]),
        ("RELAY_VALUES:not json\n", 1, [None]),
        ('RELAY_VALUES:{"a": 1}\n', 1, [None]),
        ("Traceback (most recent call last):\n", 2, [None, None]),
        ('  RELAY_VALUES:["6"]\n', 1, [None]),
        ("", 0, []),
    ],
    ids=[
        "values",
        "padded",
        "truncated",
        "non-strings",
        "bad-json",
        "not-a-list",
        "no-marker",
        "marker-must-start-line",
        "nothing",
    ],
)
def test_parse_values(output: str, count: int, want: list[str | None]) -> None:
    assert parse_values(output, count) == want


@pytest.mark.parametrize(
    ("per_draft", "want"),
    [
        ([["6"], ["6"], ["7"]], [None]),
        ([["6"], ["6"], ["7"], ["8"]], [None]),
        ([["6"], ["7"], ["8"]], [None]),
        ([["6"]], [None]),
        ([["6"], ["6"], [None]], ["6"]),
        ([["6"], [None], [None]], [None]),
        ([["None"], ["None"], ["None"]], [None]),
        ([["<object at 0x1>"], ["<object at 0x1>"]], [None]),
        ([["'a-b'"], ["'a-b'"]], ["'a-b'"]),
        ([["[1, 2]", "True"], ["[1, 2]", "False"], ["[1, 2]", "True"]], ["[1, 2]", None]),
        ([[None], [None]], [None]),
        ([], []),
    ],
    ids=[
        "a-dissenting-draft-blocks-it",
        "half-is-not-majority",
        "all-differ",
        "one-draft-is-not-enough",
        "raising-drafts-count-against",
        "one-value-is-not-enough",
        "none-excluded",
        "non-literal-excluded",
        "string-literal",
        "per-call",
        "no-values",
        "no-drafts",
    ],
)
def test_agreed(per_draft: list[list[str | None]], want: list[str | None]) -> None:
    assert agreed(per_draft) == want


def test_pinned_writes_one_test_per_agreed_value() -> None:
    tests = pinned(["double(3)", "double(4)", "double(5)"], ["6", None, "10"], "double")
    assert [t.name for t in tests] == ["test_double_agreed_1", "test_double_agreed_3"]
    assert "assert double(3) == 6" in tests[0].source
    assert "agreeing code drafts" in tests[0].source
    for test in tests:
        (node,) = ast.parse(test.source).body
        assert isinstance(node, ast.FunctionDef) and node.name == test.name


def test_pinned_needs_a_value_per_call() -> None:
    with pytest.raises(ValueError):
        pinned(["double(3)"], [], "double")


def test_pinned_values_from_agreeing_drafts_end_to_end(tmp_path: Path) -> None:
    drafts = [
        "def double(x):\n    return x * 2\n",
        "def double(x):\n    return x + x\n",
        "def double(x):\n    return 2 * x\n",
    ]
    calls = equality_calls([fn("assert double(3) == 3"), fn("assert double(5) == 9")], ["double"])
    values = []
    for i, source in enumerate(drafts):
        folder = tmp_path / str(i)
        folder.mkdir()
        values.append(parse_values(run_probe(folder, source, {"double": "draft"}, calls), 2))
    tests = pinned(calls, agreed(values), "double")
    assert [t.source.splitlines()[-1].strip() for t in tests] == [
        "assert double(3) == 6",
        "assert double(5) == 10",
    ]
    namespace: dict[str, object] = {}
    exec(drafts[0] + "\n" + "\n".join(t.source for t in tests), namespace)
    for test in tests:
        namespace[test.name]()  # type: ignore[operator]
