"""testsmith: a small model's test drafts turned into tests that can fail. Pure; tables."""

from __future__ import annotations

import ast

import pytest

from relay_git.scaffold.write.testsmith import TestFn, compose, extract, unique


def names_of(tests: list[TestFn]) -> list[str]:
    return [t.name for t in tests]


@pytest.mark.parametrize(
    ("block", "want"),
    [
        (
            "def test_double():\n    x = double(2)\n    assert x == 4\n",
            ["test_double"],
        ),
        (
            "def test_double():\n    assert double(2) == 4\n    assert double(0) == 0\n",
            ["test_double_1", "test_double_2"],
        ),
        ("assert double(2) == 4\nassert double(3) == 6\n", ["test_double_1", "test_double_2"]),
        (
            "if __name__ == '__main__':\n    assert double(1) == 2\n    print('ok')\n",
            ["test_double_1"],
        ),
        ("def test_other():\n    assert len('ab') == 2\n", []),
        ("def test_double():\n    double(2)\n", []),
        (
            "def double(x):\n    return x * 3\n\ndef test_double():\n    assert double(1) == 2\n",
            ["test_double"],
        ),
        (
            "def test_writes(tmp_path, capsys):\n    assert double(tmp_path) is not None\n",
            ["test_writes"],
        ),
        ("def test_double(value):\n    assert double(value) == 2 * value\n", []),
        (
            "import pytest\n\n@pytest.mark.parametrize('v', [1])\n"
            "def test_double(v):\n    assert double(v) == 2\n",
            [],
        ),
        (
            "class TestDouble:\n    def test_two(self):\n        assert double(2) == 4\n\n"
            "    def helper(self):\n        assert double(1) == 2\n",
            ["test_two"],
        ),
        (
            "import pytest\n\ndef test_raises():\n    with pytest.raises(TypeError):\n"
            "        double(None)\n",
            ["test_raises"],
        ),
        ("def test_double(:\n    assert double(1) == 2\n", []),
        ("", []),
    ],
    ids=[
        "test-function-kept",
        "all-assert-test-split",
        "bare-asserts-wrapped",
        "asserts-under-main",
        "not-mentioning-names-dropped",
        "no-assert-dropped",
        "redefinition-ignored",
        "fixture-params-allowed",
        "unknown-param-dropped",
        "decorated-dropped",
        "test-class-methods",
        "pytest-raises-counts",
        "unparsable",
        "empty",
    ],
)
def test_extract(block: str, want: list[str]) -> None:
    tests = extract(block, ["double"])
    assert names_of(tests) == want
    for test in tests:
        tree = ast.parse(test.source)
        (fn,) = tree.body
        assert isinstance(fn, ast.FunctionDef) and fn.name == test.name
        assert "self" not in [a.arg for a in fn.args.args]


def test_extract_never_keeps_the_redefined_function() -> None:
    block = "def double(x):\n    return x * 3\n\ndef test_double():\n    assert double(1) == 2\n"
    (test,) = extract(block, ["double"])
    assert "x * 3" not in test.source


def test_extract_method_is_dedented_and_loses_self() -> None:
    block = "class TestD:\n    def test_d(self, tmp_path):\n        assert double(1) == 2\n"
    (test,) = extract(block, ["double"])
    assert test.source == "def test_d(tmp_path):\n    assert double(1) == 2\n"


def test_extract_each_split_assertion_mentions_a_name() -> None:
    block = "def test_double():\n    assert double(2) == 4\n    assert 1 == 1\n"
    tests = extract(block, ["double"])
    assert names_of(tests) == ["test_double_1"]


def test_extract_keeps_only_safe_imports() -> None:
    block = (
        "import math\nimport pytest\nfrom os import path\nfrom app.double import double\n"
        "import requests\nfrom . import sibling\n\n"
        "def test_double():\n    assert double(math.pi) > 6\n"
    )
    (test,) = extract(block, ["double"])
    assert test.imports == ("import math", "import pytest", "from os import path")


def test_extract_without_names_keeps_every_test() -> None:
    block = "def test_a():\n    assert 1 + 1 == 2\n"
    assert names_of(extract(block, [])) == ["test_a"]


def test_extract_bare_assert_names_use_the_first_name() -> None:
    tests = extract("assert is_even(2)\nassert double(2) == 4\n", ["double", "is_even"])
    assert names_of(tests) == ["test_double_1", "test_double_2"]


def t(name: str, body: str = "    assert double(1) == 2") -> TestFn:
    return TestFn(name, f"def {name}():\n{body}\n")


@pytest.mark.parametrize(
    ("tests", "taken", "want"),
    [
        ([t("test_a"), t("test_b")], [], ["test_a"]),
        (
            [t("test_a"), t("test_a", "    assert double(2) == 4")],
            [],
            ["test_a", "test_a_2"],
        ),
        ([t("test_a")], ["test_a", "test_a_2"], ["test_a_3"]),
        ([t("test_x", "    assert double(3) == 6"), t("test_y")], [], ["test_x", "test_y"]),
        ([], ["test_a"], []),
    ],
    ids=["same-code-dropped", "same-name-renamed", "taken-names-avoided", "distinct", "none"],
)
def test_unique(tests: list[TestFn], taken: list[str], want: list[str]) -> None:
    out = unique(tests, taken)
    assert names_of(out) == want
    for test in out:
        assert test.source.startswith(f"def {test.name}():")


WHERE = {"double": "mathkit.ops", "slugify": "textkit.slug", "half": "mathkit.ops"}


def test_compose_new_file_imports_right_modules_once() -> None:
    tests = [
        TestFn("test_a", "def test_a():\n    assert double(2) == 4\n", ("import math",)),
        TestFn("test_b", "def test_b():\n    assert half(double(2)) == 2\n", ("import math",)),
    ]
    out = compose(None, WHERE, tests)
    assert out.splitlines()[:2] == ["from mathkit.ops import double, half", "import math"]
    assert out.count("import math") == 1
    assert "textkit" not in out
    ast.parse(out)
    assert out.index("def test_a") < out.index("def test_b")


def test_compose_keeps_existing_file_whole_and_adds_only_missing_imports() -> None:
    existing = "from mathkit.ops import double\n\n\ndef test_old():\n    assert double(0) == 0\n"
    tests = [TestFn("test_s", "def test_s():\n    assert slugify('A') == double('a')\n")]
    out = compose(existing, WHERE, tests)
    assert out.startswith(existing.rstrip("\n"))
    assert out.count("from mathkit.ops import double") == 1
    assert out.count("from textkit.slug import slugify") == 1
    assert out.rstrip().endswith("assert slugify('A') == double('a')")
    ast.parse(out)


@pytest.mark.parametrize("existing", [None, "", "\n\n"])
def test_compose_blank_existing_is_a_new_file(existing: str | None) -> None:
    out = compose(existing, WHERE, [t("test_a")])
    assert out == ("from mathkit.ops import double\n\n\ndef test_a():\n    assert double(1) == 2\n")


def test_compose_name_prefix_is_not_a_use() -> None:
    out = compose(None, WHERE, [TestFn("test_a", "def test_a():\n    assert doubled == 1\n")])
    assert "import" not in out
