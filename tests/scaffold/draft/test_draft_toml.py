"""TOML blocks: a fragment of tables merged table by table, a whole file taken whole."""

from __future__ import annotations

import tomllib

from relay_git.scaffold.draft import apply_reply

PYPROJECT = """[build-system]
requires = ["setuptools>=68"]
build-backend = "setuptools.build_meta"

[project]
name = "tempconv"
version = "0.1.0"

[project.optional-dependencies]
dev = ["pytest"]

[tool.ruff]
line-length = 100
"""


def _apply(block: str) -> tuple[str, tuple[str, ...]]:
    reply = f"Add the console script:\n\n```toml\n# pyproject.toml\n{block}```\n"
    applied = apply_reply(reply, {"pyproject.toml": PYPROJECT}.get, ["pyproject.toml"])
    assert applied.problems == ()
    return applied.files["pyproject.toml"], applied.forms


def test_new_table_joins_its_family_and_the_rest_is_kept() -> None:
    merged, forms = _apply('[project.scripts]\ntempconv = "tempconv.__main__:main"\n')
    assert forms == ("toml-merge",)
    assert merged == PYPROJECT.replace(
        "\n[tool.ruff]", '\n[project.scripts]\ntempconv = "tempconv.__main__:main"\n\n[tool.ruff]'
    )
    assert tomllib.loads(merged)["project"]["scripts"] == {"tempconv": "tempconv.__main__:main"}


def test_table_of_the_same_header_is_replaced() -> None:
    merged, _ = _apply('[project]\nname = "tempconv"\nversion = "0.2.0"\n')
    assert merged == PYPROJECT.replace('version = "0.1.0"', 'version = "0.2.0"')


def test_block_with_every_table_is_the_whole_file() -> None:
    whole = PYPROJECT.replace("line-length = 100", "line-length = 88")
    whole = whole.replace('dev = ["pytest"]', 'dev = ["pytest", "ruff"]')
    merged, forms = _apply(whole)
    assert (merged, forms) == (whole, ("whole-file",))


def test_fragment_that_breaks_the_file_is_refused() -> None:
    reply = "pyproject.toml\n```toml\n[project]\nname = 1\nname = 2\n```\n"
    applied = apply_reply(reply, {"pyproject.toml": PYPROJECT}.get, [])
    assert applied.files == {}
    assert applied.problems[0].startswith("pyproject.toml: not applied: the result would not parse")
