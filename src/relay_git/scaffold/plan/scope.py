"""What a task and its plan mean for the tree: which files to write, which tests, which names.

A tiny model's plan is a draft: ``check_plan`` repairs it before anyone reviews it, and
lists what it repaired so the plan reviewer sees the problems. The rules are plain:
paths the task names are in the plan; code lives outside the test folder and tests
inside it; no path twice; nothing unsafe; a file to modify exists. Pure: it takes the
repository's listing, never the repository.
"""

from __future__ import annotations

import fnmatch
import keyword
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import PurePosixPath

from relay_git.errors import UnsafeEdit
from relay_git.git.edits import check_path, protected
from relay_git.scaffold.plan.spec import TaskPlan

MAX_CODE_FILES = 3  # for a change to an existing module; a task that builds more gets more
MAX_NEW_PACKAGE_FILES = 8  # a new package: __init__, core modules, __main__, pyproject, README
MAX_TEST_FILES = 2
_EXTS = "py|pyi|md|rst|txt|toml|cfg|ini|json|ya?ml|js|ts|go|rs|sh"
_PATH = re.compile(rf"(?<![\w/.-])((?:[\w.-]+/)*[\w-][\w.-]*\.(?:{_EXTS}))(?![\w/])")
_CALL = re.compile(r"\b([A-Za-z_][A-Za-z0-9_]*)\(")
_TICKED = re.compile(r"`([A-Za-z_][A-Za-z0-9_]*)`")
_MODIFY = re.compile(r"\b(modify|change|update|fix|edit|extend|add to|existing)\b", re.I)
_ASKS_TESTS = re.compile(
    r"\b(?:with|add|adds|adding|write|writes|plus|and|include|including|regression|unit"
    r"|integration|pytest|new|more|some|a|an|its|their|cli|proper)\s+"
    r"(?:[\w-]+\s+){0,3}?tests?\b"
    r"|\bunit[- ]?tested\b|\b(?:well[- ])?tested\b|\btests?\s+(?:it|them|this|that|for|of|in)\b"
    r"|\bcover(?:s|ed|ing)?\s+(?:it|them|this|that|the\s+\w+|with|by)\b|\btest coverage\b",
    re.I,
)
# what looks like a test request but is not one: "no tests", "fix the failing test"
_NOT_ASKING = re.compile(
    r"\b(?:no|without|don'?t\s+\w+|do\s+not\s+\w+|never\s+\w+)\s+(?:[\w-]+\s+){0,2}?tests?\b"
    r"|\b(?:the\s+)?(?:failing|existing|broken|flaky)\s+tests?\b"
    r"|\btests?\s+(?:that\s+)?fail(?:s|ing)?\b",
    re.I,
)
_NOT_NAMES = frozenset({"print", "len", "str", "int", "float", "list", "dict", "set", "e", "g"})


@dataclass(frozen=True)
class Scope:
    """The files a run writes and the names it must define."""

    code: tuple[str, ...]  # files of code to create or change, in plan order
    tests: tuple[str, ...]  # test files to create or extend
    names: tuple[str, ...]  # functions or classes the task names
    existing: frozenset[str]  # which of those files exist at the base commit
    asks_tests: bool  # the task asks for tests

    @property
    def python(self) -> tuple[str, ...]:
        return tuple(p for p in self.code if p.endswith(".py"))


def asks_for_tests(task: str) -> bool:
    """Whether the task's wording asks for tests, in any of the ways people ask ("with
    regression tests", "cover it", "unit-tested", "add a pytest test for it in
    tests/test_app.py"), or names a test file to write."""
    return _ASKS_TESTS.search(_NOT_ASKING.sub(" ", task)) is not None


def task_paths(task: str) -> list[str]:
    return list(dict.fromkeys(m.group(1) for m in _PATH.finditer(task)))


def task_names(task: str) -> list[str]:
    """Identifiers the task calls (``slugify(text)``) or quotes (`slugify`)."""
    found = [m.group(1) for m in _CALL.finditer(task)] + _TICKED.findall(task)
    return [
        n
        for n in dict.fromkeys(found)
        if not keyword.iskeyword(n) and n not in _NOT_NAMES and len(n) > 1
    ]


def is_test_path(path: str) -> bool:
    pure = PurePosixPath(path)
    name = pure.name
    in_folder = any(part in ("tests", "test") for part in pure.parts[:-1])
    return name.startswith("test_") or name.endswith("_test.py") or (in_folder and name != "")


def test_folder(listing: Sequence[str]) -> str:
    for folder in ("tests", "test"):
        if any(p.startswith(f"{folder}/") for p in listing):
            return folder
    return "tests"


def module_of(path: str) -> str:
    """``src/pkg/mod.py`` -> ``pkg.mod``; ``pkg/__init__.py`` -> ``pkg``."""
    parts = list(PurePosixPath(path).with_suffix("").parts)
    if parts and parts[0] == "src" and len(parts) > 1:
        parts = parts[1:]
    if parts and parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _safe(path: str) -> str | None:
    try:
        return check_path(path.strip().strip("`'\"")).as_posix()
    except UnsafeEdit:
        return None


