"""gate: a run is done only when its change is real, its tests pass and the reviewer approved.

Includes the issue's held-out cases that exited 0 with "approve". Pure; tables.
"""

from __future__ import annotations

import pytest

from relay_git.scaffold.plan.scope import Scope
from relay_git.scaffold.verify import gate
from relay_git.scaffold.verify.gate import Tree, decide, hollow, unmet_kind

APP = "def add(a, b):\n    return a + b\n"
TEST_APP = "from app import add\n\n\ndef test_add():\n    assert add(1, 2) == 3\n"
BASE: dict[str, str | None] = {"app.py": APP, "tests/test_app.py": TEST_APP}
DOUBLE = APP + "\n\ndef double(x):\n    return x * 2\n"


def target(code: tuple[str, ...] = ("app.py",), names: tuple[str, ...] = ("double",)) -> Scope:
    return Scope(
        code=code,
        tests=("tests/test_app.py",),
        names=names,
        existing=frozenset({"app.py", "tests/test_app.py"}),
        asks_tests=True,
    )


@pytest.mark.parametrize(
    ("task", "tgt", "head", "reasons"),
    [
        (
            "add double(x) to app.py with a test",
            target(),
            BASE,
            ["the change is empty: the branch holds no change"],
        ),
        (
            "add double(x) to app.py with a test",
            target(),
            {**BASE, "double.py": "", "tests/test_double.py": ""},
            ["the change does not touch app.py", "double is not defined in app.py"],
        ),
        (
            "add double(x) to app.py with a test",
            target(),
            {**BASE, "app.py": APP + "\n# double(x) goes here\n\n\n"},
            ["the change adds no code", "double is not defined in app.py"],
        ),
        (
            "add double(x) and half(x) to app.py",
            target(names=("double", "half")),
            {**BASE, "app.py": DOUBLE},
            ["half is not defined in app.py"],
        ),
        (
            "fix the bug in add(a, b) and add a test",
            target(names=("add",)),
            {
                **BASE,
                "tests/test_app.py": "",
                ":{": "",
                "test_app.py": "",
                "total.py": "",
            },
            ["the change does not touch app.py", "tests/test_app.py was emptied"],
        ),
        (
            "add double(x) to app.py",
            target(),
            {"app.py": DOUBLE, "tests/test_app.py": None},
            ["tests/test_app.py was deleted"],
        ),
        (
            "add double(x) to app.py",
            target(),
            {**BASE, "app.py": DOUBLE, "tests/test_app.py": "  \n\n"},
            ["tests/test_app.py was emptied"],
        ),
    ],
    ids=[
        "empty-change",
        "held-out-two-empty-files",
        "only-comments-and-blanks",
        "a-name-missing",
        "held-out-test-emptied-odd-files",
        "file-deleted",
        "file-blanked",
    ],
)
def test_hollow_reasons(task: str, tgt: Scope, head: Tree, reasons: list[str]) -> None:
    assert sorted(hollow(task, tgt, BASE, head)) == sorted(reasons)


@pytest.mark.parametrize(
    ("task", "tgt", "head"),
    [
        ("add double(x) to app.py with a test", target(), {**BASE, "app.py": DOUBLE}),
        (
            "fix the bug in add(a, b)",
            target(names=("add",)),
            {**BASE, "app.py": "def add(a, b):\n    return a - b\n"},
        ),
        (
            "remove the obsolete tests/test_app.py and add double(x)",
            target(),
            {"app.py": DOUBLE, "tests/test_app.py": None},
        ),
        (
            "delete app.py contents",
            target(code=("app.py",), names=()),
            {**BASE, "app.py": ""},
        ),
        ("add a README", target(code=("README.md",), names=()), {**BASE, "README.md": "# App\n"}),
        (
            "add double(x) with a test",
            target(code=("mathkit/ops.py",)),
            {**BASE, "mathkit/ops.py": "def double(x):\n    return 2 * x\n"},
        ),
        (
            "fix the bug in add(a, b)",
            target(names=("add",)),
            {**BASE, "app.py": "def add(a, b):\n    return a + b\n    print('unreachable')\n"},
        ),
    ],
    ids=[
        "real-addition",
        "one-line-fix",
        "removal-asked",
        "emptying-asked",
        "non-python-code-file",
        "new-module",
        "changed-code-line",
    ],
)
def test_hollow_accepts_real_changes(task: str, tgt: Scope, head: Tree) -> None:
    assert hollow(task, tgt, BASE, head) == []


def test_hollow_a_fix_that_only_deletes_a_line_is_real() -> None:
    buggy = "def total(xs):\n    xs = xs[1:]\n    return sum(xs)\n"
    fixed = "def total(xs):\n    return sum(xs)\n"
    base = {"app.py": buggy}
    tgt = target(names=("total",))
    assert hollow("fix the bug in total(xs)", tgt, base, {"app.py": fixed}) == []


def test_hollow_blank_lines_in_a_non_python_file_are_no_code() -> None:
    base = {**BASE, "README.md": "# App\n"}
    head = {**base, "README.md": "# App\n\n\n"}
    reasons = hollow("document app", target(code=("README.md",), names=()), base, head)
    assert reasons == ["the change adds no code"]


def test_hollow_without_planned_code_checks_only_removals() -> None:
    tgt = target(code=(), names=("double",))
    assert hollow("add tests", tgt, BASE, {**BASE, "tests/test_x.py": "x = 1\n"}) == []


