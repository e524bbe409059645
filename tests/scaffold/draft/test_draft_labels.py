"""Path labels in every form models write them, and CommonMark fences (pure, literal replies)."""

from __future__ import annotations

import pytest

from relay_git.scaffold.draft import apply_reply
from relay_git.scaffold.draft.fences import Edit, Fenced, scan
from relay_git.scaffold.draft.paths import safe_path

CODE = "def f() -> int:\n    return 1\n"


@pytest.mark.parametrize(
    "reply",
    [
        f"src/app.py\n```python\n{CODE}```\n",
        f"`src/app.py`\n```python\n{CODE}```\n",
        f"**src/app.py**\n```python\n{CODE}```\n",
        f"### src/app.py\n\n```python\n{CODE}```\n",
        f"#### `src/app.py`\n```python\n{CODE}```\n",
        f"File: src/app.py\n```python\n{CODE}```\n",
        f"**File:** `src/app.py`\n```python\n{CODE}```\n",
        f"Path: `./src/app.py`\n```python\n{CODE}```\n",
        f"Filename: src/app.py\n```py\n{CODE}```\n",
        f"Here is the new module.\n\n```python src/app.py\n{CODE}```\n",
        f"```python:src/app.py\n{CODE}```\n",
        f'```python title="src/app.py"\n{CODE}```\n',
        f"```python {{file=src/app.py}}\n{CODE}```\n",
        f"```src/app.py\n{CODE}```\n",
        f"```python\n# src/app.py\n{CODE}```\n",
        f"```python\n# file: src/app.py\n{CODE}```\n",
        f"Sure! Update `src/app.py`:\n\n```python\n{CODE}```\n\nThat's all.",
        "1. `src/app.py`:\n\n   ```python\n   def f() -> int:\n       return 1\n   ```\n",
        f"~~~python src/app.py\n{CODE}~~~\n",
        f"- `src/app.py`\n```python\n{CODE}```\n",
        f"#### 2. `src/app.py`\n```python\n{CODE}```\n",
        f"**`src/app.py`** (new file):\n```python\n{CODE}```\n",
        f"### File `src/app.py`\n```python\n{CODE}```\n",
    ],
)
def test_every_label_form_names_the_path(reply: str) -> None:
    applied = apply_reply(reply, lambda _: None, ["src/app.py", "README.md"])
    assert applied.files == {"src/app.py": CODE}
    assert applied.problems == ()


@pytest.mark.parametrize(
    ("reply", "path", "body"),
    [
        (
            '```toml title="pyproject.toml"\n[project]\nname = "x"\n```',
            "pyproject.toml",
            '[project]\nname = "x"\n',
        ),
        ("```js\n// web/app.js\nconsole.log(1);\n```", "web/app.js", "console.log(1);\n"),
        ("```markdown\n<!-- docs/x.md -->\n# Title\n```", "docs/x.md", "# Title\n"),
        ("```markdown\n# Title\n```", None, "# Title\n"),  # a heading, not a label
        ("```bash\n#!/bin/sh\necho hi\n```", None, "#!/bin/sh\necho hi\n"),
    ],
)
def test_scan_reads_language_labels_and_drops_only_label_comments(
    reply: str, path: str | None, body: str
) -> None:
    [block] = scan(reply)
    assert isinstance(block, Fenced)
    assert (block.path, block.body) == (path, body)


README = """# tempconv

Convert temperatures.

```bash
python -m tempconv 100 --to f
```

~~~
raw
~~~
"""


@pytest.mark.parametrize("fence", ["````", "~~~~"])
def test_longer_outer_fence_holds_a_readme_with_code_examples(fence: str) -> None:
    reply = f"README.md\n{fence}markdown\n{README}{fence}\n\nDone."
    applied = apply_reply(reply, lambda _: None, ["README.md"])
    assert applied.files == {"README.md": README}


def test_same_length_nested_fence_in_markdown_is_kept_whole() -> None:
    """Models often nest ``` inside ```markdown; the inner block must not end the file."""
    inner = "# tool\n\nRun it:\n\n```bash\ntool --help\n```\n\nThat is all.\n"
    reply = f"README.md\n```markdown\n{inner}```\n"
    assert apply_reply(reply, lambda _: None, ["README.md"]).files == {"README.md": inner}


def test_python_block_ends_at_a_bare_closing_fence_per_commonmark() -> None:
    code = 'DOC = """\n    ```\n"""\n'  # an indented fence inside a string does not close it
    reply = f"src/a.py\n```python\n{code}```\nafter\n"
    assert apply_reply(reply, lambda _: None, ["src/a.py"]).files == {"src/a.py": code}


