"""``apply_reply`` over whole replies: several files in any mix of forms, routing of
unlabelled blocks, validation of non-Python files, unsafe paths, truncated replies."""

from __future__ import annotations

import pytest

from relay_git.scaffold.draft import Applied, apply_reply, edit_formats
from relay_git.scaffold.draft.apply import NOTHING


def _none(_: str) -> None:
    return None


PACKAGE = '''I'll create the package, its command line and the tests.

### `tempconv/__init__.py`
```python
"""Temperature conversion."""

from tempconv.core import c_to_f, f_to_c

__all__ = ["c_to_f", "f_to_c"]
```

### `tempconv/core.py`
```python
def c_to_f(c: float) -> float:
    return c * 9 / 5 + 32


def f_to_c(f: float) -> float:
    return (f - 32) * 5 / 9
```

### `tempconv/__main__.py`
```python
import argparse

from tempconv.core import c_to_f, f_to_c


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tempconv")
    parser.add_argument("value", type=float)
    parser.add_argument("--to", choices=["c", "f"], default="f")
    args = parser.parse_args(argv)
    print(c_to_f(args.value) if args.to == "f" else f_to_c(args.value))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
```

### `pyproject.toml`
```toml
[project]
name = "tempconv"
version = "0.1.0"

[project.scripts]
tempconv = "tempconv.__main__:main"
```

### `.github/workflows/ci.yml`
```yaml
on: [push]
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - run: pytest
```

### `tempconv/units.json`
```json
{"c": "Celsius", "f": "Fahrenheit"}
```

Run it with:

```bash
python -m tempconv 100 --to f
```
'''


def test_new_package_in_one_reply_every_file_in_its_language() -> None:
    applied = apply_reply(PACKAGE, _none, ["tempconv/core.py", "pyproject.toml"])
    assert sorted(applied.files) == [
        ".github/workflows/ci.yml",
        "pyproject.toml",
        "tempconv/__init__.py",
        "tempconv/__main__.py",
        "tempconv/core.py",
        "tempconv/units.json",
    ]
    assert applied.files["tempconv/__main__.py"].endswith(
        'if __name__ == "__main__":\n    raise SystemExit(main())\n'
    )
    assert applied.files["pyproject.toml"].startswith('[project]\nname = "tempconv"\n')
    assert applied.problems == ()
    assert applied.forms == ("whole-file",)


@pytest.mark.parametrize(
    ("path", "body", "error"),
    [
        (
            "pyproject.toml",
            '[project]\nname = "x\n',
            "pyproject.toml: not applied: the result would not parse (Illegal character",
        ),
        (
            "data.json",
            '{"a": 1,}\n',
            "data.json: not applied: the result would not parse (line 1: Expecting property name",
        ),
        ("ci.yaml", "a: [1\nb: 2\n", "ci.yaml: not applied: the result would not parse (line 2:"),
        (
            "app.py",
            "def f(:\n    pass\n\n\nx = 1\n",
            "app.py: not applied, the block does not parse (line 1:",
        ),
    ],
)
def test_a_file_that_does_not_parse_is_a_problem_naming_the_line(
    path: str, body: str, error: str
) -> None:
    applied = apply_reply(f"{path}\n```\n{body}```\n", _none, [path])
    assert applied.files == {}
    [problem] = applied.problems
    assert problem.startswith(error), problem
    assert "Traceback" not in problem and "\n" not in problem


def test_truncated_tiny_model_reply_keeps_its_complete_definitions() -> None:
    reply = "```python\ndef square(x):\n    return x * x\n\n\ndef cube(x):\n    return x * x *"
    applied = apply_reply(reply, _none, ["app.py"])
    assert applied.files == {"app.py": "def square(x):\n    return x * x\n"}
    assert applied.problems == (
        "app.py: the block was cut off at its line 5 (`def cube(x):`); the complete code before "
        "it was applied - write the rest in full",
    )


def test_bare_unfenced_code_goes_to_the_one_asked_python_file() -> None:
    applied = apply_reply("def square(x):\n    return x ** 2\n", _none, ["app.py"])
    assert applied.files == {"app.py": "def square(x):\n    return x ** 2\n"}


