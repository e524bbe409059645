"""Is the task done? Judged on the relay branch's final tree, never on the run's own report.

The branch is found by listing ``refs/heads/relay/*`` in the toy repository; its tree is
extracted fresh with ``git archive`` into a temporary folder, where the task's ``check``
(Python, with the helpers in PRELUDE) and the task's test command run in subprocesses
with a time limit. ``judge`` turns what was found into done / not done and the reasons.
"""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from bench.tasks import Task, git_env

CHECK_TIMEOUT = 60.0
TESTS_TIMEOUT = 120.0
BASE = "main"

# Helpers every check can use; ROOT is the tree under judgement (the working directory).
PRELUDE = '''
import ast, importlib, sys, traceback
from pathlib import Path
ROOT = Path.cwd()
sys.path.insert(0, str(ROOT))

def source(path):
    return (ROOT / path).read_text()

def functions(path):
    """Every function and method defined in ``path``: name -> ast node."""
    tree = ast.parse(source(path))
    kinds = (ast.FunctionDef, ast.AsyncFunctionDef)
    return {n.name: n for n in ast.walk(tree) if isinstance(n, kinds)}

def missing_docstrings(path):
    return sorted(n for n, node in functions(path).items() if not ast.get_docstring(node))

def missing_hints(path):
    """Functions with an unannotated parameter (self and cls aside) or no return annotation."""
    out = []
    for name, node in functions(path).items():
        a = node.args
        params = [*a.posonlyargs, *a.args, *a.kwonlyargs, a.vararg, a.kwarg]
        params = [p for p in params if p is not None and p.arg not in ("self", "cls")]
        if node.returns is None or any(p.annotation is None for p in params):
            out.append(name)
    return sorted(out)

def raises(fn, *args, **kwargs):
    try:
        fn(*args, **kwargs)
    except Exception:
        return True
    return False

CHECK = open(sys.argv[1]).read()
try:
    exec(compile(CHECK, "<check>", "exec"), {"__name__": "__check__", **globals()})
except BaseException as err:
    lines = CHECK.splitlines()
    where = [f.lineno for f in traceback.extract_tb(err.__traceback__) if f.filename == "<check>"]
    line = lines[where[-1] - 1].strip() if where and where[-1] <= len(lines) else ""
    message = f"{type(err).__name__}: {err}".strip().rstrip(":")
    print(f"{message} (at: {line})" if line else message, file=sys.stderr)
    sys.exit(1)
'''


@dataclass(frozen=True)
class Evaluation:
    """What the bench found on the branch (None: could not be looked at)."""

    branch: str = ""
    changed_lines: int = 0
    check_ok: bool | None = None
    check_detail: str = ""
    tests_ok: bool | None = None  # None: the task has no test command, or nothing to test
    tests_detail: str = ""
    test_written: bool | None = None  # None: the task does not ask for a test
    damaged: tuple[str, ...] = ()  # base files the change emptied or deleted

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "damaged": list(self.damaged)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Evaluation:
        fields = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        fields["damaged"] = tuple(fields.get("damaged") or ())
        return cls(**fields)


def judge(ev: Evaluation, timed_out: bool = False, test_for: str | None = None) -> list[str]:
    """Why the task is not done; an empty list means done."""
    reasons = ["stopped by the bench's timeout"] if timed_out else []
    if not ev.branch:
        return [*reasons, "no relay/* branch"]
    if ev.changed_lines == 0:
        reasons.append("the branch changes nothing")
    if ev.damaged:
        reasons.append(f"emptied or deleted: {', '.join(ev.damaged)}")
    if ev.check_ok is not True:
        reasons.append(f"checker: {ev.check_detail or 'not run'}")
    if ev.tests_ok is False:
        reasons.append(f"branch tests: {ev.tests_detail}")
    if ev.test_written is False:
        reasons.append(f"no added or edited test mentions {test_for or 'the change'}")
    return reasons


# ----------------------------------------------------------------------------- effects


def _git(repo: Path, *args: str) -> str:
    proc = subprocess.run(["git", *args], cwd=repo, env=git_env(), capture_output=True, check=True)
    return proc.stdout.decode("utf-8", "replace")


def relay_branch(repo: Path, named: str = "") -> str:
    """The relay/* branch in ``repo``: the one the report named when it exists, else the
    newest; "" when there is none."""
    refs = _git(
        repo, "for-each-ref", "--sort=-committerdate", "--format=%(refname:short)",
        "refs/heads/relay/",
    ).split()  # fmt: skip
    if named in refs:
        return named
    return refs[0] if refs else ""


