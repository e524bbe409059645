"""A capable task: the bench's task format plus the script of what a strong model answers.

On top of the fields ``bench.tasks.Task`` reads (kind, task, files, test_command, check,
max_rounds), a task in ``bench/capable/tasks/`` holds:

- ``[plan]``: summary, steps and tests of the plan the coder writes;
- ``[[edit]]``: for one ``path`` (or several ``paths`` at once) the ``change`` the plan
  names and the ``reply`` a strong model writes when asked to write those files, exactly
  as written (prose, fences, a class with only its changed methods, search/replace
  blocks ...); ``fixed`` is its reply once the request shows the failing test output
  (``fix_on = "failure"``) or the reviewer's finding (``fix_on = "finding"``);
- ``[review]``: ``expect``, what the diff must show before the reviewer approves (each a
  string, or [string, the finding it raises when missing]); the reviewer also wants a
  ``def test_`` in the diff (every task asks for tests), and raises the optional
  ``[review.finding]`` until ``addressed_by`` is in the diff;
- ``json_style`` (plain, fence or prose: how structured replies are written) and ``label``
  (heading, bold, info or comment: how a reply names each file when asked for several).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.tasks import Task, TaskError

TASKS_DIR = Path(__file__).resolve().parent / "tasks"
JSON_STYLES = ("plain", "fence", "prose")
LABELS = ("heading", "bold", "info", "comment")
FIX_ON = ("", "failure", "finding")


@dataclass(frozen=True)
class Edit:
    paths: tuple[str, ...]
    change: str  # what the plan says about it
    reply: str  # the model's reply when asked to write ``paths``
    fixed: str = ""  # its reply in the fix round
    fix_on: str = ""  # "failure" (test output shown) or "finding" (review finding shown)


@dataclass(frozen=True)
class Finding:
    path: str
    line: int
    message: str
    addressed_by: str  # text the diff shows once the coder fixed it
    severity: str = "error"
    category: str = "bug"


@dataclass(frozen=True)
class Script:
    task: Task
    summary: str
    steps: tuple[str, ...]
    tests: tuple[str, ...]
    edits: tuple[Edit, ...]
    expect: tuple[tuple[str, str], ...] = ()  # (needle, the finding's message when missing)
    finding: Finding | None = None
    json_style: str = "plain"
    label: str = "heading"

    @property
    def name(self) -> str:
        return self.task.name

    def paths(self) -> list[str]:
        """Every path the model plans to write, in the plan's order."""
        return list(dict.fromkeys(p for e in self.edits for p in e.paths))

    def change_of(self, path: str) -> str:
        return next((e.change for e in self.edits if path in e.paths and e.change), "")


def _strs(name: str, raw: object, key: str) -> tuple[str, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list) or not all(isinstance(x, str) for x in raw):
        raise TaskError(f"{name}: '{key}' must be a list of strings")
    return tuple(raw)


def _expect(name: str, raw: list[Any]) -> tuple[tuple[str, str], ...]:
    out = []
    for item in raw:
        if isinstance(item, str):
            item = [item, f"The change does not do the whole task: I expected `{item}` in it."]
        if not (
            isinstance(item, list) and len(item) == 2 and all(isinstance(x, str) for x in item)
        ):
            raise TaskError(f"{name}: each 'expect' is a string or [string, message]")
        out.append((item[0], item[1]))
    return tuple(out)


def _edit(name: str, raw: Mapping[str, Any]) -> Edit:
    paths = [raw["path"]] if isinstance(raw.get("path"), str) else raw.get("paths")
    reply, fix_on = raw.get("reply"), raw.get("fix_on", "")
    if not paths or not isinstance(reply, str) or fix_on not in FIX_ON:
        raise TaskError(f"{name}: an [[edit]] needs path(s), a reply and a known fix_on")
    if fix_on and not isinstance(raw.get("fixed"), str):
        raise TaskError(f"{name}: an [[edit]] with fix_on needs 'fixed'")
    return Edit(
        _strs(name, list(paths), "paths"),
        str(raw.get("change", "")),
        reply,
        str(raw.get("fixed", "")),
        fix_on,
    )


def _finding(name: str, raw: object) -> Finding | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise TaskError(f"{name}: '[review.finding]' must be a table")
    try:
        return Finding(**raw)
    except TypeError as err:
        raise TaskError(f"{name}: [review.finding]: {err}") from None


def from_toml(name: str, data: Mapping[str, Any]) -> Script:
    task = Task.from_toml(name, data)
    plan, review = data.get("plan") or {}, data.get("review") or {}
    edits = tuple(_edit(name, e) for e in data.get("edit") or [])
    if not edits or not isinstance(plan.get("summary"), str):
        raise TaskError(f"{name}: a capable task needs [plan] summary and [[edit]] entries")
    style, label = data.get("json_style", "plain"), data.get("label", "heading")
    if style not in JSON_STYLES or label not in LABELS:
        raise TaskError(f"{name}: json_style in {JSON_STYLES}, label in {LABELS}")
    return Script(
        task=task,
        summary=plan["summary"],
        steps=_strs(name, plan.get("steps"), "steps"),
        tests=_strs(name, plan.get("tests"), "tests"),
        edits=edits,
        expect=_expect(name, review.get("expect") or []),
        finding=_finding(name, review.get("finding")),
        json_style=style,
        label=label,
    )


def load(path: Path) -> Script:
    with path.open("rb") as fh:
        return from_toml(path.stem, tomllib.load(fh))


def load_all(names: Sequence[str] = (), directory: Path = TASKS_DIR) -> list[Script]:
    """Every capable task, sorted by name, or just ``names`` in the order given."""
    if names:
        missing = [n for n in names if not (directory / f"{n}.toml").is_file()]
        if missing:
            known = ", ".join(p.stem for p in sorted(directory.glob("*.toml")))
            raise TaskError(f"unknown capable task(s) {', '.join(missing)}; known: {known}")
        return [load(directory / f"{n}.toml") for n in names]
    return [load(p) for p in sorted(directory.glob("*.toml"))]


FENCED = re.compile(r"^(`{3,}|~{3,})[^\n]*\n(.*?)^\1\s*$", re.M | re.S)


def whole_file(reply: str) -> str | None:
    """The file a reply holds whole: its one fenced block (None for any other shape)."""
    blocks = FENCED.findall(reply)
    if len(blocks) != 1 or "<<<<<<< SEARCH" in reply:
        return None
    return str(blocks[0][1])


def solution(script: Script) -> dict[str, str]:
    """The files as a strong model leaves them: ``[solution]`` where the task gives one,
    else the final reply of the path's own edit when it holds the file whole."""
    given = dict(script.task.solution)
    out: dict[str, str] = {}
    for path in script.paths():
        single = [e for e in script.edits if e.paths == (path,)]
        text = given.get(path) or (
            whole_file(single[0].fixed or single[0].reply) if single else None
        )
        if text is None:
            raise TaskError(f"{script.name}: {path} needs a [solution] entry")
        out[path] = text.lstrip("\n")
    return out
