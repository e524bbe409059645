"""The relay with replies written the way a strong coding model answers (issue 17).

The models are scripted fakes (``tests.fakes.FakeBackend``) answering each request by
what its ``Files to write:`` line asks for, with correct code in the forms capable models
use (a class holding only its changed methods, whole files, several files); git, the
worktree, the sandboxed test runs and pytest are real.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import git
from tests.scaffold.support import PYTEST, Relay, asked_paths, kind, run_json

from relay_git.models.base import ChatRequest

STORE = """class Store:
    def __init__(self):
        self.items = {}

    def add(self, name, count):
        self.items[name] = self.items.get(name, 0) + count

    def remove(self, name, count):
        self.items[name] = self.items.get(name, 0) - count
"""
STORE_METHODS = """Here are the changed methods:

```python
class Store:
    def remove(self, name, count):
        if count > self.items.get(name, 0):
            raise ValueError(f"only {self.items.get(name, 0)} {name} in stock")
        self.items[name] -= count

    def low_stock(self, threshold):
        return sorted(n for n, c in self.items.items() if c < threshold)
```
"""
STORE_TESTS = """```python
import pytest

from store import Store


def test_remove_more_than_in_stock_raises():
    store = Store()
    store.add("apple", 2)
    with pytest.raises(ValueError):
        store.remove("apple", 3)


def test_low_stock_lists_items_below_threshold():
    store = Store()
    store.add("apple", 1)
    store.add("pear", 9)
    assert store.low_stock(5) == ["apple"]
```
"""
STORE_TASK = (
    "Make Store.remove raise ValueError when removing more than is in stock, and add "
    "Store.low_stock(threshold), with regression tests"
)


def plan(*paths: str, tests: tuple[str, ...] = ("the behaviours",)) -> dict[str, Any]:
    return {
        "summary": "the change",
        "files": [{"path": p, "change": "write it"} for p in paths],
        "tests": list(tests),
    }


def fenced(path: str, code: str, lang: str = "python") -> str:
    return f"{path}\n```{lang}\n{code}```\n"


class Strong:
    """A capable coder and reviewer: replies keyed by the asked path; plans and verdicts
    as JSON. ``fixed`` answers requests that show failing tests or findings."""

    def __init__(
        self,
        plan: dict[str, Any],
        files: dict[str, str],
        fixed: dict[str, str] | None = None,
        verdicts: list[str] | None = None,
        findings: list[dict[str, Any]] | None = None,
    ) -> None:
        self.plan, self.files, self.fixed = plan, files, fixed or {}
        self.verdicts = verdicts or ["approve"]
        self.findings = findings or []

    def coder(self, request: ChatRequest) -> str:
        if kind(request) == "plan":
            return json.dumps(self.plan)
        text = request.messages[-1]["content"]
        again = "The tests fail" in text or "findings" in text
        out = []
        for path in asked_paths(request):
            reply = (self.fixed if again else {}).get(path) or self.files.get(path, "")
            out.append(reply if reply.lstrip().startswith(path) else f"{path}\n{reply}")
        return "\n".join(out)

    def reviewer(self, request: ChatRequest) -> str:
        what = kind(request)
        if what == "plan-review":
            return json.dumps({"verdict": "approve"})
        if what == "verdict":
            verdict = self.verdicts.pop(0) if len(self.verdicts) > 1 else self.verdicts[0]
            return json.dumps({"verdict": verdict, "summary": f"{verdict}: read the diff"})
        return json.dumps({"verdict": "fix", "summary": "see findings", "findings": self.findings})

    def install(self, relay: Relay) -> Strong:
        relay.coder.default = self.coder
        relay.reviewer.default = self.reviewer
        return self


def commit_all(root: Path, files: dict[str, str]) -> None:
    for path, text in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text)
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "base")


def never_twice(relay: Relay) -> None:
    for backend in (relay.coder, relay.reviewer):
        seen = [
            (json.dumps(r.messages), r.temperature, r.seed, r.max_tokens) for r in backend.history
        ]
        twice = [s[1:] for s in seen if seen.count(s) > 1]
        assert not twice, f"a request was sent twice: {twice}"


def stages(report: dict[str, Any]) -> list[str]:
    return [e["stage"] for e in report["ledger"]]


def test_methods_of_a_class_merge_by_qualified_name(
    repo: Path, relay: Relay, capsys: pytest.CaptureFixture[str]
) -> None:
    """The class-method task of issue 17: a class holding only its two changed methods."""
    commit_all(repo, {"store.py": STORE, "tests/test_store.py": "from store import Store\n"})
    Strong(
        plan("store.py", "tests/test_store.py"),
        {"store.py": STORE_METHODS, "tests/test_store.py": STORE_TESTS},
    ).install(relay)
    report = run_json(relay, repo, capsys, "--test-cmd", PYTEST, STORE_TASK)
    assert report["outcome"] == "done" and report["exit_code"] == 0, report["reasons"]
    code = git(repo, "show", f"{report['branch']}:store.py")
    assert "def add(self, name, count)" in code and "def low_stock(self, threshold)" in code
    assert "raise ValueError" in code
    assert stages(report) == ["plan", "plan-review", "generate", "tests", "review"]
    assert sorted(report["test_names"]) == [
        "test_low_stock_lists_items_below_threshold",
        "test_remove_more_than_in_stock_raises",
    ]
    never_twice(relay)


CORE = """def c_to_f(c):
    return c * 9 / 5 + 32