def _unwritable(path: str, known: set[str], allow: Sequence[str]) -> str | None:
    """Why no draft may be written at ``path`` (protected, or under a tracked file or
    symlink), else None: such a path would refuse the whole draft at write time."""
    pure = PurePosixPath(path)
    part = protected(pure, allow)
    if part is not None:
        allow_hint = "the user can allow it with --allow-path"
        return f"{path} dropped from the plan: {part} is protected ({allow_hint})"
    for parent in pure.parents:
        if parent.as_posix() in known:
            return f"{path} dropped from the plan: {parent} is a file or symlink, not a folder"
    return None


def _relocate(path: str, folder: str, known: set[str]) -> tuple[str, str]:
    """(path, problem): tests moved under the test folder, code moved out of it."""
    pure = PurePosixPath(path)
    if path in known:
        return path, ""
    if is_test_path(path) and pure.name.startswith("test_") and pure.parts[0] != folder:
        moved = f"{folder}/{pure.name}"
        return moved, f"test file {path} moved under {folder}/ as {moved}"
    # by its name: under the test folder is_test_path() holds for every file
    test_named = pure.name.startswith("test_") or pure.name.endswith("_test.py")
    code = pure.suffix == ".py" and not test_named
    if code and pure.parts[0] == folder and pure.name not in ("__init__.py", "conftest.py"):
        return pure.name, f"code file {path} moved out of the test folder to {pure.name}"
    return path, ""


def _matching_existing(path: str, listing: Sequence[str]) -> str | None:
    name = PurePosixPath(path).name
    same = [p for p in listing if PurePosixPath(p).name == name]
    return same[0] if len(same) == 1 else None


def _clean_files(
    plan: TaskPlan, listing: Sequence[str], folder: str, allow: Sequence[str]
) -> tuple[list[tuple[str, str]], list[str]]:
    known = set(listing)
    files: list[tuple[str, str]] = []
    problems: list[str] = []
    for raw, change in plan.files:
        path = _safe(raw)
        if path is None:
            problems.append(f"unsafe path {raw!r} dropped from the plan")
            continue
        path, moved = _relocate(path, folder, known)
        problems += [moved] if moved else []
        refused = _unwritable(path, known, allow)
        if refused:
            problems.append(refused)
            continue
        if path not in known and _MODIFY.search(change):
            twin = _matching_existing(path, listing)
            if twin:
                problems.append(f"{path} does not exist; the plan means {twin}")
                path = twin
            else:
                problems.append(f"{path} is to be modified but does not exist; it will be created")
        if any(p == path for p, _ in files):
            problems.append(f"{path} named twice in the plan")
            continue
        files.append((path, change))
    return files, problems


def _add_named(task: str, files: list[tuple[str, str]], listing: Sequence[str]) -> list[str]:
    problems = []
    for path in task_paths(task):
        safe = _safe(path)
        if safe and all(p != safe for p, _ in files):
            files.insert(0, (safe, "named by the task"))
            problems.append(f"the plan left out {safe}, which the task names")
    return problems


def _ensure_code(task: str, files: list[tuple[str, str]], listing: Sequence[str]) -> list[str]:
    if any(not is_test_path(p) for p, _ in files):
        return []
    names = task_names(task)
    if not names:
        return ["the plan names no code file and the task names no function"]
    words = set(re.findall(r"[a-z0-9]{3,}", task.lower()))
    modules = [p for p in listing if p.endswith(".py") and not is_test_path(p)]
    guess = next((p for p in modules if PurePosixPath(p).stem in words), f"{names[0]}.py")
    files.insert(0, (guess, f"define {', '.join(names)}"))
    return [f"the plan names no code file; using {guess}"]


_STRUCTURAL = re.compile(
    r"\b(docstrings?|type hints?|type annotations?|annotate|comments?|typos?|readme|docs)\b", re.I
)


def structural(task: str) -> bool:
    """A task whose result the gate checks by its shape (docstrings, type hints, docs), not
    by a test that fails without it."""
    return _STRUCTURAL.search(task) is not None and not asks_for_tests(task)


def _ensure_test(plan: TaskPlan, files: list[tuple[str, str]], folder: str) -> list[str]:
    """A task that asks for tests, or a plan that lists tests, gets a test file."""
    code = [p for p, _ in files if not is_test_path(p) and p.endswith(".py")]
    if any(is_test_path(p) for p, _ in files) or not code:
        return []
    if not (asks_for_tests(plan.task) or (plan.tests and not structural(plan.task))):
        return []
    path = f"{folder}/test_{PurePosixPath(code[0]).stem}.py"
    files.append((path, f"tests for {code[0]}"))
    return [f"the plan names no test file; using {path}"]


def _named_by(task: str, path: str) -> bool:
    """The task names the file: its path, its name, or (a README, a CHANGELOG) its stem."""
    pure = PurePosixPath(path)
    name = pure.name
    if path in task or re.search(rf"(?<![\w.-]){re.escape(name)}(?![\w-])", task):
        return True
    stem = pure.stem.lower()
    return stem in _DOC_NAMES and re.search(rf"\b{re.escape(stem)}\b", task, re.I) is not None


