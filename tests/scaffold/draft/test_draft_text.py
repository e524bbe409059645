"""Markdown blocks holding some sections of a document, and text fragments that are not
written over a whole file (pure, literal replies)."""

from __future__ import annotations

from relay_git.scaffold.draft import apply_reply

README = """# tempconv

Convert temperatures between Celsius and Fahrenheit.

## Install

```bash
pip install tempconv
# then check it
tempconv --version
```

## Usage

Run `tempconv 100`.

### Examples

`tempconv 0` prints 32.

## License

MIT
"""


def _apply(
    reply: str, old: str = README, path: str = "README.md"
) -> tuple[str | None, tuple[str, ...], tuple[str, ...]]:
    applied = apply_reply(reply, {path: old}.get, [path])
    return applied.files.get(path), applied.problems, applied.forms


def test_a_section_with_the_same_heading_is_replaced_with_its_subsections() -> None:
    reply = "README.md\n```markdown\n## Usage\n\nRun `tempconv 100 --to f`.\n```\n"
    text, problems, forms = _apply(reply)
    assert problems == () and forms == ("markdown-merge",)
    assert text == README.replace(
        "Run `tempconv 100`.\n\n### Examples\n\n`tempconv 0` prints 32.\n",
        "Run `tempconv 100 --to f`.\n",
    )


def test_a_new_section_is_added_at_the_end_and_code_comments_are_not_headings() -> None:
    reply = "README.md\n```markdown\n## Options\n\n`--to f` converts to Fahrenheit.\n```\n"
    text, _, _ = _apply(reply)
    assert text == README + "\n## Options\n\n`--to f` converts to Fahrenheit.\n"


def test_a_whole_readme_is_the_whole_file() -> None:
    whole = README.replace("MIT", "Apache-2.0")
    text, problems, forms = _apply(f"README.md\n````markdown\n{whole}````\n")
    assert (text, problems, forms) == (whole, (), ("whole-file",))


CI = """name: ci
on: [push, pull_request]
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: "3.12"
      - run: pip install -e .[dev]
      - run: pytest -q
"""


def test_a_yaml_fragment_is_refused_rather_than_written_over_the_file() -> None:
    reply = ".github/workflows/ci.yml\n```yaml\n      - run: ruff check .\n```\n"
    text, problems, _ = _apply(reply, CI, ".github/workflows/ci.yml")
    assert text is None
    assert problems == (
        ".github/workflows/ci.yml: not applied, the block keeps little of the file and looks "
        "like a part of it; write the whole file, or SEARCH/REPLACE blocks",
    )


def test_a_whole_yaml_file_is_applied() -> None:
    whole = CI.replace(
        "      - run: pytest -q\n", "      - run: ruff check .\n      - run: pytest -q\n"
    )
    text, problems, _ = _apply(f"```yaml\n{whole}```\n", CI, ".github/workflows/ci.yml")
    assert (text, problems) == (whole, ())
