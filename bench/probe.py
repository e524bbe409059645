"""The small model alone: asked once for the function a task needs, checked in isolation.

For every task with a ``[probe]``, the packaged SmolLM2 (in-process llama.cpp through
relay_git's llamacpp backend, in a child process) is asked for the function in a
```python block, ``tries`` times: the first at temperature 0, the rest at 0.5 with seeds
1, 2, ... Each reply's code is appended to the task's module in a fresh copy of the toy
repository and the task's own checker is run on it (not the tests: they judge the relay's
branch). The pass rate is "what the small model does on its own", to set beside the relay.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bench import checker
from bench.tasks import Task, write_files

TRIES = 4
MAX_TOKENS = 128
TEMPERATURES = (0.0, 0.5)  # first try, later tries
WORKER_TIMEOUT = 900.0
INSTRUCTION = "Reply with only the function, in one ```python code block."
_FENCE = re.compile(r"```[ \t]*(?:python|py)?[ \t]*\n(.*?)(?:```|\Z)", re.S | re.I)

WORKER = """
import json, sys, time
from relay_git.models import llamacpp, local
from relay_git.models.base import BackendOptions, ChatRequest, parse_spec
spec = f"llamacpp:{local.smollm2_path()}"
backend = llamacpp.create(parse_spec(spec), BackendOptions(environ={}))
started = time.perf_counter()
backend.check()
print(json.dumps({"model": spec, "load_seconds": time.perf_counter() - started}), flush=True)
for ask in json.loads(sys.stdin.read()):
    request = ChatRequest(
        messages=({"role": "user", "content": ask["prompt"]},),
        max_tokens=ask["max_tokens"], temperature=ask["temperature"], seed=ask["seed"],
    )
    result = backend.chat(request)
    reply = {"text": result.text, "output_tokens": result.output_tokens,
             "seconds": result.seconds}
    print(json.dumps({**ask, **reply}), flush=True)
"""


@dataclass(frozen=True)
class Attempt:
    task: str
    attempt: int
    temperature: float
    seed: int
    passed: bool
    detail: str
    output_tokens: int = 0
    seconds: float = 0.0


def settings(attempt: int) -> tuple[float, int]:
    """(temperature, seed) of try number ``attempt`` (0-based): never the same request twice."""
    return (TEMPERATURES[0], 0) if attempt == 0 else (TEMPERATURES[1], attempt)


def prompt(task: Task) -> str:
    assert task.probe is not None
    return f"{task.probe.ask}\n{INSTRUCTION}"


def extract_code(reply: str) -> str:
    """The first fenced code block of ``reply`` (an unclosed one runs to the end), or ""."""
    match = _FENCE.search(reply)
    return match.group(1).strip() + "\n" if match else ""


def check_reply(task: Task, reply: str) -> tuple[bool, str]:
    """The reply's code appended to the task's module in a fresh tree, then the checker."""
    assert task.probe is not None
    code = extract_code(reply)
    if not code.strip():
        return False, "no ```python block in the reply"
    with tempfile.TemporaryDirectory(prefix="bench-probe-") as tmp:
        tree = write_files(task, Path(tmp) / "tree")
        module = tree / task.probe.module
        before = module.read_text() if module.is_file() else ""
        module.parent.mkdir(parents=True, exist_ok=True)
        module.write_text(f"{before.rstrip()}\n\n\n{code}" if before.strip() else code)
        return checker.run_check(task.check, tree)


def asks(probed: Sequence[Task], tries: int) -> list[dict[str, Any]]:
    out = []
    for task in probed:
        for attempt in range(tries):
            temperature, seed = settings(attempt)
            out.append(
                {"task": task.name, "attempt": attempt, "prompt": prompt(task),
                 "temperature": temperature, "seed": seed, "max_tokens": MAX_TOKENS}
            )  # fmt: skip
    return out


def run(
    suite: Sequence[Task],
    env: Mapping[str, str],
    tries: int = TRIES,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Every probed task ``tries`` times; the load time of the model is reported apart."""
    say = progress or (lambda _m: None)
    probed = [t for t in suite if t.probe is not None]
    if not probed or tries <= 0:
        return {"tries": tries, "attempts": [], "model": None, "load_seconds": None}
    proc = subprocess.run(
        [sys.executable, "-c", WORKER],
        input=json.dumps(asks(probed, tries)), env=dict(env), capture_output=True,
        text=True, timeout=WORKER_TIMEOUT, check=False,
    )  # fmt: skip
    lines = [json.loads(ln) for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if proc.returncode != 0 or not lines:
        raise RuntimeError(f"the probe could not ask the small model:\n{proc.stderr[-1500:]}")
    head, replies = lines[0], lines[1:]
    by_name = {t.name: t for t in probed}
    attempts = []
    for r in replies:
        passed, detail = check_reply(by_name[r["task"]], r["text"])
        say(f"    probe {r['task']} #{r['attempt'] + 1}: {'pass' if passed else detail[:90]}")
        attempts.append(
            Attempt(r["task"], r["attempt"], r["temperature"], r["seed"], passed, detail,
                    r["output_tokens"], round(r["seconds"], 2))
        )  # fmt: skip
    return {
        "tries": tries,
        "model": head["model"],
        "load_seconds": round(head["load_seconds"], 3),
        "attempts": [asdict(a) for a in attempts],
    }
