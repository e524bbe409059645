"""Runs ``relay-git scaffold`` on the task suite, relay and large-only side by side.

Each run is a fresh ``python -m relay_git`` process in a fresh toy repository (real git),
exactly as a user would start it; the bench times the whole process and reads the ledger
and parse outcomes from its ``--json`` report. The two modes of a task run back to back,
alternating which goes first, so both see the same machine load.
"""

from __future__ import annotations

import dataclasses
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import checker
from bench.metrics import TIMED_OUT, Call, Outcome, Run
from bench.tasks import Task, git_env, make_repo

ROOT = Path(__file__).resolve().parent.parent
# A run still going after its limit is stopped and reported as timed out (and not done).
REACH_TIMEOUT = 180.0  # within the small model's reach: the README demo's 3 minutes
BEYOND_TIMEOUT = 90.0  # beyond reach: the relay must give up honestly within 90 s
MAX_TOKENS: int | None = None  # no cap: the relay's own per-stage bounds, as a user runs it
MODES = ("relay", "large-only")


def relay_env(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of a relay-git process: this checkout's src first on PYTHONPATH."""
    env = git_env(base)
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(ROOT / "src"), env.get("PYTHONPATH", "")) if p
    )
    env.pop("RELAY_GIT_CODER", None)
    env.pop("RELAY_GIT_REVIEWER", None)
    env.setdefault("NO_COLOR", "1")
    # the task's `python -m pytest` is this interpreter, whether or not its venv is active
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    return env


def scaffold_argv(task: Task, mode: str, max_tokens: int | None) -> list[str]:
    """The user's command line; with a cap, every stage's output bound is capped at it."""
    cap = task.max_tokens or max_tokens
    argv = [sys.executable, "-m", "relay_git", "scaffold", "--local", "--json", "-q"]
    if cap:
        argv += ["--max-tokens", str(cap)]
    if mode == "large-only":
        argv.append("--large-only")
    if task.test_command:  # confirmed, as a user would: a repository's own is not run unasked
        argv += ["--test-cmd", task.test_command]
    return [*argv, task.task]


def _test_seconds(report: Mapping[str, Any]) -> float:
    """Seconds spent in the project's test command: every run's, when the report sums them."""
    tests = report.get("tests")
    if not isinstance(tests, Mapping):
        return 0.0
    total = tests.get("total_seconds", tests.get("seconds", 0.0))
    return float(total) if isinstance(total, int | float) else 0.0


