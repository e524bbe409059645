"""target: what a task and its plan mean for the tree; the plan repaired. Pure; tables."""

from __future__ import annotations

import pytest

from relay_git.scaffold.plan.scope import (
    MAX_CODE_FILES,
    MAX_TEST_FILES,
    asks_for_tests,
    check_plan,
    is_test_path,
    module_of,
    scope_of,
    task_names,
    task_paths,
)
from relay_git.scaffold.plan.spec import TaskPlan

LISTING = (
    "README.md",
    "textkit/__init__.py",
    "textkit/slug.py",
    "textkit/count.py",
    "tests/test_count.py",
    "tests/conftest.py",
)


def plan(task: str, *files: tuple[str, str]) -> TaskPlan:
    return TaskPlan(task=task, summary="", files=tuple(files), tests=())


@pytest.mark.parametrize(
    ("task", "want"),
    [
        ("add slugify to textkit/slug.py with a test", ["textkit/slug.py"]),
        ("fix app.py so tests/test_app.py passes", ["app.py", "tests/test_app.py"]),
        ("update README.md and README.md again", ["README.md"]),
        ("bump the version to 1.0.0", []),
        ("edit `src/pkg/mod.py`, then docs/usage.rst", ["src/pkg/mod.py", "docs/usage.rst"]),
        ("see https://example.com/page.html for details", []),
        ("add a helper, e.g. a slugify function", []),
    ],
)
def test_task_paths(task: str, want: list[str]) -> None:
    assert task_paths(task) == want


@pytest.mark.parametrize(
    ("task", "want"),
    [
        ("add a slugify(text) helper with tests", ["slugify"]),
        ("add `double` and `is_even(n)`", ["is_even", "double"]),
        ("make print(x) and len(xs) work in total(xs)", ["total"]),
        ("if(x) or f(x) or return(x)", []),
        ("add a function that doubles a number", []),
        ("call slugify(a) and slugify(b)", ["slugify"]),
    ],
)
def test_task_names(task: str, want: list[str]) -> None:
    assert task_names(task) == want


@pytest.mark.parametrize(
    ("path", "want"),
    [
        ("tests/test_slug.py", True),
        ("test_slug.py", True),
        ("src/test_backend_fake.py", True),
        ("pkg/slug_test.py", True),
        ("tests/conftest.py", True),
        ("test/helpers.py", True),
        ("textkit/slug.py", False),
        ("testing.py", False),
        ("contest.py", False),
        ("src/latest/mod.py", False),
    ],
)
def test_is_test_path(path: str, want: bool) -> None:
    assert is_test_path(path) is want


@pytest.mark.parametrize(
    ("path", "want"),
    [
        ("src/pkg/mod.py", "pkg.mod"),
        ("pkg/__init__.py", "pkg"),
        ("app.py", "app"),
        ("src/app.py", "app"),
        ("textkit/slug.py", "textkit.slug"),
        ("src/pkg/sub/__init__.py", "pkg.sub"),
    ],
)
def test_module_of(path: str, want: str) -> None:
    assert module_of(path) == want


