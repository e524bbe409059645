"""blocks: one fenced block per reply, merged into a module by definition. Pure; tables."""

from __future__ import annotations

import ast

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from relay_git.scaffold.draft.blocks import (
    code_block,
    copied_from,
    defined_names,
    merge,
    stub,
)
from relay_git.scaffold.draft.validate import parseable_prefix

FENCE = "```"


@pytest.mark.parametrize(
    ("reply", "want"),
    [
        (f"{FENCE}python\ndef f():\n    return 1\n{FENCE}\n", "def f():\n    return 1\n"),
        ("def f():\n    return 1\n", "def f():\n    return 1\n"),
        (
            f"Here is the function you asked for:\n\n{FENCE}python\nX = 2\n{FENCE}\nIt works.",
            "X = 2\n",
        ),
        (f"{FENCE}py\ndef f():\n    return 1\n", "def f():\n    return 1\n"),
        (
            f"{FENCE}python\ndef a():\n    return 1\n\ndef b(x):\n    return x +",
            "def a():\n    return 1\n",
        ),
        ("~~~python\ny = 3\n~~~\n", "y = 3\n"),
        (f"{FENCE}\nz = 4\n{FENCE}\n{FENCE}python\nw = 5\n{FENCE}\n", "z = 4\n"),
        (f"````python\nq = '{FENCE}'\n````\n", f"q = '{FENCE}'\n"),
        (f"  {FENCE}python  \nv = 6\n  {FENCE}\n", "v = 6\n"),
    ],
    ids=[
        "fenced",
        "unfenced",
        "prose-before-and-after",
        "missing-closing-fence",
        "cut-mid-line-keeps-complete-defs",
        "tildes",
        "first-block-only",
        "longer-fence-holds-shorter",
        "indented-fences",
    ],
)
def test_code_block_python(reply: str, want: str) -> None:
    assert code_block(reply) == want


@pytest.mark.parametrize(
    "reply",
    [
        f"{FENCE}python\n{FENCE}\n",
        f"{FENCE}python\n\n   \n{FENCE}\n",
        "I cannot write that function, sorry.",
        f"{FENCE}python\n)(not python at all\n{FENCE}\n",
        "",
    ],
    ids=["empty-block", "blank-block", "prose-only", "unparsable", "empty-reply"],
)
def test_code_block_none_when_no_code(reply: str) -> None:
    assert code_block(reply) is None


@pytest.mark.parametrize(
    ("reply", "want"),
    [
        (f"{FENCE}markdown\n# Title\n\nSome *text*.\n{FENCE}\n", "# Title\n\nSome *text*."),
        (f"{FENCE}toml\n[tool.x]\na = 1\n{FENCE}", "[tool.x]\na = 1"),
        ("plain words, no fence", "plain words, no fence"),
        (f"{FENCE}json\n{FENCE}\n", None),
    ],
    ids=["markdown", "toml-no-trailing-newline", "unfenced-text", "empty"],
)
def test_code_block_non_python_is_verbatim(reply: str, want: str | None) -> None:
    assert code_block(reply, python=False) == want


@pytest.mark.parametrize(
    ("source", "want"),
    [
        ("x = 1\ny = 2", "x = 1\ny = 2\n"),
        ("x = 1\ny = (", "x = 1\n"),
        ("def f():\n    return 1\ndef g(", "def f():\n    return 1\n"),
        ("def f(", ""),
        ("", ""),
        ('s = """open\nstill open', ""),
        ("a = 1\n\n\n", "a = 1\n"),
    ],
)
def test_parseable_prefix(source: str, want: str) -> None:
    assert parseable_prefix(source) == want


@given(st.text(alphabet="abc =()\n:+1'\"\t", max_size=60))
@settings(max_examples=150, deadline=None)
def test_parseable_prefix_parses_and_is_a_prefix(source: str) -> None:
    out = parseable_prefix(source)
    ast.parse(out)  # never raises
    assert source.startswith(out.rstrip()) or out == ""


@pytest.mark.parametrize(
    ("source", "want"),
    [
        ("def f():\n    pass\nclass C:\n    def m(self):\n        pass\n", {"f", "C"}),
        ("async def g():\n    pass\nX = 1\n", {"g"}),
        ("if True:\n    def hidden():\n        pass\n", set()),
        ("def broken(:\n", set()),
        ("", set()),
    ],
)
def test_defined_names(source: str, want: set[str]) -> None:
    assert defined_names(source) == want


MODULE = '''"""Text helpers."""

import re

LIMIT = 10


def slugify(text):
    return text


def other(x):
    return x
'''