def f_to_c(f):
    return (f - 32) * 5 / 9
"""
MAIN = """import argparse

from tempconv.core import c_to_f, f_to_c


def main(argv=None):
    parser = argparse.ArgumentParser(prog="tempconv")
    parser.add_argument("value", type=float)
    parser.add_argument("--to", choices=("c", "f"), default="f")
    args = parser.parse_args(argv)
    print(c_to_f(args.value) if args.to == "f" else f_to_c(args.value))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
"""
PACKAGE_TESTS = """from tempconv.__main__ import main
from tempconv.core import c_to_f, f_to_c


def test_c_to_f():
    assert c_to_f(100) == 212


def test_f_to_c():
    assert f_to_c(32) == 0


def test_cli_converts_to_fahrenheit(capsys):
    assert main(["100", "--to", "f"]) == 0
    assert capsys.readouterr().out.strip() == "212.0"
"""
PYPROJECT = '[project]\nname = "tempconv"\nversion = "0.1.0"\n'


def test_a_new_package_with_a_cli_and_pyproject(
    repo: Path, relay: Relay, capsys: pytest.CaptureFixture[str]
) -> None:
    """Six files, none dropped; __init__.py added by the plan check; pyproject asked for in
    a toml block; the command line tested."""
    (repo / "tests").mkdir()
    (repo / "tests" / "__init__.py").write_text("")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "tests folder")
    task = (
        "Create a tempconv package: tempconv/core.py with c_to_f(c) and f_to_c(f), a command "
        "line in tempconv/__main__.py, a pyproject.toml, and tests"
    )
    files = {
        "tempconv/core.py": f"```python\n{CORE}```\n",
        "tempconv/__main__.py": f"```python\n{MAIN}```\n",
        "tempconv/__init__.py": '```python\n"""Temperature conversions."""\n```\n',
        "pyproject.toml": f"```toml\n{PYPROJECT}```\n",
        "tests/test_tempconv.py": f"```python\n{PACKAGE_TESTS}```\n",
    }
    paths = ("tempconv/core.py", "tempconv/__main__.py", "pyproject.toml", "tests/test_tempconv.py")
    Strong(plan(*paths), files).install(relay)
    report = run_json(relay, repo, capsys, "--test-cmd", PYTEST, task)
    assert report["outcome"] == "done", report["reasons"]
    tree = git(repo, "ls-tree", "-r", "--name-only", report["branch"]).split()
    assert {*files} <= set(tree)
    assert git(repo, "show", f"{report['branch']}:pyproject.toml") == PYPROJECT
    toml_ask = next(r for r in relay.coder.history if asked_paths(r) == ["pyproject.toml"])
    assert "```toml block" in toml_ask.messages[-1]["content"]
    assert "tempconv/__init__.py added" in " ".join(report["plan_problems"])
    assert stages(report).count("generate") == 4 and stages(report).count("tests") == 1
    never_twice(relay)


APP_TASK = (
    "Add a function square(x) to app.py that returns x squared, and add a pytest test for "
    "it in tests/test_app.py"
)
APP_TESTS = (
    "```python\nfrom app import square\n\n\ndef test_square():\n    assert square(3) == 9\n```\n"
)


def _app(repo: Path) -> None:
    commit_all(repo, {"app.py": "def double(x):\n    return 2 * x\n"})


def test_a_first_draft_that_fails_is_fixed_in_one_round(
    repo: Path, relay: Relay, capsys: pytest.CaptureFixture[str]
) -> None:
    _app(repo)
    Strong(
        plan("app.py", "tests/test_app.py"),
        {
            "app.py": "```python\ndef square(x):\n    return x * 2\n```\n",
            "tests/test_app.py": APP_TESTS,
        },
        fixed={"app.py": "```python\ndef square(x):\n    return x * x\n```\n"},
    ).install(relay)
    report = run_json(relay, repo, capsys, "--test-cmd", PYTEST, APP_TASK)
    assert report["outcome"] == "done", report["reasons"]
    assert stages(report) == ["plan", "plan-review", "generate", "tests", "fix-1", "review"], (
        report["problems"]
    )
    fix = relay.coder.history[-1].messages[-1]["content"]
    assert "The tests fail" in fix and "assert" in fix and "Files to write: app.py" in fix
    assert "def double" in git(repo, "show", f"{report['branch']}:app.py")
    never_twice(relay)


def test_reviewer_findings_go_back_to_the_coder_and_are_approved(
    repo: Path, relay: Relay, capsys: pytest.CaptureFixture[str]
) -> None:
    _app(repo)
    finding = {
        "path": "app.py",
        "line": 5,
        "severity": "warning",
        "category": "design",
        "message": "square should say what it does in a docstring",
    }
    better = '```python\ndef square(x):\n    """x squared."""\n    return x * x\n```\n'
    Strong(
        plan("app.py", "tests/test_app.py"),
        {
            "app.py": "```python\ndef square(x):\n    return x * x\n```\n",
            "tests/test_app.py": APP_TESTS,
        },
        fixed={"app.py": better, "tests/test_app.py": APP_TESTS},
        verdicts=["fix", "approve"],
        findings=[finding],
    ).install(relay)
    report = run_json(relay, repo, capsys, "--test-cmd", PYTEST, APP_TASK)
    assert report["outcome"] == "done" and report["verdict"] == "approve", report["reasons"]
    assert [c["stage"] for c in report["commits"]] == ["generate", "review-fix-1"]
    assert '"""x squared."""' in git(repo, "show", f"{report['branch']}:app.py")
    ask = next(
        r
        for r in relay.coder.history
        if "review-fix" in r.messages[-1]["content"] or "findings" in r.messages[-1]["content"]
    )
    assert "docstring" in ask.messages[-1]["content"] and "```diff" in ask.messages[-1]["content"]
    author = git(repo, "log", "-1", "--format=%ae", report["branch"])
    assert author == "coder@relay-git.invalid\n"  # the coder fixes, not the reviewer
    never_twice(relay)


def test_a_broken_test_command_stops_the_run_before_any_model(
    repo: Path, relay: Relay, capsys: pytest.CaptureFixture[str]
) -> None:
    _app(repo)
    Strong(plan("app.py"), {}).install(relay)
    command = f"{sys.executable} -m no_such_test_runner"
    assert relay(repo, "-q", "--test-cmd", command, APP_TASK) == 2
    err = capsys.readouterr().err
    assert "No module named no_such_test_runner" in err and "Traceback" not in err
    assert relay.coder.history == [] and relay.reviewer.history == []
    assert git(repo, "branch", "--list", "relay/*") == ""


@pytest.mark.parametrize(
    ("code", "tests", "reason"),
    [
        (
            "```python\ndef square():\n    return 10 * 2 + 3\n```\n",
            "```python\nfrom app import square\n\n\ndef test_square():\n"
            "    assert square() == 23\n```\n",
            "square takes (), but the task names square(x)",
        ),
        (
            "```python\ndef square(x):\n    return x * x\n```\n",
            "```python\ndef test_nothing():\n    assert 1 + 1 == 2\n```\n",
            "nothing shows it works",
        ),
    ],
    ids=["wrong-signature", "zero-evidence"],
)
def test_no_exit_0_without_the_signature_and_evidence(
    repo: Path,
    relay: Relay,
    capsys: pytest.CaptureFixture[str],
    code: str,
    tests: str,
    reason: str,
) -> None:
    """The tiny pair's dishonest exit of issue 17: never done, whatever the models say."""
    _app(repo)
    strong = Strong(
        plan("app.py", "tests/test_app.py"), {"app.py": code, "tests/test_app.py": tests}
    )
    strong.fixed = dict(strong.files)
    strong.install(relay)
    relay.coder.default = _any_tests(strong.coder, tests)
    report = run_json(relay, repo, capsys, "--test-cmd", PYTEST, APP_TASK, code=1)
    print(json.dumps([report["reasons"], report["problems"], stages(report), report["commits"]]))
    assert report["outcome"] == "not done"
    said = " ".join(report["reasons"] + report["problems"])
    assert reason in said, said
    never_twice(relay)