@pytest.mark.parametrize(
    ("files", "task", "want_paths", "problem"),
    [
        (
            [("../etc/passwd", "write"), ("/abs.py", "x"), (".git/config", "x"), ("ok.py", "x")],
            "add ok",
            ["ok.py"],
            "unsafe path '../etc/passwd' dropped",
        ),
        (
            [("textkit/slug.py", "add slugify"), ("textkit/slug.py", "again")],
            "add slugify",
            ["textkit/slug.py"],
            "textkit/slug.py named twice in the plan",
        ),
        (
            [("src/test_backend_fake.py", "x"), ("src/test_backend_fake.py", "x")],
            "add a fake backend `fake` with a test",
            ["fake.py", "tests/test_backend_fake.py"],
            "tests/test_backend_fake.py named twice",
        ),
        (
            [("textkit/slug.py", "add slugify")],
            "add slugify to textkit/slug.py and document it in README.md",
            ["README.md", "textkit/slug.py"],
            "the plan left out README.md, which the task names",
        ),
        (
            [("textkit/slug.py", "x"), ("test_slug.py", "tests")],
            "add slugify",
            ["textkit/slug.py", "tests/test_slug.py"],
            "test file test_slug.py moved under tests/ as tests/test_slug.py",
        ),
        (
            [("tests/slugger.py", "define slugify"), ("tests/test_slug.py", "tests")],
            "add slugify",
            ["slugger.py", "tests/test_slug.py"],
            "code file tests/slugger.py moved out of the test folder to slugger.py",
        ),
        (
            [("slug.py", "modify slugify")],
            "fix slugify",
            ["textkit/slug.py"],
            "slug.py does not exist; the plan means textkit/slug.py",
        ),
        (
            [("lib/new.py", "update the helper")],
            "fix it",
            ["lib/new.py", "lib/__init__.py"],
            "lib/new.py is to be modified but does not exist; it will be created",
        ),
        (
            [("tests/test_slug.py", "tests")],
            "add slugify(text) to the slug module",
            ["textkit/slug.py", "tests/test_slug.py"],
            "the plan names no code file; using textkit/slug.py",
        ),
        (
            [("tests/test_x.py", "tests")],
            "add a double(x) function",
            ["double.py", "tests/test_x.py"],
            "the plan names no code file; using double.py",
        ),
        (
            [("textkit/slug.py", "add slugify")],
            "add slugify with a test",
            ["textkit/slug.py", "tests/test_slug.py"],
            "the plan names no test file; using tests/test_slug.py",
        ),
    ],
    ids=[
        "unsafe-paths-dropped",
        "duplicate-dropped",
        "issue-plan-test-twice-under-src",
        "task-named-path-added",
        "test-moved-under-test-folder",
        "code-moved-out-of-test-folder",
        "modify-missing-maps-to-unique-twin",
        "modify-missing-without-twin-is-created",
        "no-code-file-guessed-from-listing",
        "no-code-file-guessed-from-name",
        "no-test-file-added-when-asked",
    ],
)
def test_check_plan_repairs(
    files: list[tuple[str, str]], task: str, want_paths: list[str], problem: str
) -> None:
    fixed, problems = check_plan(plan(task, *files), LISTING)
    assert list(fixed.paths) == want_paths
    assert any(problem in p for p in problems), problems


def test_check_plan_keeps_a_sane_plan_as_is() -> None:
    sane = plan(
        "add slugify(text) to textkit/slug.py with a test",
        ("textkit/slug.py", "add slugify"),
        ("tests/test_slug.py", "tests for slugify"),
    )
    fixed, problems = check_plan(sane, LISTING)
    assert fixed == sane
    assert problems == []


@pytest.mark.parametrize(
    ("files", "task", "want_paths"),
    [
        ([("textkit/slug.py", "x")], "add slugify", ["textkit/slug.py"]),
        ([("textkit/slug.py", "x")], "fix slugify so tests/test_count.py passes", None),
        ([("tests/conftest.py", "modify fixture"), ("a.py", "x")], "fix a", None),
        ([("tests/test_count.py", "modify"), ("a.py", "x")], "extend tests", None),
        ([("a.py", "x"), ("tests/data/sample.json", "fixture")], "fix a", None),
        ([("a.py", "x"), ("tests/__init__.py", "package")], "fix a", None),
    ],
    ids=[
        "no-test-unless-asked",
        "test-named-by-task",
        "existing-conftest",
        "existing-test",
        "test-data-stays",
        "test-package-init-stays",
    ],
)
def test_check_plan_leaves_alone(
    files: list[tuple[str, str]], task: str, want_paths: list[str] | None
) -> None:
    fixed, problems = check_plan(plan(task, *files), LISTING)
    assert not any("moved" in p or "no test file" in p for p in problems), problems
    if want_paths is not None:
        assert list(fixed.paths) == want_paths
    for path, _ in files:
        assert path in fixed.paths


