"""The savings estimate beside a direct measurement, on the README demo.

Runs ``relay-git demo`` (SmolLM2 writes, Gemma 3 270M reviews, both in-process llama.cpp),
reads its ledger, and takes the report's estimate of what the large model alone would need
(models/ledger.large_alone: its own calls as measured, plus the small model's calls at
the large model's prefill and decode rates). Then it measures that directly: for every call
the small model made, Gemma reads a prompt of as many tokens as that call evaluated and
writes as many tokens as that call wrote (end-of-text ignored, so the count is exact).

    python -m bench.savings                     # the demo, then the direct measurement
    python -m bench.savings --report demo.json  # reuse a demo report saved by an earlier run

Each run saves the demo's report to $TMPDIR/relay-savings-demo.json. CPU-heavy (a few
minutes on 2 idle cores): run it alone, on a quiet machine. Gemma writes only ~30 tokens in
the whole demo, so its decode rate is a two-call sample; where other processes compete for
the cores, llama.cpp's per-token time swings 5-10x within a minute (its two threads wait on
each other at every step) and the estimate and the direct figure, taken minutes apart,
measure different machines.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from relay_git.models.ledger import NoComparison, Savings, large_alone
from relay_git.scaffold.state import entry_from_dict
from relay_git.types import LedgerEntry

TOLERANCE = 0.25  # the estimate within 25% of the direct measurement


def run_demo(where: Path) -> dict[str, Any]:
    """``relay-git demo DIR --json`` in a fresh process; its report."""
    done = subprocess.run(
        [sys.executable, "-m", "relay_git", "--no-log", "demo", str(where), "--json", "-q"],
        capture_output=True,
        text=True,
        check=False,
    )
    try:
        report: dict[str, Any] = json.loads(done.stdout)
    except json.JSONDecodeError:
        why = f"the demo printed no report (exit {done.returncode}): {done.stderr[-2000:]}"
        raise SystemExit(why) from None
    return report


@dataclass(frozen=True)
class Direct:
    calls: int
    read_tokens: int
    output_tokens: int
    seconds: float


def _filler(llm: Any, count: int) -> list[int]:
    """``count`` tokens of ordinary source text, for a prompt of that length."""
    text = Path(__file__).read_text(encoding="utf-8")
    tokens: list[int] = llm.tokenize(text.encode("utf-8"), add_bos=False)
    while len(tokens) < count:
        tokens = tokens + tokens
    return [llm.token_bos(), *tokens[: max(count - 1, 0)]]


def _one(llm: Any, read: int, write: int) -> float:
    """Seconds for the model to read ``read`` tokens and write exactly ``write``."""
    prompt = _filler(llm, min(read, llm.n_ctx() - write - 8))
    llm.reset()  # no prefix cache: every prompt token is read, as the estimate assumes
    started = time.monotonic()
    for written, _token in enumerate(llm.generate(prompt, temp=0.0, reset=True), start=1):
        if written >= write:
            break
    return time.monotonic() - started


def measure(large: str, calls: Sequence[LedgerEntry]) -> Direct:
    """The large model doing the small model's calls: same tokens read, same tokens written."""
    from relay_git.models.base import BackendOptions, LlamaCpp, parse_spec
    from relay_git.models.llamacpp import load

    path = Path(parse_spec(large).name)
    loaded = load(path, LlamaCpp.context_limit(BackendOptions(environ=dict(os.environ))))
    seconds = 0.0
    for call in calls:
        read = max(call.prompt_tokens - call.cached_tokens, 1)
        if call.output_tokens > 0:
            took = _one(loaded.llm, read, call.output_tokens)
            print(f"  {call.stage}: read {read}, wrote {call.output_tokens}: {took:.1f} s",
                  flush=True)  # fmt: skip
            seconds += took
    return Direct(
        len(calls),
        sum(max(c.prompt_tokens - c.cached_tokens, 1) for c in calls),
        sum(c.output_tokens for c in calls),
        seconds,
    )


SAVED = Path(tempfile.gettempdir()) / "relay-savings-demo.json"


def _report(argv: Sequence[str]) -> dict[str, Any]:
    if len(argv) == 2 and argv[0] == "--report":
        saved: dict[str, Any] = json.loads(Path(argv[1]).read_text(encoding="utf-8"))
        return saved
    with tempfile.TemporaryDirectory(prefix="relay-savings-") as tmp:
        report = run_demo(Path(tmp) / "demo")
    SAVED.write_text(json.dumps(report), encoding="utf-8")
    print(f"demo report saved to {SAVED}; load now {os.getloadavg()}", flush=True)
    return report


def _rates_from(entries: Sequence[LedgerEntry], large: str) -> list[str]:
    """The large model's own calls in the demo: where its rates come from."""
    return [
        f"  its {e.stage}: read {e.prompt_tokens - e.cached_tokens} tokens in "
        f"{e.ttft_seconds} s, wrote {e.output_tokens} in {e.decode_seconds} s"
        for e in entries
        if e.model == large
    ]


def _lines(estimate: Savings, direct: Direct, error: float) -> list[str]:
    predicted = estimate.alone_seconds - estimate.large_seconds
    return [
        f"measured rates: prefill {estimate.prefill_tps:.1f} tok/s, "
        f"decode {estimate.decode_tps:.1f} tok/s",
        f"small-model calls: {direct.calls}, reading {estimate.read_tokens} tokens, "
        f"writing {estimate.output_tokens}",
        f"estimate (the small model's calls on the large model): {predicted:.1f} s",
        f"direct (the large model reads and writes as many tokens): {direct.seconds:.1f} s",
        f"estimate vs direct: {error:+.0%} (target within {TOLERANCE:.0%})",
        f"whole run: the relay took {estimate.relay_seconds:.1f} s of model time; the large "
        f"model alone ~{estimate.alone_seconds:.1f} s estimated, "
        f"{estimate.large_seconds + direct.seconds:.1f} s with the direct figure",
        f"load: {os.getloadavg()}",
    ]


def main(argv: Sequence[str] = ()) -> int:
    report = _report(argv)
    entries = [entry_from_dict(e) for e in report["ledger"]]
    large = str(report["headline"]["large_model"])
    estimate = large_alone(entries, large)
    if isinstance(estimate, NoComparison):
        print(f"no estimate: {estimate.reason}")
        return 1
    small_calls = [e for e in entries if e.model != large]
    predicted = estimate.alone_seconds - estimate.large_seconds  # the estimated part
    print(f"estimate {predicted:.1f} s; measuring {len(small_calls)} calls directly", flush=True)
    direct = measure(large, small_calls)
    error = (predicted - direct.seconds) / direct.seconds if direct.seconds > 0 else float("nan")
    print(f"demo outcome: {report['outcome']} (exit {report['exit_code']}); large model {large}")
    print("\n".join([*_rates_from(entries, large), *_lines(estimate, direct, error)]))
    return 0 if abs(error) <= TOLERANCE else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