def _any_tests(coder: Callable[[ChatRequest], str], tests: str) -> Callable[[ChatRequest], str]:
    """The widened drafts' test requests (no Files to write of their own) get ``tests``."""

    def answer(request: ChatRequest) -> str:
        if kind(request) == "tests" and "pytest tests" in request.messages[0]["content"]:
            return tests
        return coder(request)

    return answer


def test_a_reply_cut_at_its_cap_is_continued_not_redone(
    repo: Path, relay: Relay, capsys: pytest.CaptureFixture[str]
) -> None:
    _app(repo)
    long_tests = "from app import square\n\n" + "".join(
        f"\n\ndef test_square_{i}():\n    assert square({i}) == {i * i}\n" for i in range(80)
    )
    parts: list[str] = []

    def coder(request: ChatRequest) -> str:
        if kind(request) == "plan":
            return json.dumps(plan("app.py", "tests/test_app.py"))
        if asked_paths(request) == ["app.py"]:
            return "```python\ndef square(x):\n    return x * x\n```\n"
        whole = f"```python\n{long_tests}```\n"
        done = "".join(parts)
        rest = whole[len(done) :]
        return rest

    relay.coder.default = coder
    relay.coder.cut_at_cap = True
    relay.reviewer.default = Strong(plan(), {}).reviewer
    original = relay.coder.chat

    def chat(request: ChatRequest, on_token: Any = None) -> Any:
        result = original(request, on_token)
        if (
            asked_paths(request) == ["tests/test_app.py"]
            or "cut off" in request.messages[-1]["content"]
        ):
            parts.append(result.text)
        return result

    relay.coder.chat = chat  # type: ignore[method-assign]
    report = run_json(relay, repo, capsys, "--test-cmd", PYTEST, APP_TASK)
    assert report["outcome"] == "done", report["reasons"]
    cut = [e for e in report["ledger"] if e["done_reason"] == "length"]
    assert cut and cut[0]["stage"] == "tests"
    more = [r for r in relay.coder.history if "cut off" in r.messages[-1]["content"]]
    assert more and more[0].messages[-2]["role"] == "assistant"
    assert "Files to write: tests/test_app.py" in more[0].messages[-1]["content"]
    assert len(report["test_names"]) == 80
    never_twice(relay)