def test_check_plan_ambiguous_twin_is_not_guessed() -> None:
    listing = [*LISTING, "other/slug.py"]
    fixed, problems = check_plan(plan("fix it", ("slug.py", "fix the bug")), listing)
    assert fixed.paths == ("slug.py",)
    assert any("will be created" in p for p in problems)


def test_check_plan_without_code_or_names_says_so() -> None:
    fixed, problems = check_plan(plan("improve things", ("tests/test_a.py", "x")), LISTING)
    assert fixed.paths == ("tests/test_a.py",)
    assert "the plan names no code file and the task names no function" in problems


def test_check_plan_bounds_files_code_first() -> None:
    files = [(f"textkit/m{i}.py", "x") for i in range(5)] + [
        (f"tests/test_m{i}.py", "x") for i in range(4)
    ]
    fixed, problems = check_plan(plan("add things", *files), LISTING)
    assert list(fixed.paths) == [f"textkit/m{i}.py" for i in range(MAX_CODE_FILES)] + [
        f"tests/test_m{i}.py" for i in range(MAX_TEST_FILES)
    ]
    assert any("cut to its first 3 code and 2 test files" in p for p in problems)


def test_a_new_package_keeps_its_files_and_gets_its_init() -> None:
    """A package with a CLI needs 5-8 files: none dropped, __init__.py never left out."""
    task = "create a tempconv package (tempconv/core.py, tempconv/__main__.py, pyproject.toml)"
    files = [
        ("tempconv/core.py", "conversions"),
        ("tempconv/__main__.py", "argparse CLI"),
        ("tempconv/cli.py", "the CLI's parser"),
        ("pyproject.toml", "packaging"),
        ("README.md", "usage"),
        ("tests/test_core.py", "tests"),
    ]
    fixed, problems = check_plan(plan(task, *files), ["README.md"])
    assert "tempconv/__init__.py" in fixed.paths and "tempconv/cli.py" in fixed.paths
    assert "tempconv/__init__.py added: the new package tempconv needs it" in problems
    assert "pyproject.toml" in fixed.paths and "README.md" not in fixed.paths


def test_check_plan_uses_the_repository_test_folder() -> None:
    listing = ["app.py", "test/test_app.py"]
    fixed, _ = check_plan(plan("add double(x) with tests", ("app.py", "add double")), listing)
    assert fixed.paths == ("app.py", "test/test_app.py")


@pytest.mark.parametrize(
    ("task", "asks"),
    [
        (
            "Add a function square(x) to app.py, and add a pytest test for it in tests/test_app.py",
            True,
        ),
        ("fix the off-by-one in paginate() and add regression tests", True),
        ("make Store.remove raise ValueError; cover it", True),
        ("a small, unit-tested parser for key=value lines", True),
        ("add a CLI with tests", True),
        ("add slugify(text), with a test in tests/test_slug.py", True),
        ("write tests for the parser", True),
        ("make sure it is tested", True),
        ("add a --verbose flag; no tests needed", False),
        ("fix the failing test in tests/test_app.py", False),
        ("rename foo to bar everywhere", False),
        ("the tests fail: fix the code", False),
    ],
)
def test_test_intent_from_how_people_ask(task: str, asks: bool) -> None:
    assert asks_for_tests(task) is asks


@pytest.mark.parametrize(
    ("task", "asks"),
    [
        ("add slugify with a test", True),
        ("add slugify and tests", True),
        ("add slugify, with unit tests", True),
        ("write tests for slugify", True),
        ("add double(x) plus a test", True),
        ("fix the bug so tests/test_convert.py passes", False),
        ("fix the bug so the tests pass", False),
        ("add slugify without tests", False),
        ("add docstrings to every function", False),
    ],
)
def test_target_of_asks_tests(task: str, asks: bool) -> None:
    assert scope_of(plan(task, ("app.py", "x")), ["app.py"]).asks_tests is asks


