"""How many llama.cpp threads, idle and beside a busy process: ``python -m bench.llama_threads``.

One SmolLM2-135M reply of a fixed length (greedy, so the same tokens every time) with 1 and
2 threads, first on an idle machine, then while a busy loop holds one core. It is the
measurement behind ``RELAY_GIT_LLAMACPP_THREADS`` (default 2) and behind the test suite's
one thread per model while pytest-xdist workers share the cores (tests/conftest.py).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager

from relay_git.models import local

PROMPT = "Write a Python function that reverses a string, with three tests. " * 8


def reply_seconds(threads: int, tokens: int) -> float:
    """Seconds for one reply of ``tokens`` tokens (prompt included) with ``threads``."""
    import llama_cpp

    llm = llama_cpp.Llama(
        model_path=str(local.smollm2_path()),
        n_ctx=2048,
        n_threads=threads,
        n_threads_batch=threads,
        seed=0,
        verbose=False,
    )
    messages = [{"role": "user", "content": PROMPT}]
    started = time.perf_counter()
    llm.create_chat_completion(messages=messages, max_tokens=tokens, temperature=0)  # type: ignore[arg-type]
    seconds = time.perf_counter() - started
    llm.close()
    return seconds


def _spin() -> None:
    while True:
        pass


@contextmanager
def busy_core() -> Iterator[None]:
    """A process that keeps one core busy until the block ends."""
    proc = multiprocessing.Process(target=_spin, daemon=True)
    proc.start()
    try:
        time.sleep(0.3)
        yield
    finally:
        proc.terminate()
        proc.join()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--tokens", type=int, default=300, help="reply length (default 300)")
    args = parser.parse_args(argv)
    print(f"SmolLM2-135M, {args.tokens}-token reply, {os.cpu_count()} CPUs, "
          f"load {os.getloadavg()[0]:.2f}")  # fmt: skip
    for label, busy in (("idle", False), ("beside a busy core", True)):
        for threads in (2, 1):
            if busy:
                with busy_core():
                    seconds = reply_seconds(threads, args.tokens)
            else:
                seconds = reply_seconds(threads, args.tokens)
            print(f"  {label:20} {threads} thread(s): {seconds:5.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
