"""``python -m bench capable``: relay-git scaffold on every capable task, against the stand-in.

For each task: a fresh toy git repository (bench.tasks.make_repo), the stand-in server on
127.0.0.1 (server.py), and ``relay-git scaffold TASK --coder openai:standin-coder
--reviewer openai:standin-reviewer --test-cmd CMD`` run as a user runs it (the installed
entry point, ``RELAY_GIT_OPENAI_BASE_URL`` pointing at the server; ``--test-cmd`` is how a
user confirms the test command). Then the branch is judged, never the run's report: on a
fresh ``git archive`` of ``relay/*`` the change is non-empty, no base file is emptied, the
task's hidden ``check`` passes, the test command passes, the tests the change added fail
on the base (the change is exercised), and the run exited 0.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench import checker, report
from bench.capable.brain import Brain, content
from bench.capable.script import Script, load_all
from bench.capable.server import CODER, REVIEWER, CapableServer, serve
from bench.runner import relay_env
from bench.tasks import TaskError, make_repo

RESULTS = Path(__file__).resolve().parent.parent / "results"
RUN_TIMEOUT = 120.0
CODER_SPEC, REVIEWER_SPEC = f"openai:{CODER}", f"openai:{REVIEWER}"
LARGE_SHARE_TARGET = 0.15


@dataclass(frozen=True)
class TaskRun:
    """One task's run: the judgement and the figures the server recorded."""

    task: str
    done: bool
    reasons: tuple[str, ...]
    exit_code: int
    error: str
    requests: int
    duplicates: int
    cut: int
    unclear: int
    small_tokens: int
    large_tokens: int
    wall_seconds: float
    least_requests: int = 0  # plan, plan review, one per file, one verdict: a right first draft
    stages: tuple[str, ...] = ()
    unclear_why: tuple[str, ...] = ()
    exchanges: tuple[dict[str, Any], ...] = field(default=(), repr=False)

    @property
    def large_share(self) -> float:
        total = self.small_tokens + self.large_tokens
        return self.large_tokens / total if total else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "large_share": round(self.large_share, 3)}


def transcripts_dir() -> Path | None:
    """RELAY_CAPABLE_TRANSCRIPTS: a folder for every request and reply, one file a task."""
    keep = os.environ.get("RELAY_CAPABLE_TRANSCRIPTS")
    return Path(keep) if keep else None


def entry_point() -> list[str]:
    """The installed ``relay-git`` beside this interpreter, else ``python -m relay_git``."""
    script = Path(sys.executable).parent / "relay-git"
    return [str(script)] if script.is_file() else [sys.executable, "-m", "relay_git"]


def scaffold_env(url: str, home: Path) -> dict[str, str]:
    """A user's environment with a fresh HOME: the stand-in is the OpenAI-compatible server."""
    env = relay_env()
    for key in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "ANTHROPIC_API_KEY", "OLLAMA_HOST"):
        env.pop(key, None)
    env = {k: v for k, v in env.items() if not k.startswith("RELAY_GIT_")}
    env["HOME"] = str(home)
    for key, sub in (("XDG_CONFIG_HOME", ".config"), ("XDG_DATA_HOME", ".local/share")):
        env[key] = str(home / sub)
    env["XDG_CACHE_HOME"] = str(home / ".cache")
    env["XDG_STATE_HOME"] = str(home / ".local/state")
    env["RELAY_GIT_OPENAI_BASE_URL"] = url
    return env


def scaffold_argv(script: Script) -> list[str]:
    argv = [*entry_point(), "scaffold", "--json", "-q"]
    argv += ["--coder", CODER_SPEC, "--reviewer", REVIEWER_SPEC]
    if script.task.test_command:
        argv += ["--test-cmd", script.task.test_command]
    return [*argv, script.task.task]


def _error_line(code: int, stderr: str) -> str:
    lines = [ln for ln in stderr.splitlines() if ln.startswith("relay-git:")]
    if code == 0:
        return ""
    return (lines or [f"exit {code}: {(stderr.strip().splitlines() or [''])[-1][:200]}"])[-1][:300]


def exercised(script: Script, repo: Path, branch: str) -> tuple[bool, str]:
    """Whether the tests the change added or edited fail on the base tree (they should)."""
    changed = checker._git(repo, "diff", "--name-only", "--diff-filter=AM", "main", branch)
    tests = [p for p in changed.split("\n") if p and checker.is_test_path(p)]
    if not tests:
        return False, "the change adds or edits no test"
    with tempfile.TemporaryDirectory(prefix="capable-base-") as tmp:
        base = checker.extract(repo, "main", Path(tmp) / "base")
        after = checker.extract(repo, branch, Path(tmp) / "branch")
        for path in tests:
            (base / path).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(after / path, base / path)
        ok, detail = checker.run_tests(script.task.test_command or "", base)
    return (not ok), ("pass on the base: they do not exercise the change" if ok else detail)


