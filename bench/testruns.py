"""``python -m bench.testruns``: what the test-command runs of one relay run cost.

Every test run of a relay goes through ``Workbench.run``; this records each one (its
command, seconds, status and whether the same tree had already been run with the same
command), and times the fixed costs a run pays before any test: building the sandbox's
argv (the view: git calls, tool directories), starting the sandbox (``true`` in it), and
starting Python and pytest in it.

    python -m bench.testruns costs                # the fixed costs only
    python -m bench.testruns capable TASK         # one capable stand-in task (bench/capable)
    python -m bench.testruns pytest ARGS...       # any in-process pytest run, e.g. one
                                                  # test of tests/scaffold/test_pipeline.py
"""

from __future__ import annotations

import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
LOG_VAR = "RELAY_TESTRUNS_LOG"  # where a wrapped relay-git process appends its records


@contextlib.contextmanager
def recording(log: Path) -> Iterator[None]:
    """Every ``Workbench.run`` in this process appended to ``log`` as a JSON line."""
    from relay_git.scaffold.verify import testrun, workbench

    real_run, real_argv = workbench.Workbench.run, testrun.argv
    argv_seconds: list[float] = []

    def timed_argv(*args: Any, **kwargs: Any) -> list[str]:
        start = time.monotonic()
        try:
            return real_argv(*args, **kwargs)
        finally:
            argv_seconds.append(time.monotonic() - start)

    def run(self: workbench.Workbench, command: str, timeout: float | None = None) -> Any:
        start, argv_seconds[:] = time.monotonic(), []
        outcome = real_run(self, command, timeout)
        seconds = time.monotonic() - start
        record = {
            "command": command[-80:],
            "seconds": round(seconds, 3),
            "reused": outcome.seconds > seconds,  # a result kept for this tree and command
            "argv_seconds": round(sum(argv_seconds), 3),
            "status": outcome.status.value,
            "head": self.wt.git("rev-parse", "HEAD").strip(),
        }
        with log.open("a") as out:
            out.write(json.dumps(record) + "\n")
        return outcome

    workbench.Workbench.run = run  # type: ignore[method-assign]
    testrun.argv = timed_argv
    try:
        yield
    finally:
        workbench.Workbench.run = real_run  # type: ignore[method-assign]
        testrun.argv = real_argv


def wrapped_main() -> int:
    """``relay-git`` with its test runs recorded to $RELAY_TESTRUNS_LOG."""
    from relay_git.cli import main

    with recording(Path(os.environ[LOG_VAR])):
        try:
            return int(main(sys.argv[1:]) or 0)
        except SystemExit as done:
            return int(done.code or 0)


def _timed(argv: Sequence[str], cwd: Path, env: dict[str, str], times: int = 3) -> float:
    seconds = []
    for _ in range(times):
        start = time.monotonic()
        subprocess.run(argv, cwd=cwd, env=env, capture_output=True, check=False)
        seconds.append(time.monotonic() - start)
    return statistics.median(seconds)


def costs() -> dict[str, float]:
    """Median seconds of the fixed costs, in a fresh git repository."""
    from relay_git.safety.sandbox import HOME, Kind, argv, environment, resolve

    environ = dict(os.environ)
    kind = resolve(Kind.AUTO, environ)
    with tempfile.TemporaryDirectory(prefix="relay-testruns-") as tmp:
        repo = Path(tmp)
        subprocess.run(["git", "init", "-q", str(repo)], check=True)
        (repo / "test_one.py").write_text("def test_one():\n    assert True\n")
        env = environment(environ, HOME)
        start = time.monotonic()
        for _ in range(5):
            argv(kind, "true", repo, environ)
        out = {"argv (view set-up)": (time.monotonic() - start) / 5}
        python = sys.executable
        for name, command in (
            ("sandbox start (true)", "true"),
            ("+ python start", f"{python} -c pass"),
            ("+ pytest start (--version)", f"{python} -m pytest --version"),
            ("+ pytest one test", f"{python} -m pytest -q -p no:cacheprovider test_one.py"),
        ):
            out[name] = _timed(argv(kind, command, repo, environ), repo, env)
        out["unsandboxed pytest one test"] = _timed(
            [python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_one.py"], repo, env
        )
    return {k: round(v, 3) for k, v in out.items()}


def summary(log: Path) -> dict[str, Any]:
    rows = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
    return {
        "runs": len(rows),
        "reused": sum(r["reused"] for r in rows),
        "seconds": round(sum(r["seconds"] for r in rows), 2),
        "argv_seconds": round(sum(r["argv_seconds"] for r in rows), 2),
        "rows": rows,
    }


def capable(task: str, log: Path) -> dict[str, Any]:
    from bench.capable import run
    from bench.capable.script import load_all

    script = next(s for s in load_all() if s.name == task)
    os.environ[LOG_VAR] = str(log)
    wrap = f"import sys; sys.path.insert(0, {str(ROOT)!r}); from bench.testruns import "
    wrap += "wrapped_main; sys.exit(wrapped_main())"
    run.entry_point = lambda: [sys.executable, "-c", wrap]  # type: ignore[assignment]
    with tempfile.TemporaryDirectory(prefix="relay-testruns-") as tmp:
        result = run.run_task(script, Path(tmp))
    return {"task": task, "done": result.done, "wall_seconds": result.wall_seconds}


def main(argv: Sequence[str]) -> int:
    what = argv[0] if argv else "costs"
    print(json.dumps({"fixed costs (s)": costs(), "load": os.getloadavg()}, indent=1))
    if what == "costs":
        return 0
    with tempfile.TemporaryDirectory(prefix="relay-testruns-log-") as tmp:
        log = Path(tmp) / "runs.jsonl"
        log.touch()
        start = time.monotonic()
        if what == "capable":
            head: dict[str, Any] = capable(argv[1], log)
        else:
            import pytest

            with recording(log):
                code = pytest.main(["-q", "-p", "no:cacheprovider", *argv[1:]])
                head = {"pytest_exit": int(code)}
        head["wall_seconds"] = round(time.monotonic() - start, 2)
        found = summary(log)
        print(json.dumps({**head, **{k: v for k, v in found.items() if k != "rows"}}))
        for row in found["rows"]:
            print(
                f"{row['seconds']:7.3f} s {row['status']:7} reused={row['reused']!s:5} "
                f"{row['head'][:7]} {row['command'][-64:]}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