@pytest.mark.parametrize(
    ("block", "replaceable", "present", "absent"),
    [
        (
            "def slugify(text):\n    return re.sub(r'\\W+', '-', text.lower())\n",
            None,
            ["re.sub(r'\\W+', '-', text.lower())", "def other(x):"],
            ["    return text\n"],
        ),
        (
            "def other(x):\n    return 0\n\ndef slugify(text):\n    return text.lower()\n",
            ["slugify"],
            ["return text.lower()", "def other(x):\n    return x"],
            ["return 0", "    return text\n"],
        ),
        (
            "def double(x):\n    return x * 2\n",
            [],
            ["def double(x):\n    return x * 2", "def slugify(text):\n    return text"],
            [],
        ),
        (
            "def double(x):\n    return x * 2\n\nprint(double(2))\nresult = double(3)\n"
            "double(4)\nif __name__ == '__main__':\n    print(double(5))\n",
            None,
            ["def double(x):"],
            ["print(", "result =", "double(4)", "__main__"],
        ),
        (
            "import functools\n\n@functools.cache\ndef double(x):\n    return x * 2\n",
            None,
            ["@functools.cache\ndef double(x):", "import functools"],
            [],
        ),
        (
            "class Box:\n    size = 1\n",
            None,
            ["class Box:\n    size = 1"],
            [],
        ),
    ],
    ids=[
        "replace-named",
        "replaceable-guards-others",
        "append-new",
        "stray-statements-dropped",
        "decorator-kept",
        "class-appended",
    ],
)
def test_merge_table(
    block: str, replaceable: list[str] | None, present: list[str], absent: list[str]
) -> None:
    out = merge(MODULE, block, replaceable)
    ast.parse(out)
    for text in present:
        assert text in out
    for text in absent:
        assert text not in out
    assert out.startswith('"""Text helpers."""')


def test_merge_replaceable_keeps_unnamed_existing_def_verbatim() -> None:
    block = "def other(x):\n    return 'rewritten'\n"
    out = merge(MODULE, block, replaceable=["slugify"])
    assert ast.dump(ast.parse(out)) == ast.dump(ast.parse(MODULE))


def test_merge_replaces_in_place_and_appends_at_the_end() -> None:
    block = "def double(x):\n    return x * 2\n\ndef slugify(text):\n    return text.strip()\n"
    out = merge(MODULE, block)
    assert out.index("def slugify") < out.index("def other") < out.index("def double")
    assert out.count("def slugify") == 1


def test_merge_new_imports_go_after_docstring_and_imports_once() -> None:
    block = "import re\nimport os\nfrom math import pi\n\ndef area(r):\n    return pi * r * r\n"
    out = merge(MODULE, block)
    lines = [line for line in out.splitlines() if line]
    assert lines[:4] == ['"""Text helpers."""', "import re", "import os", "from math import pi"]
    assert out.count("import re") == 1
    assert out.index("from math import pi") < out.index("LIMIT = 10")


def test_merge_imports_at_the_top_of_a_module_without_docstring() -> None:
    out = merge("def f():\n    return 1\n", "import os\n\ndef g():\n    return os.sep\n")
    assert out.splitlines()[0] == "import os"
    assert out.index("def f") < out.index("def g")


@pytest.mark.parametrize(
    ("block", "count", "text"),
    [
        ("LIMIT = 10\n\ndef f():\n    return LIMIT\n", 1, "LIMIT = 10"),
        ("NAMES = ('a', 'b')\n", 1, "NAMES = ('a', 'b')"),
        ("WHEN = time.time()\n", 0, "WHEN ="),
    ],
    ids=["existing-constant-once", "new-constant-added", "computed-assignment-dropped"],
)
def test_merge_constants(block: str, count: int, text: str) -> None:
    assert merge(MODULE, block).count(text) == count


def test_merge_into_empty_module_is_the_block_cleaned() -> None:
    block = "import math\n\ndef f(x):\n    return math.floor(x)\n\nprint(f(1.5))\n"
    assert merge("", block) == "import math\n\n\ndef f(x):\n    return math.floor(x)\n"  # PEP 8


def test_merge_a_def_repeated_in_the_block_lands_once() -> None:
    block = "def f():\n    return 1\n\ndef f():\n    return 2\n"
    out = merge("X = 1\n", block)
    assert out.count("def f") == 1 and "return 2" in out