def extract(repo: Path, ref: str, dest: Path) -> Path:
    """The tree of ``ref`` under ``dest`` (git archive; tar's data filter refuses odd paths)."""
    data = subprocess.run(
        ["git", "archive", "--format=tar", ref], cwd=repo, env=git_env(),
        capture_output=True, check=True,
    ).stdout  # fmt: skip
    dest.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        tar.extractall(dest, filter="data")
    return dest


def _sizes(repo: Path, ref: str) -> dict[str, int]:
    out = {}
    for line in _git(repo, "ls-tree", "-r", "-l", ref).splitlines():
        meta, _, path = line.partition("\t")
        size = meta.split()[-1]
        out[path] = int(size) if size.isdigit() else 0
    return out


def damaged_files(repo: Path, ref: str, base: str = BASE) -> tuple[str, ...]:
    before, after = _sizes(repo, base), _sizes(repo, ref)
    return tuple(sorted(p for p, n in before.items() if n > 0 and after.get(p, 0) == 0))


def changed_lines(repo: Path, ref: str, base: str = BASE) -> int:
    total = 0
    for line in _git(repo, "diff", "--numstat", base, ref).splitlines():
        added, removed, _ = line.split("\t", 2)
        total += (int(added) if added.isdigit() else 1) + (int(removed) if removed.isdigit() else 0)
    return total


def is_test_path(path: str) -> bool:
    pure = PurePosixPath(path)
    return pure.suffix == ".py" and (
        "tests" in pure.parts[:-1] or pure.name.startswith("test_") or pure.stem.endswith("_test")
    )


def test_mentions(repo: Path, ref: str, tree: Path, name: str, base: str = BASE) -> bool:
    """A test file the change added or edited mentions ``name``."""
    changed = _git(repo, "diff", "--name-only", "--diff-filter=AM", base, ref).split("\n")
    for path in filter(is_test_path, changed):
        target = tree / path
        if target.is_file() and name in target.read_text(errors="replace"):
            return True
    return False


def child_env() -> dict[str, str]:
    """The checker's and tests' environment: this interpreter's bin first on PATH, no
    PYTHONPATH (the tree is imported from its own folder), no bytecode left behind."""
    env = git_env()
    env.pop("PYTHONPATH", None)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def _run(argv: Sequence[str] | str, cwd: Path, timeout: float) -> tuple[bool, str]:
    """(passed, a one-line detail); the whole process group is killed at the timeout.

    The child has a TMPDIR of its own: a pytest there deletes old numbered folders of
    /tmp/pytest-of-USER when it exits, and a machine's old ones (a test suite's virtualenvs,
    gigabytes) once took it past the timeout on a passing tree."""
    with tempfile.TemporaryDirectory(prefix="bench-tmp-") as tmp:
        proc = subprocess.Popen(
            argv, cwd=cwd, env={**child_env(), "TMPDIR": tmp}, shell=isinstance(argv, str),
            text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        try:
            out, _ = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            return False, f"timed out after {timeout:.0f} s"
    if proc.returncode == 0:
        return True, "passed"
    lines = [ln.strip() for ln in out.replace(f"{cwd}{os.sep}", "").splitlines() if ln.strip()]
    return False, f"exit {proc.returncode}: {(lines or ['no output'])[-1][:240]}"


def run_check(check: str, tree: Path, timeout: float = CHECK_TIMEOUT) -> tuple[bool, str]:
    """The task's checker on ``tree``; (False, "no checker") when the task has none."""
    if not check.strip():
        return False, "the task has no checker"
    with tempfile.TemporaryDirectory(prefix="bench-check-") as tmp:
        script, body = Path(tmp) / "prelude.py", Path(tmp) / "check.py"
        script.write_text(PRELUDE)
        body.write_text(check)
        return _run([sys.executable, "-I", "-B", str(script), str(body)], tree, timeout)


def run_tests(command: str, tree: Path, timeout: float = TESTS_TIMEOUT) -> tuple[bool, str]:
    return _run(command, tree, timeout)


def evaluate(task: Task, repo: Path, named_branch: str = "") -> Evaluation:
    """Look at the relay branch of ``repo`` as the task defines done."""
    branch = relay_branch(repo, named_branch)
    if not branch:
        return Evaluation()
    with tempfile.TemporaryDirectory(prefix="bench-tree-") as tmp:
        tree = extract(repo, branch, Path(tmp) / "tree")
        check_ok, check_detail = run_check(task.check, tree)
        tests_ok, tests_detail = None, "the task has no test command"
        if task.test_command:
            tests_ok, tests_detail = run_tests(task.test_command, tree)
        written = test_mentions(repo, branch, tree, task.test_for) if task.test_for else None
        return Evaluation(
            branch=branch,
            changed_lines=changed_lines(repo, branch),
            check_ok=check_ok,
            check_detail=check_detail,
            tests_ok=tests_ok,
            tests_detail=tests_detail,
            test_written=written,
            damaged=damaged_files(repo, branch),
        )