def test_target_of_splits_code_tests_names_and_existing() -> None:
    p = plan(
        "add `slugify` to textkit/slug.py with a test",
        ("textkit/slug.py", "add"),
        ("README.md", "document"),
        ("tests/test_slug.py", "tests"),
        ("tests/data.json", "data"),
    )
    target = scope_of(p, LISTING)
    assert target.code == ("textkit/slug.py", "README.md")
    assert target.python == ("textkit/slug.py",)
    assert target.tests == ("tests/test_slug.py",)
    assert target.names == ("slugify",)
    assert target.existing == frozenset({"textkit/slug.py", "README.md"})


@pytest.mark.parametrize(
    ("path", "said"),
    [
        (".github/workflows/ci.yml", ".github is protected"),
        (".githooks/pre-commit", ".githooks is protected"),
        (".relay-git.toml", ".relay-git.toml is protected"),
        ("README.md/x.py", "README.md is a file or symlink, not a folder"),
        ("textkit/slug.py/y.py", "textkit/slug.py is a file or symlink, not a folder"),
    ],
)
def test_check_plan_drops_paths_no_draft_may_be_written_to(path: str, said: str) -> None:
    """Such a path would refuse the whole draft at write time, losing the other files too."""
    fixed, problems = check_plan(plan("add a", (path, "x"), ("a.py", "x")), LISTING)
    assert fixed.paths == ("a.py",)
    assert any(said in p and "dropped from the plan" in p for p in problems), problems


def test_check_plan_keeps_a_protected_path_the_user_allows() -> None:
    wanted = plan("add a", (".github/workflows/ci.yml", "x"), ("a.py", "x"))
    fixed, problems = check_plan(wanted, LISTING, (".github/*",))
    assert fixed.paths == (".github/workflows/ci.yml", "a.py") and problems == []


@pytest.mark.parametrize(
    ("path", "task", "kept"),
    [
        ("README.md", "add is_even(n) to mathkit/numbers.py", False),
        ("pyproject.toml", "add is_even(n)", False),
        ("README.md", "document the CLI flag in README.md", True),
        ("scripts/check.sh", "add is_even(n)", True),
        ("tests/data/sample.json", "add is_even(n)", True),
        ("mathkit/numbers.py", "add is_even(n)", True),
    ],
)
def test_docs_and_config_the_task_does_not_name_leave_the_plan(
    path: str, task: str, kept: bool
) -> None:
    plan = TaskPlan(task, "", ((path, "x"), ("mathkit/numbers.py", "y")), ())
    checked, problems = check_plan(plan, ["mathkit/numbers.py", "README.md", "pyproject.toml"])
    assert (path in checked.paths) == kept
    assert any("does not ask to change it" in p for p in problems) == (not kept)


@pytest.mark.parametrize(
    ("task", "kept"),
    [
        ("add miles_to_km(miles) to geo/units.py, with a test in tests/test_units.py", False),
        ("add miles_to_km(miles) to geo/units.py and export it from geo/__init__.py", True),
        ("add miles_to_km(miles) to the units module", True),  # no file named: the plan decides
        ("make tests/test_units.py pass", True),  # only a test named: the code is the plan's
    ],
)
def test_when_the_task_names_the_code_files_others_leave_the_plan(task: str, kept: bool) -> None:
    listing = ["geo/__init__.py", "geo/units.py", "conftest.py", "tests/test_units.py"]
    planned = TaskPlan(task, "", (("geo/units.py", "x"), ("geo/__init__.py", "y")), ())
    checked, problems = check_plan(planned, listing)
    assert ("geo/__init__.py" in checked.paths) == kept
    assert any("the task names the files to change" in p for p in problems) == (not kept)