@pytest.mark.parametrize(
    "block",
    [
        "def g():\n    return 2\n",
        "# a new helper\ndef f():\n    return 3\n# trailing words\n",
        "import sys\n\nF = 1\n",
    ],
    ids=["append", "replace-with-comments", "import-and-constant"],
)
def test_merge_keeps_comments_of_the_existing_module(block: str) -> None:
    existing = (
        "# Copyright 2024 ACME\n\nimport os\n\n# the one helper\ndef f():\n"
        "    return 1\n\n# end of module\n"
    )
    out = merge(existing, block)
    for comment in ("# Copyright 2024 ACME", "# the one helper", "# end of module"):
        assert out.count(comment) == 1
    assert out.index("# the one helper") < out.index("def f")
    ast.parse(out)


@pytest.mark.parametrize(
    ("existing", "block"),
    [("def f(:\n", "x = 1\n"), ("x = 1\n", "def g(:\n")],
    ids=["existing-unparsable", "block-unparsable"],
)
def test_merge_raises_syntaxerror_on_unparsable_input(existing: str, block: str) -> None:
    with pytest.raises(SyntaxError):
        merge(existing, block)


STUBBED = """import os


def double(x):
    \"\"\"Twice x.\"\"\"
    y = x * 2
    return y


class Keep:
    def double(self):
        return 2


def other():
    return os.sep
"""


def test_stub_reduces_named_functions_only() -> None:
    out = stub(STUBBED, ["double"])
    namespace: dict[str, object] = {}
    exec(compile(out, "stub.py", "exec"), namespace)
    assert namespace["double"](3) is None  # type: ignore[operator]
    assert namespace["other"]() == os_sep()  # type: ignore[operator]
    assert "y = x * 2" not in out and "return 2" in out


def os_sep() -> str:
    import os

    return os.sep


def test_stub_adds_missing_names() -> None:
    out = stub("X = 1\n", ["triple", "half"])
    namespace: dict[str, object] = {}
    exec(compile(out, "stub.py", "exec"), namespace)
    assert namespace["triple"](1, k=2) is None  # type: ignore[operator]
    assert namespace["half"]() is None  # type: ignore[operator]
    assert namespace["X"] == 1


@pytest.mark.parametrize(
    "source",
    [
        "def double(x): return x * 2\n",
        "@staticmethod\ndef double(x):\n    return x * 2\n",
        "async def double(x):\n    return x * 2\n",
        "def double(\n    x,\n):\n    return x * 2\n",
    ],
    ids=["one-line-def", "decorated", "async", "multi-line-signature"],
)
def test_stub_keeps_the_signature(source: str) -> None:
    out = stub(source, ["double"])
    tree = ast.parse(out)
    (node,) = [n for n in tree.body if getattr(n, "name", "") == "double"]
    assert "x * 2" not in out
    assert [a.arg for a in node.args.args] == ["x"]  # type: ignore[attr-defined]


UNITS = '''KM_PER_MILE = 1.609344


def km_to_miles(km):
    """Return km kilometres in miles."""
    return km / KM_PER_MILE
'''


@pytest.mark.parametrize(
    ("draft", "copied"),
    [
        ("def miles_to_km(miles):\n    return miles / KM_PER_MILE\n", "km_to_miles"),  # renamed
        ("def miles_to_km(m):\n    return km_to_miles(m)\n", "km_to_miles"),  # an alias
        ('def miles_to_km(m):\n    """Doc."""\n    return km_to_miles(m)\n', "km_to_miles"),
        ("def miles_to_km(miles):\n    return miles * KM_PER_MILE\n", None),  # the answer
        ("def miles_to_km(m):\n    return km_to_miles(m) * 2.59\n", None),  # uses it, more
        ("def miles_to_km(m):\n    return km_to_miles(1 / m)\n", None),  # other arguments
    ],
)
def test_a_draft_that_only_copies_or_calls_an_existing_function_is_a_copy(
    draft: str, copied: str | None
) -> None:
    assert copied_from(UNITS, UNITS + "\n\n" + draft, ["miles_to_km"]) == copied


def test_merge_keeps_only_the_asked_definitions_and_what_they_use() -> None:
    block = (
        "SCALE = 2\n\n\ndef _twice(x):\n    return x * SCALE\n\n\n"
        "def double(x):\n    return _twice(x)\n\n\n"
        "def double_new(x):\n    return x * 2\n\n\n"
        "def add_function(f, g):\n    return add_function(f, g)\n"
    )
    merged = merge("def add(a, b):\n    return a + b\n", block, ["double"])
    assert defined_names(merged) == {"add", "double", "_twice"}
    assert "SCALE = 2" in merged
    # no asked name in the block: nothing is pruned (the caller judges the draft)
    assert defined_names(merge("", block, ["triple"])) == {
        "_twice",
        "double",
        "double_new",
        "add_function",
    }
    assert defined_names(merge("", block, None)) == {
        "_twice",
        "double",
        "double_new",
        "add_function",
    }
