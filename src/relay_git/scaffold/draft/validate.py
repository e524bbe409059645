"""Cheap checks that a file parses, by its extension: Python (ast), TOML (tomllib), JSON,
YAML (``yaml.safe_load_all``). Each returns the error as a short phrase with its line, or
None when the text parses (or its kind is not checked)."""

from __future__ import annotations

import ast
import json
import tomllib
import warnings
from collections.abc import Callable
from pathlib import PurePosixPath

import yaml


def parse_python(text: str) -> ast.Module | None:
    """The module ``text`` parses to, or None (without the warnings of odd escapes)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return ast.parse(text)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return None


def python_error(text: str) -> str | None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            ast.parse(text)
        except SyntaxError as err:
            return f"line {err.lineno}: {err.msg}"
        except (ValueError, RecursionError, MemoryError) as err:
            return f"{type(err).__name__}: {err}"[:120]
    return None


def _syntax_line(text: str) -> int | None:
    """0 when ``text`` parses as Python, else the line of its first error (-1: unknown)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            ast.parse(text)
        except SyntaxError as err:
            return err.lineno or -1
        except (ValueError, RecursionError, MemoryError):
            return -1
    return 0


def parseable_prefix(source: str) -> str:
    """The longest run of whole leading lines that parses as Python ('' if none does).

    A prefix that fails at line L is next cut to end before L (a prefix still holding the
    broken line fails the same way), so a block broken near its top costs a few parses, not
    one per line."""
    lines = source.splitlines()
    end = len(lines)
    while end > 0:
        candidate = "\n".join(lines[:end])
        error = _syntax_line(candidate)
        if error == 0:
            return candidate.rstrip() + "\n"
        end = min(end - 1, error - 1) if error and error > 0 else end - 1
    return ""


def _toml(text: str) -> str | None:
    try:
        tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        return str(err)
    except RecursionError:
        return "nested too deeply"
    return None


def _json(text: str) -> str | None:
    try:
        json.loads(text)
    except json.JSONDecodeError as err:
        return f"line {err.lineno}: {err.msg}"
    except RecursionError:
        return "nested too deeply"
    return None


def _yaml(text: str) -> str | None:
    try:
        for _ in yaml.safe_load_all(text):
            pass
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark
        where = f"line {mark.line + 1}: " if mark is not None else ""
        return f"{where}{err.problem or err.context or 'invalid YAML'}"
    except (yaml.YAMLError, RecursionError, ValueError) as err:
        return f"invalid YAML ({type(err).__name__})"
    return None


_CHECKS: dict[str, Callable[[str], str | None]] = {
    ".py": python_error,
    ".pyi": python_error,
    ".toml": _toml,
    ".json": _json,
    ".yaml": _yaml,
    ".yml": _yaml,
}


def parse_error(path: str, text: str) -> str | None:
    """Why ``text`` is not a valid file of ``path``'s kind, or None."""
    check = _CHECKS.get(PurePosixPath(path).suffix.lower())
    return check(text) if check else None