def test_a_test_the_project_wrote_first_is_the_evidence(
    repo: Path, relay: Relay, capsys: pytest.CaptureFixture[str]
) -> None:
    """Test first: the project's own failing test, passing with the change, shows it works
    (no new test asked for, none written)."""
    commit_all(
        repo,
        {
            "app.py": "def double(x):\n    return 2 * x\n",
            "tests/test_app.py": "from app import square\n\n\ndef test_square():\n"
            "    assert square(3) == 9\n",
        },
    )
    square = "```python\ndef square(x):\n    return x * x\n```\n"
    Strong(plan("app.py", tests=()), {"app.py": square}).install(relay)
    report = run_json(relay, repo, capsys, "--test-cmd", PYTEST, "add square(x) to app.py")
    assert report["outcome"] == "done", report["reasons"]
    assert stages(report) == ["plan", "plan-review", "generate", "review"]
    never_twice(relay)


@pytest.mark.parametrize(
    ("text", "loops"),
    [
        ("def test_numbers_non_even" + "_non_even" * 400, True),  # SmolLM2, the README demo
        ("Add a function is_even(n) to mathkit/numbers.py that returns True\n" * 40, True),
        ("assert is_even(2)\n" * 30, True),
        ("\n".join(f"    ({i}, {i % 2 == 0})," for i in range(300)), False),  # a test table
        (
            "".join(
                f"\n\ndef test_square_{i}():\n    assert square({i}) == {i * i}\n"
                for i in range(80)
            ),
            False,
        ),
        (Path(__file__).read_text(), False),
    ],
    ids=["grown-name", "echo", "same-line", "param-table", "80-tests", "this-file"],
)
def test_a_reply_that_loops_is_not_continued(text: str, loops: bool) -> None:
    """Continuing a cut reply is for one that makes progress; a loop only costs time (the
    README demo spent minutes continuing SmolLM2's grown names three times per file)."""
    from relay_git.scaffold.write.writer import looping

    assert looping(text) is loops


def test_progress_is_the_code_of_the_open_block() -> None:
    from relay_git.scaffold.write.writer import progress

    cut = "Here it is:\n```python\ndef a():\n    return 1\n\ndef b(:\n"
    assert progress(cut) == len("def a():\n    return 1\n")
    assert progress(cut + "    rambling words that never parse\n") == progress(cut)
    assert progress("```toml\n[tool]\nx = 1\n") == len("[tool]\nx = 1\n")
    assert progress("```python\nx = 1\n```\nand then prose") == -1
