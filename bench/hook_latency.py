"""How much a cached pre-commit review costs: wall time against `git diff --cached`.

Builds a throwaway repository with a staged change, reviews it once (against a local
stand-in for the Ollama server on 127.0.0.1, so no real model is needed), stops the
stand-in, then times 10 process runs each of

    git diff --cached
    relay-git --help
    relay-git review --staged     (answered from the review cache: the server is gone)

(plus a bare ``python -c pass`` for the interpreter's own start-up) and prints the
medians and their ratios to `git diff --cached`.

    python bench/hook_latency.py [--runs 10]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.standin import SPEC, reply, serve  # noqa: E402


def median_seconds(cmd: list[str], cwd: Path, env: dict[str, str], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(
            cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True
        )
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def make_repo(root: Path, env: dict[str, str]) -> None:
    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=root, env=env, check=True, capture_output=True)

    git("init", "-q", "-b", "main")
    (root / "README.md").write_text("bench\n")
    git("add", ".")
    git("commit", "-q", "-m", "initial")
    for i in range(5):
        (root / f"mod{i}.py").write_text(
            "".join(f"def f{j}(x):\n    return x + {j}\n" for j in range(40))
        )
    git("add", ".")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    runs = parser.parse_args().runs
    env = {k: v for k, v in os.environ.items() if not k.startswith("RELAY_GIT_")}
    env.update(PYTHONPATH=str(ROOT / "src"), RELAY_GIT_REVIEWER=SPEC, GIT_CONFIG_NOSYSTEM="1")
    env.update(
        GIT_AUTHOR_NAME="b",
        GIT_AUTHOR_EMAIL="b@b",
        GIT_COMMITTER_NAME="b",
        GIT_COMMITTER_EMAIL="b@b",
    )
    relay = [sys.executable, "-m", "relay_git"]
    with tempfile.TemporaryDirectory() as tmp:
        repo = Path(tmp)
        make_repo(repo, env)
        with serve(reply()) as server:
            env["OLLAMA_HOST"] = server.url
            subprocess.run(
                [*relay, "review", "--staged"], cwd=repo, env=env, check=True, capture_output=True
            )
            assert len(server.chats) >= 1
        rows = [
            ("git diff --cached", ["git", "diff", "--cached"]),
            ("python -c pass (interpreter start)", [sys.executable, "-c", "pass"]),
            ("relay-git --help", [*relay, "--help"]),
            ("relay-git review --staged (cached)", [*relay, "review", "--staged"]),
            ("relay-git review --hook (cached)", [*relay, "review", "--hook"]),
        ]
        timed = [(name, median_seconds(cmd, repo, env, runs)) for name, cmd in rows]
    base = timed[0][1]
    print(f"median of {runs} process runs (python {sys.version.split()[0]}, {sys.platform})")
    print(f"{'command':<38} {'median ms':>10} {'x git diff':>11}")
    for name, seconds in timed:
        print(f"{name:<38} {seconds * 1000:>10.1f} {seconds / base:>11.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