def test_unlabelled_block_with_several_asked_paths_asks_for_labels() -> None:
    reply = "Here it is:\n\n```python\ndef f():\n    return 1\n```\n\n```python\nx = 2\n```\n"
    applied = apply_reply(reply, _none, ["a.py", "b.py"])
    assert applied.files == {}
    assert applied.problems[0] == (
        "the fenced block at reply line 3 names no file, so it was not applied; label each "
        "block with its path on the line just above it (`a.py`, `b.py`)"
    )


def test_unlabelled_blocks_in_distinct_languages_go_to_the_asked_path_of_that_language() -> None:
    reply = "```python\nX = 1\n```\n\n```toml\n[tool.x]\na = 1\n```\n"
    applied = apply_reply(reply, _none, ["src/x.py", "pyproject.toml"])
    assert applied.files == {"src/x.py": "X = 1\n", "pyproject.toml": "[tool.x]\na = 1\n"}


def test_one_asked_path_takes_the_code_block_not_the_usage_example() -> None:
    reply = "```python\ndef f():\n    return 1\n```\nUsage:\n```bash\npython -c 'import a'\n```\n"
    assert apply_reply(reply, _none, ["a.py"]).files == {"a.py": "def f():\n    return 1\n"}


@pytest.mark.parametrize(
    ("label", "why"),
    [
        ("/etc/passwd.py", "is absolute; write it relative to the repository root"),
        ("../outside.py", "leaves the repository (..)"),
        ("src/../../x.py", "leaves the repository (..)"),
        (".git/hooks/pre-commit.py", "is inside .git/"),
        ("src\\win.py", "uses backslashes; write it with forward slashes"),
        ("~/x.py", "starts with ~; write it relative to the repository root"),
    ],
)
def test_unsafe_paths_are_refused_never_applied(label: str, why: str) -> None:
    applied = apply_reply(f"{label}\n```python\nX = 1\n```\n", _none, ["a.py"])
    assert applied.files == {}
    assert applied.problems == (
        f"`{label}`: refused, the path {why}; nothing was written there - name files by their "
        "path inside the repository",
    )


def test_dot_slash_is_normalised_and_same_path_twice_applies_in_order() -> None:
    reply = (
        "./a.py\n```python\ndef f():\n    return 1\n```\n\n"
        "a.py\n```python\ndef g():\n    return 2\n```\n"
    )
    applied = apply_reply(reply, _none, ["a.py"])
    assert applied.files == {"a.py": "def f():\n    return 1\n\n\ndef g():\n    return 2\n"}
    assert applied.forms == ("whole-file", "python-merge")


def test_unchanged_file_is_not_reported_as_changed() -> None:
    applied = apply_reply("a.toml\n```toml\nx = 1\n```\n", {"a.toml": "x = 1\n"}.get, [])
    assert applied == Applied({}, (), ("whole-file",))


def test_placeholder_in_an_existing_non_python_file_is_refused() -> None:
    reply = "README.md\n```markdown\n# Tool\n\n<!-- ... rest unchanged ... -->\n```\n"
    applied = apply_reply(reply, {"README.md": "# Tool\n\nLong text.\n"}.get, [])
    assert applied.files == {}
    assert applied.problems[0].startswith("README.md: not applied, the block holds a placeholder")


def test_edit_formats_names_each_path_with_its_fence_language() -> None:
    text = edit_formats(["src/app.py", "pyproject.toml"])
    assert "`src/app.py` (```python)" in text and "`pyproject.toml` (```toml)" in text
    assert "<<<<<<< SEARCH" in text and ">>>>>>> REPLACE" in text
    assert "only the functions and classes you add or change" in text
    assert "only the functions" not in edit_formats(["README.md"])
    assert "four backticks" in edit_formats(["README.md"]) and "four" not in text
    assert "[tables]" in text and "## sections" in edit_formats(["README.md"])