def judge(script: Script, repo: Path, branch: str, code: int, timed_out: bool) -> list[str]:
    """Why the task is not done (empty: done), from the branch alone and the exit code."""
    try:
        ev = checker.evaluate(script.task, repo, branch)
        reasons = checker.judge(ev, timed_out)
        if ev.branch:
            fails, detail = exercised(script, repo, ev.branch)
            if not fails:
                reasons.append(f"added tests: {detail}")
    except (OSError, subprocess.SubprocessError, tarfile.TarError) as err:
        reasons = [f"could not judge: {err}"]
    if code != 0:
        reasons.append(f"exit code {code}")
    return reasons


def figures(server: CapableServer) -> dict[str, Any]:
    ex = list(server.exchanges)
    keys = [e.key for e in ex]
    return {
        "requests": len(ex),
        "duplicates": len(keys) - len(set(keys)),
        "cut": sum(e.cut for e in ex),
        "unclear": sum(bool(e.unclear) for e in ex),
        "small_tokens": sum(e.sent_tokens for e in ex if e.role == "coder"),
        "large_tokens": sum(e.sent_tokens for e in ex if e.role == "reviewer"),
        "stages": tuple(f"{e.role[0]}:{e.stage}{'!' if e.cut else ''}" for e in ex),
        "unclear_why": tuple(dict.fromkeys(e.unclear for e in ex if e.unclear)),
        "exchanges": tuple(e.to_dict() for e in ex),
    }


def run_task(
    script: Script, workdir: Path, timeout: float = RUN_TIMEOUT, transcripts: Path | None = None
) -> TaskRun:
    """``relay-git scaffold`` on a fresh toy repository of ``script``, judged; with
    ``transcripts``, every request and reply goes to TRANSCRIPTS/TASK.md."""
    repo = make_repo(script.task, workdir / script.name)
    home = workdir / f"{script.name}-home"
    home.mkdir(parents=True, exist_ok=True)
    with serve(Brain(script)) as server:
        started, timed_out = time.monotonic(), False
        try:
            proc = subprocess.run(
                scaffold_argv(script), cwd=repo, env=scaffold_env(server.url, home),
                capture_output=True, text=True, timeout=timeout, check=False,
            )  # fmt: skip
            code, stdout, stderr = proc.returncode, proc.stdout, proc.stderr
        except subprocess.TimeoutExpired:
            code, stdout, stderr, timed_out = -9, "", f"timed out after {timeout:.0f} s", True
        wall = time.monotonic() - started
        seen = figures(server)
        if transcripts is not None:
            transcripts.mkdir(parents=True, exist_ok=True)
            (transcripts / f"{script.name}.md").write_text(transcript(server))
    try:
        named = str(json.loads(stdout).get("branch") or "") if stdout.strip() else ""
    except (ValueError, AttributeError):
        named = ""
    reasons = judge(script, repo, named, code, timed_out)
    return TaskRun(
        task=script.name, done=not reasons, reasons=tuple(reasons), exit_code=code,
        error=_error_line(code, stderr), wall_seconds=round(wall, 2),
        least_requests=len(script.paths()) + 3, **seen,
    )  # fmt: skip


def run_all(
    scripts: Sequence[Script],
    progress: Callable[[str], None] | None = None,
    transcripts: Path | None = None,
) -> list[TaskRun]:
    say = progress or (lambda _m: None)
    out = []
    with tempfile.TemporaryDirectory(prefix="relay-capable-") as tmp:
        for i, script in enumerate(scripts):
            say(f"[{i + 1}/{len(scripts)}] {script.name} ...")
            run = run_task(script, Path(tmp), transcripts=transcripts)
            verdict = "DONE" if run.done else f"not done: {'; '.join(run.reasons)[:200]}"
            line = f"{run.wall_seconds:.1f} s, exit {run.exit_code}, {run.requests} requests"
            say(f"    {line}; {verdict}")
            out.append(run)
    return out


def totals(runs: Sequence[TaskRun]) -> dict[str, Any]:
    small = sum(r.small_tokens for r in runs)
    large = sum(r.large_tokens for r in runs)
    return {
        "tasks": len(runs),
        "done": sum(r.done for r in runs),
        "exit_0": sum(r.exit_code == 0 for r in runs),
        "requests": sum(r.requests for r in runs),
        "least_requests": sum(r.least_requests for r in runs),
        "duplicates": sum(r.duplicates for r in runs),
        "cut": sum(r.cut for r in runs),
        "unclear": sum(r.unclear for r in runs),
        "small_tokens": small,
        "large_tokens": large,
        "large_share": round(large / (small + large), 3) if small + large else 0.0,
        "wall_seconds": round(sum(r.wall_seconds for r in runs), 2),
    }