def test_search_replace_blocks_are_read_fenced_and_bare_with_paths_between() -> None:
    reply = (
        "a.py\n```\n<<<<<<< SEARCH\nx = 1\n=======\nx = 2\n>>>>>>> REPLACE\n\n"
        "b.py\n<<<<<<< SEARCH\ny = 1\n=======\ny = 2\n>>>>>>> REPLACE\n```\n"
        "c.py\n<<<<<<<< SEARCH\nz = 1\n========\nz = 2\n>>>>>>>> REPLACE\n"
        "<<<<<<< SEARCH\nw = 1\n=======\nw = 2\n>>>>>>> REPLACE\n"
    )
    edits = scan(reply)
    assert [(e.path, e.search, e.replace) for e in edits if isinstance(e, Edit)] == [
        ("a.py", "x = 1\n", "x = 2\n"),
        ("b.py", "y = 1\n", "y = 2\n"),
        ("c.py", "z = 1\n", "z = 2\n"),
        ("c.py", "w = 1\n", "w = 2\n"),
    ]


@pytest.mark.parametrize(
    "before", ["### `Store.remove`", "Here is the new `Store.low_stock`:", "**tempconv.__main__**"]
)
def test_a_qualified_name_before_a_block_is_not_a_path(before: str) -> None:
    applied = apply_reply(f"{before}\n```python\n{CODE}```\n", lambda _: None, ["src/app.py"])
    assert applied.files == {"src/app.py": CODE}


def test_prose_mentioning_a_path_in_passing_does_not_label_the_block() -> None:
    reply = f"Next, the test (it imports from `src/app.py`):\n\n```python\n{CODE}```\n"
    applied = apply_reply(reply, lambda _: None, ["tests/test_app.py"])
    assert applied.files == {"tests/test_app.py": CODE}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("./src/a.py", ("src/a.py", "")),
        ("src//a.py", ("src/a.py", "")),
        ("a\x00.py", (None, "contains control characters")),
        ("a\x1b[31m.py", (None, "contains control characters")),
        ("src/.git/x", (None, "is inside .git/")),
        ("C:/x.py", (None, "is absolute; write it relative to the repository root")),
        ("./", (None, "is empty")),
    ],
)
def test_safe_path_normalises_or_says_why_not(raw: str, expected: tuple[str | None, str]) -> None:
    assert safe_path(raw) == expected


def test_unsafe_path_in_a_diff_header_is_refused() -> None:
    reply = "```diff\n--- /dev/null\n+++ b/../../etc/cron.py\n@@ -0,0 +1 @@\n+x = 1\n```\n"
    applied = apply_reply(reply, lambda _: None, [])
    assert applied.files == {}
    assert applied.problems == (
        "`../../etc/cron.py`: refused, the path leaves the repository (..); nothing was written "
        "there - name files by their path inside the repository",
    )


def test_tilde_outer_fence_holds_backtick_examples() -> None:
    readme = "# t\n\n```bash\nt --help\n```\n"
    applied = apply_reply(f"README.md\n~~~markdown\n{readme}~~~\n", lambda _: None, [])
    assert applied.files == {"README.md": readme}


def test_a_block_the_model_forgot_to_close_ends_where_the_next_one_opens() -> None:
    reply = "a.py\n```python\nX = 1\n\nb.py\n```python\nY = 2\n```\n"
    pieces = scan(reply)
    assert [(p.path, p.body) for p in pieces if isinstance(p, Fenced)] == [
        ("a.py", "X = 1\n"),
        ("b.py", "Y = 2\n"),
    ]


@pytest.mark.parametrize("lang", ["python", "", "py"])
def test_a_bare_path_on_the_first_line_inside_the_fence_is_a_label(lang: str) -> None:
    """`src/app.py` alone would parse as a division and land in the file."""
    applied = apply_reply(f"```{lang}\nsrc/app.py\n{CODE}```\n", lambda _: None, ["a.py", "b.py"])
    assert applied.files == {"src/app.py": CODE}


def test_the_line_before_wins_over_a_path_inside_and_keeps_that_line_as_content() -> None:
    ignore = "src/app.egg-info\n__pycache__/\n"
    applied = apply_reply(f".gitignore\n```\n{ignore}```\n", lambda _: None, [])
    assert applied.files == {".gitignore": ignore}