def _ledger_entries(report: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    ledger = report.get("ledger")
    if isinstance(ledger, Mapping):
        ledger = ledger.get("entries")
    return [e for e in ledger or [] if isinstance(e, Mapping)]


def _error_line(code: int, stderr: str) -> str:
    """relay-git's one-line error, or how the process died; never a page of model output."""
    if code == 0:
        return ""
    if code < 0:
        return f"killed by signal {-code}"
    lines = [ln for ln in stderr.splitlines() if ln.startswith("relay-git:")]
    errors = [ln for ln in lines if ln.startswith("relay-git: error:")]
    if errors:
        return errors[-1][:300]
    return f"exit {code}" if code == 1 else ((lines or [f"exit {code}"])[-1])[:300]


def _state_files(repo: Path) -> list[Path]:
    """relay-state.json of every relay worktree of ``repo`` (kept in .git/worktrees/*)."""
    return sorted((repo / ".git").glob("worktrees/*/relay-state.json"))


def recover_state(repo: Path) -> dict[str, Any]:
    """Ledger (and outcomes, when saved) of a run that failed before printing its report."""
    for path in _state_files(repo):
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        if isinstance(data, dict):
            return {"ledger": data.get("ledger") or [], "outcomes": data.get("outcomes") or []}
    return {}


def parse_report(task: str, mode: str, wall: float, code: int, stdout: str, stderr: str) -> Run:
    """A Run from one scaffold process's exit code and ``--json`` stdout."""
    try:
        report = json.loads(stdout) if stdout.strip() else {}
    except json.JSONDecodeError:
        report = {}
    if not isinstance(report, dict):
        report = {}
    outcomes = tuple(
        Outcome(str(o["stage"]), str(o["model"]), int(o["attempts"]), bool(o["ok"]))
        for o in report.get("outcomes") or []
        if isinstance(o, Mapping)
    )
    extra = {k: report[k] for k in ("branch", "verdict", "tests", "problems") if k in report}
    return Run(
        verdict=str(report.get("verdict") or ""),
        load_seconds=_load_seconds(report.get("model_load_seconds")),
        task=task,
        mode=mode,
        wall_seconds=wall,
        exit_code=code,
        calls=tuple(Call.from_dict(e) for e in _ledger_entries(report)),
        outcomes=outcomes,
        test_seconds=_test_seconds(report),
        error=_error_line(code, stderr),
        extra=extra,
    )


def _load_seconds(value: object) -> float | None:
    """``model_load_seconds``: a number, or per model (summed); None when absent."""
    if isinstance(value, Mapping):
        value = sum(v for v in value.values() if isinstance(v, int | float))
    return float(value) if isinstance(value, int | float) else None


@dataclass(frozen=True)
class Limits:
    max_tokens: int | None = MAX_TOKENS  # scaffold --max-tokens, unless the task sets its own
    run_timeout: float | None = None  # every run's limit; None: by the task (see timeout_for)

    def timeout_for(self, task: Task) -> float:
        """The task's own limit, else --run-timeout, else 180 s within reach and 90 s beyond."""
        if task.timeout:
            return float(task.timeout)
        if self.run_timeout:
            return self.run_timeout
        return REACH_TIMEOUT if task.reach else BEYOND_TIMEOUT


def judged(run: Run, task: Task, repo: Path) -> Run:
    """``run`` with the bench's own judgement of the branch it left in ``repo``."""
    try:
        ev = checker.evaluate(task, repo, str(run.extra.get("branch") or ""))
    except (OSError, subprocess.SubprocessError, tarfile.TarError) as err:
        return dataclasses.replace(run, done=False, reasons=(f"could not judge: {err}",))
    reasons = checker.judge(ev, run.timed_out, task.test_for)
    return dataclasses.replace(
        run, done=not reasons, reasons=tuple(reasons), evaluation=ev.to_dict()
    )


def run_one(
    task: Task, mode: str, workdir: Path, env: Mapping[str, str], limits: Limits = Limits()
) -> Run:
    repo = make_repo(task, workdir / f"{task.name}-{mode}", env)
    limit = limits.timeout_for(task)
    started = time.monotonic()
    try:
        proc = subprocess.run(
            scaffold_argv(task, mode, limits.max_tokens),
            cwd=repo,
            env=dict(env),
            capture_output=True,
            text=True,
            timeout=limit,
            check=False,
        )
    except subprocess.TimeoutExpired:
        wall = time.monotonic() - started
        state = json.dumps(recover_state(repo))
        run = parse_report(task.name, mode, wall, TIMED_OUT, state, "")
        return judged(dataclasses.replace(run, error=f"timed out after {limit:.0f} s"), task, repo)
    wall = time.monotonic() - started
    stdout = proc.stdout
    if proc.returncode != 0 and not stdout.strip():
        stdout = json.dumps(recover_state(repo))  # what the run did before it failed
    run = parse_report(task.name, mode, wall, proc.returncode, stdout, proc.stderr)
    return judged(run, task, repo)


Progress = Callable[[str], None]


def run_suite(
    tasks: Sequence[Task],
    env: Mapping[str, str] | None = None,
    progress: Progress | None = None,
    limits: Limits = Limits(),
    on_run: Callable[[Run], None] | None = None,
    skip: Collection[tuple[str, str]] = (),
) -> list[Run]:
    """Both modes of every task; the order of the pair alternates from task to task.

    Each run notes the 1-minute load average before and after it (the machine is shared);
    ``on_run`` sees every run as it finishes, so an interrupted bench keeps what it did;
    (task, mode) pairs in ``skip`` were made before and are not run again.
    """
    say = progress or (lambda _m: None)
    full_env = relay_env(env)
    runs: list[Run] = []
    with tempfile.TemporaryDirectory(prefix="relay-bench-") as tmp:
        for i, task in enumerate(tasks):
            for mode in MODES if i % 2 == 0 else MODES[::-1]:
                if (task.name, mode) in skip:
                    continue
                say(f"[{i + 1}/{len(tasks)}] {task.name} ({mode}) ...")
                load = os.getloadavg()[0]
                run = run_one(task, mode, Path(tmp), full_env, limits)
                loads = [round(load, 2), round(os.getloadavg()[0], 2)]
                run = dataclasses.replace(run, extra={**run.extra, "load": loads})
                status = "exit 0" if run.exit_code == 0 else f"exit {run.exit_code}: {run.error}"
                judgement = "DONE" if run.done else f"not done ({'; '.join(run.reasons)[:160]})"
                say(f"    {run.wall_seconds:.1f} s, {run.output_tokens()} output tokens, {status}")
                say(f"    {judgement}{' DISHONEST' if run.dishonest else ''}")
                runs.append(run)
                if on_run is not None:
                    on_run(run)
    return runs


# ------------------------------------------------------------------------ calibration

_LOAD_SCRIPT = """
import json, sys, time
from relay_git.models import llamacpp, local
from relay_git.models.base import BackendOptions, parse_spec
small, large = local.local_specs()
out = {"small": small, "large": large}
for name, spec in (("small", small), ("large", large)):
    backend = llamacpp.create(parse_spec(spec), BackendOptions(environ={}))
    t = time.perf_counter()
    backend.check()
    out[name + "_load_seconds"] = time.perf_counter() - t
print(json.dumps(out))
"""


@dataclass(frozen=True)
class Calibration:
    small: str  # model specs, as the ledger names them
    large: str
    small_load_seconds: float
    large_load_seconds: float
    startup_seconds: float  # `python -m relay_git --help`: interpreter + CLI imports

    def fixed_seconds(self, mode: str) -> float:
        """Time a scaffold process spends before any model call that is not tool work."""
        loads = self.large_load_seconds
        if mode == "relay":
            loads += self.small_load_seconds
        return self.startup_seconds + loads


def calibrate(env: Mapping[str, str] | None = None, repeats: int = 3) -> Calibration:
    """The local model specs, their load times, and the CLI's start-up time."""
    full_env = relay_env(env)
    proc = subprocess.run(
        [sys.executable, "-c", _LOAD_SCRIPT],
        env=full_env,
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"cannot load the local models:\n{proc.stderr[-1500:]}")
    loaded = json.loads(proc.stdout.strip().splitlines()[-1])
    startup = []
    for _ in range(repeats):
        t = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "relay_git", "--help"],
            env=full_env,
            capture_output=True,
            check=True,
            cwd=ROOT,
        )
        startup.append(time.perf_counter() - t)
    return Calibration(
        small=loaded["small"],
        large=loaded["large"],
        small_load_seconds=round(loaded["small_load_seconds"], 3),
        large_load_seconds=round(loaded["large_load_seconds"], 3),
        startup_seconds=round(statistics.median(startup), 3),
    )