def test_crlf_file_keeps_its_line_ends() -> None:
    old = "a = 1\r\nb = 2\r\n"
    reply = "c.py\n<<<<<<< SEARCH\nb = 2\n=======\nb = 3\n>>>>>>> REPLACE\n"
    assert apply_reply(reply, {"c.py": old}.get, []).files == {"c.py": "a = 1\r\nb = 3\r\n"}


def test_a_bare_file_name_stands_for_the_one_asked_path_it_ends() -> None:
    reply = "store.py\n```python\nX = 1\n```\n"
    applied = apply_reply(reply, _none, ["src/store.py", "tests/test_store.py"])
    assert applied.files == {"src/store.py": "X = 1\n"}


def test_a_diff_shown_inside_a_markdown_file_is_markdown() -> None:
    doc = "# Changes\n\n--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n"
    applied = apply_reply(f"CHANGES.md\n```markdown\n{doc}```\n", _none, [])
    assert applied.files == {"CHANGES.md": doc}


@pytest.mark.parametrize(
    "reply",
    ["I think the code is already correct.", "Run:\n```bash\npytest -q\n```\n", ""],
)
def test_a_reply_without_any_file_says_so(reply: str) -> None:
    applied = apply_reply(reply, _none, ["a.py", "b.py"])
    assert applied == Applied({}, (NOTHING,), ())


UTIL = '''"""Text helpers."""


def slugify(text: str) -> str:
    return "-".join(text.lower().split())


def shout(text: str) -> str:
    return text.upper() + "!"
'''
MAIN = """import sys

from util import slugify


def main() -> int:
    print(slugify(" ".join(sys.argv[1:])))
    return 0
"""
TEST = """from util import slugify


def test_slugify() -> None:
    assert slugify("A b") == "a-b"
"""
RENAME = """Renaming `slugify` to `to_slug` everywhere:

util.py
```python
\"\"\"Text helpers.\"\"\"


def to_slug(text: str) -> str:
    return "-".join(text.lower().split())


def shout(text: str) -> str:
    return text.upper() + "!"
```

main.py
```python
<<<<<<< SEARCH
from util import slugify
=======
from util import to_slug
>>>>>>> REPLACE
```

main.py
```python
<<<<<<< SEARCH
    print(slugify(" ".join(sys.argv[1:])))
=======
    print(to_slug(" ".join(sys.argv[1:])))
>>>>>>> REPLACE
```

```diff
--- a/tests/test_util.py
+++ b/tests/test_util.py
@@ -1,5 +1,5 @@
-from util import slugify
+from util import to_slug


-def test_slugify() -> None:
-    assert slugify("A b") == "a-b"
+def test_to_slug() -> None:
+    assert to_slug("A b") == "a-b"
```
"""


def test_rename_across_three_files_in_three_forms_leaves_no_old_name() -> None:
    files = {"util.py": UTIL, "main.py": MAIN, "tests/test_util.py": TEST}
    applied = apply_reply(RENAME, files.get, ["util.py", "main.py", "tests/test_util.py"])
    assert applied.problems == ()
    assert sorted(applied.files) == ["main.py", "tests/test_util.py", "util.py"]
    assert all("slugify" not in text for text in applied.files.values())
    assert applied.files["util.py"] == UTIL.replace("slugify", "to_slug")
    assert applied.forms == ("whole-file", "search-replace", "unified-diff")


def test_edit_in_the_middle_of_a_long_module_touches_only_that_function() -> None:
    funcs = [f"def f{n}(x: int) -> int:\n    return x + {n}\n" for n in range(250)]
    old = "\n\n".join(funcs)
    reply = "big.py\n```python\ndef f125(x: int) -> int:\n    return x - 125\n```\n"
    applied = apply_reply(reply, {"big.py": old}.get, ["big.py"])
    assert applied.files == {"big.py": old.replace("return x + 125\n", "return x - 125\n")}
    assert len(old.splitlines()) >= 500


def test_a_lone_shell_example_is_not_taken_for_the_asked_file() -> None:
    applied = apply_reply("Run:\n```bash\npytest -q\n```\n", _none, ["app.py"])
    assert applied == Applied({}, (NOTHING,), ())