def markdown(runs: Sequence[TaskRun], tiny: Mapping[str, Any] | None = None) -> str:
    head = (
        "| task | done | exit | requests (least) | duplicate | cut | unclear | small tok "
        "| large tok | large share | seconds |\n|---|---|---|---|---|---|---|---|---|---|---|"
    )
    rows = [
        f"| {r.task} | {'yes' if r.done else 'no'} | {r.exit_code} | "
        f"{r.requests} ({r.least_requests}) | "
        f"{r.duplicates} | {r.cut} | {r.unclear} | {r.small_tokens} | {r.large_tokens} | "
        f"{r.large_share:.0%} | {r.wall_seconds:.1f} |"
        for r in runs
    ]
    t = totals(runs)
    rows.append(
        f"| **total** | **{t['done']}/{t['tasks']}** | {t['exit_0']} exit 0 | "
        f"{t['requests']} ({t['least_requests']}) | "
        f"{t['duplicates']} | {t['cut']} | {t['unclear']} | {t['small_tokens']} | "
        f"{t['large_tokens']} | {t['large_share']:.0%} | {t['wall_seconds']:.1f} |"
    )
    out = ["## Capable stand-in suite", "", head, *rows, ""]
    out += [
        "(least): plan, plan review, one request per file, one verdict - a right first draft.",
        "",
    ]
    out += [f"- {r.task}: {'; '.join(r.reasons)}" for r in runs if r.reasons]
    if tiny:
        out += ["", *side_by_side(t, tiny)]
    return "\n".join(out) + "\n"


def tiny_bench(path: Path) -> dict[str, Any] | None:
    """Done, requests, tokens and time of the tiny-model bench's relay runs (latest.json)."""
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    runs = [
        r for r in data.get("runs") or [] if isinstance(r, Mapping) and r.get("mode") == "relay"
    ]
    if not runs:
        return None
    calls = [c for r in runs for c in r.get("calls") or [] if isinstance(c, Mapping)]
    return {
        "tasks": len(runs),
        "done": sum(bool(r.get("done")) for r in runs),
        "requests": len(calls),
        "output_tokens": sum(int(c.get("output_tokens") or 0) for c in calls),
        "wall_seconds": round(sum(float(r.get("wall_seconds") or 0) for r in runs), 1),
        "measured_at": (data.get("relay") or {}).get("measured_at", ""),
    }


def side_by_side(capable: Mapping[str, Any], tiny: Mapping[str, Any]) -> list[str]:
    return [
        "### Both suites side by side",
        "",
        "| suite | done | requests | output tokens | seconds |",
        "|---|---|---|---|---|",
        f"| capable stand-in (this run) | {capable['done']}/{capable['tasks']} | "
        f"{capable['requests']} | {capable['small_tokens'] + capable['large_tokens']} | "
        f"{capable['wall_seconds']:.0f} |",
        f"| tiny models, relay mode (latest.json, {tiny.get('measured_at') or 'stored'}) | "
        f"{tiny['done']}/{tiny['tasks']} | {tiny['requests']} | {tiny['output_tokens']} | "
        f"{tiny['wall_seconds']:.0f} |",
    ]


def main(names: Sequence[str] = (), out: Path = RESULTS) -> int:
    def say(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    try:
        scripts = load_all(names)
    except TaskError as err:
        say(f"bench capable: {err}")
        return 2
    when, before = report.now(), os.getloadavg()[0]
    runs = run_all(scripts, say, transcripts_dir())
    tiny = tiny_bench(out / "latest.json") or tiny_bench(RESULTS / "latest.json")
    data = {
        "measured_at": when,
        "load_before": round(before, 2),
        "load_after": round(os.getloadavg()[0], 2),
        "total": totals(runs),
        "tasks": [r.to_dict() for r in runs],
        "tiny_bench": tiny,
    }
    out.mkdir(parents=True, exist_ok=True)
    text = markdown(runs, tiny)
    (out / "capable.json").write_text(json.dumps(data, indent=1) + "\n")
    (out / "capable.md").write_text(text)
    say(f"wrote {out / 'capable.json'} and {out / 'capable.md'}")
    print(text)
    return 0


def transcript(server: CapableServer) -> str:
    """Every request (its messages) and the reply the stand-in meant, as markdown."""
    out = []
    for i, ((body, reply), ex) in enumerate(zip(server.transcript, server.exchanges, strict=True)):
        cap = f"max_tokens {ex.max_tokens}" if ex.max_tokens else "no cap"
        out.append(f"## {i + 1}. {ex.model} - {ex.stage} ({ex.schema or 'no schema'}, {cap})")
        out.append(f"sent {ex.sent_tokens} of {ex.reply_tokens} tokens{' - CUT' if ex.cut else ''}")
        for message in body.get("messages") or []:
            out += [f"### {message.get('role')}", "", "~~~~", content(message), "~~~~", ""]
        out += ["### reply (whole)", "", "~~~~", reply, "~~~~", ""]
    return "\n".join(out)