_DOCS_AND_CONFIG = (".md", ".rst", ".txt", ".toml", ".cfg", ".ini", ".json", ".yaml", ".yml")
_DOC_NAMES = ("readme", "license", "licence", "changelog", "contributing", "notice")


def _doc_or_config(path: str) -> bool:
    name = PurePosixPath(path).name.lower()
    return name.endswith(_DOCS_AND_CONFIG) or name.split(".")[0] in _DOC_NAMES


def _drop_unasked(
    task: str, files: list[tuple[str, str]], allow: Sequence[str], listing: Sequence[str]
) -> list[str]:
    """Documentation and configuration the task does not name (a README, pyproject.toml)
    are dropped: a tiny planner lists whatever it saw, and a redrafted README is damage.
    When the task names the code files to change, other code files go too: the user said
    where. Paths the user allowed with --allow-path stay."""
    scoped = any(not is_test_path(p) for p in task_paths(task))
    named_folders = {PurePosixPath(p).parent.as_posix() for p in task_paths(task)}
    kept, problems = [], []
    for path, change in files:
        allowed = any(fnmatch.fnmatchcase(path, glob) for glob in allow)
        folder = PurePosixPath(path).parent.as_posix()
        beside_named = folder != "." and folder in named_folders and path not in listing
        new_init = PurePosixPath(path).name == "__init__.py" and path not in listing
        allowed = allowed or new_init or (beside_named and not _doc_or_config(path))
        unasked = _doc_or_config(path) or scoped
        if not unasked or is_test_path(path) or _named_by(task, path) or allowed:
            kept.append((path, change))
        elif _doc_or_config(path):
            problems.append(f"{path} dropped from the plan: the task does not ask to change it")
        else:
            problems.append(f"{path} dropped from the plan: the task names the files to change")
    files[:] = kept
    return problems


def check_plan(
    plan: TaskPlan, listing: Sequence[str], allow: Sequence[str] = ()
) -> tuple[TaskPlan, list[str]]:
    """The plan made sane for the task and the tree, and what had to change. ``allow``:
    the --allow-path globs that admit protected paths."""
    folder = test_folder(listing)
    files, problems = _clean_files(plan, listing, folder, allow)
    problems += _drop_unasked(plan.task, files, allow, listing)
    problems += _add_named(plan.task, files, listing)
    problems += _ensure_code(plan.task, files, listing)
    problems += _ensure_package(files, listing)
    problems += _ensure_test(plan, files, folder)
    most = max_code_files(plan.task, [p for p, _ in files], listing)
    code = [f for f in files if not is_test_path(f[0])][:most]
    tests = [f for f in files if is_test_path(f[0])][:MAX_TEST_FILES]
    if len(code) + len(tests) < len(files):
        problems.append(
            f"the plan was cut to its first {most} code and {MAX_TEST_FILES} test files"
        )
    return replace(plan, files=tuple(code + tests)), problems


def _new_folders(paths: Sequence[str], listing: Sequence[str]) -> list[str]:
    """Folders of planned Python code files that do not exist yet (outside the tests)."""
    known = {PurePosixPath(p).parent.as_posix() for p in listing}
    out = []
    for path in paths:
        pure = PurePosixPath(path)
        folder = pure.parent.as_posix()
        code = pure.suffix == ".py" and not is_test_path(path)
        if code and folder not in (".", "src") and folder not in known:
            out.append(folder)
    return list(dict.fromkeys(out))


def max_code_files(task: str, paths: Sequence[str], listing: Sequence[str]) -> int:
    """How many code files a run writes: a few for a change, more for a new package, and
    never fewer than the task names."""
    named = sum(1 for p in task_paths(task) if not is_test_path(p))
    new_package = bool(_new_folders(paths, listing))
    return max(MAX_NEW_PACKAGE_FILES if new_package else MAX_CODE_FILES, named)


def _ensure_package(files: list[tuple[str, str]], listing: Sequence[str]) -> list[str]:
    """A new package folder gets its ``__init__.py``."""
    problems = []
    planned = {p for p, _ in files}
    for folder in _new_folders([p for p, _ in files], listing):
        init = f"{folder}/__init__.py"
        if init not in planned:
            at = max(i for i, (p, _) in enumerate(files) if p.startswith(f"{folder}/"))
            files.insert(at + 1, (init, "the package's __init__.py"))
            planned.add(init)
            problems.append(f"{init} added: the new package {folder} needs it")
    return problems


def scope_of(plan: TaskPlan, listing: Sequence[str]) -> Scope:
    code = tuple(p for p in plan.paths if not is_test_path(p))
    tests = tuple(p for p in plan.paths if is_test_path(p) and p.endswith(".py"))
    return Scope(
        code=code,
        tests=tests,
        names=tuple(task_names(plan.task)),
        existing=frozenset(p for p in (*code, *tests) if p in set(listing)),
        asks_tests=asks_for_tests(plan.task),
    )