@pytest.mark.parametrize(
    ("hollow_reasons", "tests", "asks", "names", "verdict", "reasons"),
    [
        ([], {"status": "passed"}, True, ["test_a"], "approve", []),
        ([], {"status": "skipped", "reason": "no test command"}, False, [], "approve", []),
        ([], {}, False, [], "approve", []),
        (
            ["the change adds no code"],
            {"status": "passed"},
            False,
            [],
            "approve",
            ["the change adds no code"],
        ),
        (
            [],
            {"status": "failed", "command": "pytest -q"},
            False,
            [],
            "approve",
            ["the tests fail (pytest -q)"],
        ),
        (
            [],
            {"status": "timeout", "command": "pytest"},
            False,
            [],
            "approve",
            ["the tests fail (pytest)"],
        ),
        (
            [],
            {"status": "skipped", "reason": "not run", "needs_confirmation": True},
            False,
            [],
            "approve",
            ["the tests were not run: the test command needs your confirmation"],
        ),
        (
            [],
            {"status": "passed"},
            True,
            [],
            "approve",
            ["the task asks for tests, and no drafted test survived"],
        ),
        (
            [],
            {"status": "passed"},
            False,
            [],
            "request_changes",
            ["the reviewer did not approve (request_changes)"],
        ),
        ([], {"status": "passed"}, False, [], "", ["the reviewer did not approve (not reviewed)"]),
        (
            ["x was emptied"],
            {"status": "failed", "command": "pytest"},
            True,
            [],
            "reject",
            [
                "x was emptied",
                "the tests fail (pytest)",
                "the task asks for tests, and no drafted test survived",
                "the reviewer did not approve (reject)",
            ],
        ),
    ],
    ids=[
        "done",
        "no-test-command",
        "no-test-record",
        "hollow",
        "tests-fail",
        "tests-timeout",
        "needs-confirmation",
        "asked-tests-missing",
        "not-approved",
        "not-reviewed",
        "all-reasons-in-order",
    ],
)
def test_decide(
    hollow_reasons: list[str],
    tests: dict[str, object],
    asks: bool,
    names: list[str],
    verdict: str,
    reasons: list[str],
) -> None:
    result = decide(hollow_reasons, tests, asks, names, verdict)
    assert list(result.reasons) == reasons
    assert result.done is (not reasons)
    assert result.outcome == ("done" if not reasons else "not done")


def test_held_out_runs_can_never_exit_0() -> None:
    """The issue's two held-out runs, end to end through hollow and decide."""
    task = "add double(x) to app.py with a test"
    head = {**BASE, "double.py": "", "tests/test_double.py": ""}
    first = decide(hollow(task, target(), BASE, head), {"status": "passed"}, True, [], "approve")
    task = "fix the bug in add(a, b) and add a test"
    head = {**BASE, "tests/test_app.py": "", ":{": "", "test_app.py": "", "total.py": ""}
    second = decide(
        hollow(task, target(names=("add",)), BASE, head),
        {"status": "failed", "command": "pytest"},
        True,
        ["test_add"],
        "approve",
    )
    assert not first.done and not second.done


@pytest.mark.parametrize(
    ("task", "source", "unmet"),
    [
        ("add a one-line docstring to every function in m.py", 'def f():\n    """F."""\n', []),
        ("add a docstring to every function in m.py", "def f():\n    return 1\n", ["f"]),
        (
            "add type hints to every function in m.py",
            "class S:\n    def push(self, x: int) -> None:\n        pass\n\n    def pop(self):\n"
            "        return 1\n",
            ["pop"],
        ),
        ("add type hints to m.py", "def f(x: int) -> int:\n    return x\n", []),
        ("add a helper to m.py", "def f():\n    return 1\n", []),  # no such ask
    ],
)
def test_docstring_and_type_hint_tasks_are_checked_on_every_function(
    task: str, source: str, unmet: list[str]
) -> None:
    target = Scope(("m.py",), (), (), frozenset({"m.py"}), False)
    reasons = unmet_kind(task, target, {"m.py": source})
    assert [r for r in reasons if any(n in r for n in unmet)] == reasons
    assert bool(reasons) == bool(unmet)


@pytest.mark.parametrize(
    ("text", "unmet"),
    [
        ("# greeter\n\n## Usage\n\n    greet('x')\n", False),
        ("# greeter\n\nUsage\n-----\n\ngreet('x')\n", False),
        ("# greeter\n\nCall greet('x') to greet.\n", True),
    ],
)
@pytest.mark.parametrize(
    "task",
    [
        "add a Usage section to README.md that shows how to call greet()",
        "Document greet in the README with a Usage section showing a call",
    ],
)
def test_a_section_the_task_names_must_be_a_heading(text: str, unmet: bool, task: str) -> None:
    target = Scope(("README.md",), (), (), frozenset({"README.md"}), False)
    assert bool(unmet_kind(task, target, {"README.md": text})) == unmet


@pytest.mark.parametrize(
    ("names", "support", "vouched", "unmet"),
    [
        (("test_slugify",), 1, False, True),  # one draft, one drafted test: a guess
        (("test_slugify",), 2, False, False),  # two witnesses agree
        (("test_slugify",), 1, True, False),  # a test the project had checks it
        (("test_slugify",), 0, False, False),  # no score measured: not held against it
        ((), 1, False, False),  # no drafted test: nothing to weigh
    ],
)
def test_one_draft_passing_one_drafted_test_is_unconfirmed(
    names: tuple[str, ...], support: int, vouched: bool, unmet: bool
) -> None:
    reasons = gate.unconfirmed(names, support, vouched)
    assert bool(reasons) is unmet
    verdict = gate.decide(reasons, {"status": "passed"}, True, names or ("t",), "approve")
    assert verdict.done is not unmet
