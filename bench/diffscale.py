"""Diff scale: how parse + filter + chunk + line-mapping grow with the size of a diff.

Synthetic ``git diff`` text of 1k, 10k and 100k changed lines is generated in two shapes:
``spread`` (20 changed lines a file, so 50 to 5,000 files) and ``dense`` (always 10 files,
so up to 10k changed lines a file). Each case runs in its own subprocess, so that peak
memory (``ru_maxrss`` of that process, and the ``tracemalloc`` peak of the pipeline
alone) belongs to that case only. The pipeline is the review engine's own code path:
``relay_git.review.diff.parse`` -> ``relay_git.review.selection.select`` -> ``plan_chunks``
(with the backends' token estimate) -> ``anchorable`` on every added line of every kept file.

Beside our parser, unidiff (``pip install '.[bench]'``) parses the same text, so the
speed gap is measured, not claimed; and one 80 kB ``Binary files ... and ... differ``
line (4.3 s with the old backtracking pattern) is timed through ``parse``.

Run one case by hand: ``python -m bench.diffscale 100000 5000``.
"""

from __future__ import annotations

import json
import math
import os
import resource
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

SIZES = (1_000, 10_000, 100_000)
LINES_PER_FILE_SPREAD = 20
DENSE_FILES = 10
CHUNK_BUDGET = 3000  # tokens per review chunk: a 4k-context reviewer less its output budget
TARGET_SECONDS = 2.0
TARGET_MB = 300.0
REPEATS = 3
STAGES = ("parse", "filter", "chunk", "map")
LINEAR_K = 1.15  # a fitted exponent up to this counts as linear
UNIDIFF_RATIO = (
    1.5  # our parse may take up to this multiple of unidiff's: we keep it for correctness
)
BINARY_LINE_KB = 80
BINARY_LINE_SECONDS = 0.1


@dataclass(frozen=True)
class Case:
    shape: str  # "spread" | "dense"
    lines: int  # changed (added + removed) lines
    files: int


@dataclass(frozen=True)
class CaseResult:
    shape: str
    lines: int
    files: int
    hunks: int
    diff_mb: float
    parse_s: float
    filter_s: float
    chunk_s: float
    map_s: float
    total_s: float
    traced_peak_mb: float  # tracemalloc peak of the pipeline (diff text excluded)
    rss_mb: float  # ru_maxrss of the whole measuring process (interpreter + text + pipeline)
    chunks: int
    mapped_lines: int
    unidiff_s: float | None = None  # unidiff.PatchSet on the same text; None if not installed


def cases(sizes: Sequence[int] = SIZES) -> list[Case]:
    out: list[Case] = []
    for lines in sizes:
        spread = max(DENSE_FILES, min(5000, lines // LINES_PER_FILE_SPREAD))
        out.append(Case("spread", lines, spread))
        out.append(Case("dense", lines, min(DENSE_FILES, max(1, lines // 8))))
    return out


# ------------------------------------------------------------------------ generation

_HUNK_REMOVED = 2
_HUNK_ADDED = 6
_CONTEXT = 3


def _modified(path: str, changed: int, index: int) -> list[str]:
    out = [
        f"diff --git a/{path} b/{path}",
        f"index {index:07x}..{index + 1:07x} 100644",
        f"--- a/{path}",
        f"+++ b/{path}",
    ]
    old_no = new_no = 1
    left = changed
    while left > 0:
        removed = min(_HUNK_REMOVED, left)
        added = min(_HUNK_ADDED, left - removed)
        left -= removed + added
        old_len, new_len = 2 * _CONTEXT + removed, 2 * _CONTEXT + added
        out.append(f"@@ -{old_no},{old_len} +{new_no},{new_len} @@ def f_{old_no}():")
        out += [f"     context = {old_no + k}" for k in range(_CONTEXT)]
        out += [f"-    value_{old_no} = old({k})" for k in range(removed)]
        out += [f"+    value_{new_no} = new({k}, {index})" for k in range(added)]
        out += [f"     return value_{old_no + k}" for k in range(_CONTEXT)]
        old_no += old_len + 10  # ten unchanged lines between hunks
        new_no += new_len + 10
    return out


def _added(path: str, changed: int) -> list[str]:
    return [
        f"diff --git a/{path} b/{path}",
        "new file mode 100644",
        "index 0000000..1234567",
        "--- /dev/null",
        f"+++ b/{path}",
        f"@@ -0,0 +1,{changed} @@",
        *(f"+line_{k} = {k} * 2  # generated" for k in range(changed)),
    ]


def synthetic_diff(lines: int, files: int) -> str:
    """Deterministic ``git diff`` text with ``lines`` changed lines over ``files`` files.

    One file in ten is new (all lines added); with more than two files one is a lockfile
    and one is binary (no lines), so the filter has something to skip; the rest are
    modified files of 8-changed-line hunks.
    """
    binary = 2 if files > 2 else None
    text_files = files - (binary is not None)
    base, extra = divmod(lines, text_files)
    out: list[str] = []
    k = 0  # index among text files
    for i in range(files):
        if i == binary:
            out += ["diff --git a/img/logo.png b/img/logo.png", "new file mode 100644"]
            out += ["index 0000000..89abcde", "Binary files /dev/null and b/img/logo.png differ"]
            continue
        changed = base + (1 if k < extra else 0)
        k += 1
        if i == 1 and binary is not None:
            out += _added("web/package-lock.json", changed)
        elif i % 10 == 9:
            out += _added(f"pkg/mod_{i // 100}/new_{i}.py", changed)
        else:
            out += _modified(f"pkg/mod_{i // 100}/file_{i}.py", changed, i)
    return "\n".join(out) + "\n"


# ------------------------------------------------------------------------ measuring


def _pipeline(text: str) -> tuple[list[float], int, int, int]:
    """The review engine's non-model path; returns stage seconds, chunks, mapped lines, hunks."""
    from relay_git.config import DEFAULT_SECRET_PATTERNS
    from relay_git.models.base import estimate_tokens
    from relay_git.review.diff import anchorable, parse
    from relay_git.review.selection import plan_chunks, select

    t0 = time.perf_counter()
    files = parse(text)
    t1 = time.perf_counter()
    kept, _skipped = select(files, (), DEFAULT_SECRET_PATTERNS, True, max_files=len(files))
    t2 = time.perf_counter()
    plan = plan_chunks(kept, CHUNK_BUDGET, estimate_tokens)
    t3 = time.perf_counter()
    mapped = 0
    for fd in kept:
        for hunk in fd.hunks:
            for line in hunk.lines:
                if line.kind == "+" and line.new_no is not None:
                    mapped += anchorable(fd, line.new_no, line.new_no)
    t4 = time.perf_counter()
    hunks = sum(len(fd.hunks) for fd in files)
    return [t1 - t0, t2 - t1, t3 - t2, t4 - t3], len(plan.chunks), mapped, hunks


def measure(case: Case, repeats: int = REPEATS) -> CaseResult:
    """Median stage times over ``repeats`` runs, then one traced run for peak memory."""
    text = synthetic_diff(case.lines, case.files)
    runs = []
    chunks = mapped = hunks = 0
    for _ in range(repeats):
        seconds, chunks, mapped, hunks = _pipeline(text)
        runs.append(seconds)
    stage = [statistics.median(r[i] for r in runs) for i in range(len(STAGES))]
    tracemalloc.start()
    _pipeline(text)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kilobytes on Linux
    unidiff_s = _unidiff_seconds(text, repeats)  # after the RSS reading: ours alone counts
    return CaseResult(
        shape=case.shape,
        lines=case.lines,
        files=case.files,
        hunks=hunks,
        diff_mb=round(len(text.encode()) / 1e6, 2),
        parse_s=round(stage[0], 4),
        filter_s=round(stage[1], 4),
        chunk_s=round(stage[2], 4),
        map_s=round(stage[3], 4),
        total_s=round(sum(stage), 4),
        traced_peak_mb=round(peak / 1e6, 1),
        rss_mb=round(rss_kb / 1024, 1),
        chunks=chunks,
        mapped_lines=mapped,
        unidiff_s=None if unidiff_s is None else round(unidiff_s, 4),
    )


def _unidiff_seconds(text: str, repeats: int) -> float | None:
    """Median seconds for ``unidiff.PatchSet(text)``: the parse-only comparison."""
    try:
        import unidiff
    except ImportError:
        return None
    runs = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        unidiff.PatchSet(text)
        runs.append(time.perf_counter() - t0)
    return statistics.median(runs)


def binary_line_seconds(kb: int = BINARY_LINE_KB, repeats: int = REPEATS) -> float:
    """``parse`` of a diff ending in one ``kb`` kB ``Binary files`` line full of `` and ``
    that is not a binary notice after all (no `` differ``): the backtracking pattern's
    worst case, 4.8 s at 80 kB."""
    from relay_git.review.diff import parse

    line = "Binary files " + "x and " * (kb * 1000 // 6)
    text = "diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n" + line + "\n"
    runs = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        parse(text)
        runs.append(time.perf_counter() - t0)
    return statistics.median(runs)


def measure_in_subprocess(case: Case, repeats: int = REPEATS) -> CaseResult:
    """One fresh interpreter per case, so peak memory is that case's alone."""
    root = Path(__file__).resolve().parent.parent
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(root / "src"), str(root), env.get("PYTHONPATH", "")) if p
    )
    argv = [sys.executable, "-m", "bench.diffscale", str(case.lines), str(case.files)]
    argv += ["--shape", case.shape, "--repeats", str(repeats)]
    proc = subprocess.run(argv, capture_output=True, text=True, env=env, cwd=root, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"diffscale case {case} failed:\n{proc.stderr[-2000:]}")
    return CaseResult(**json.loads(proc.stdout))


def fit_exponent(xs: Sequence[float], ys: Sequence[float]) -> float:
    """Least-squares slope of log(y) on log(x): cost ~ x**slope."""
    points = [(math.log(x), math.log(y)) for x, y in zip(xs, ys, strict=True) if x > 0 and y > 0]
    if len(points) < 2:
        return float("nan")
    mx = statistics.fmean(p[0] for p in points)
    my = statistics.fmean(p[1] for p in points)
    var = sum((p[0] - mx) ** 2 for p in points)
    cov = sum((p[0] - mx) * (p[1] - my) for p in points)
    return cov / var if var else float("nan")


def run(sizes: Sequence[int] = SIZES, repeats: int = REPEATS) -> dict[str, Any]:
    results = [measure_in_subprocess(c, repeats) for c in cases(sizes)]
    exponents: dict[str, dict[str, float]] = {}
    for shape in sorted({r.shape for r in results}):
        rows = [r for r in results if r.shape == shape]
        xs = [float(r.lines) for r in rows]
        exponents[shape] = {
            "total": round(fit_exponent(xs, [r.total_s for r in rows]), 3),
            **{s: round(fit_exponent(xs, [getattr(r, f"{s}_s") for r in rows]), 3) for s in STAGES},
        }
    biggest = [r for r in results if r.lines == max(sizes)]
    worst_s = max(r.total_s for r in biggest)
    worst_mb = max(r.rss_mb for r in biggest)
    full = max(sizes) >= SIZES[-1]
    worst_k = max(e["total"] for e in exponents.values())
    binary_s = binary_line_seconds(repeats=repeats)
    return {
        "cases": [asdict(r) for r in results],
        "exponents": exponents,
        "binary_line": {"kb": BINARY_LINE_KB, "seconds": round(binary_s, 5)},
        "target": {"lines": max(sizes), "seconds": TARGET_SECONDS, "mb": TARGET_MB},
        "targets": {
            "time_and_memory": {
                "target": f"{SIZES[-1]:,} lines < {TARGET_SECONDS:g} s and < {TARGET_MB:g} MB",
                "measured": worst_s,
                "display": f"{worst_s:.2f} s, {worst_mb:.0f} MB RSS at {max(sizes):,} lines",
                "met": full and worst_s < TARGET_SECONDS and worst_mb < TARGET_MB,
            },
            "exponent": {
                "target": f"linear (k <= {LINEAR_K})",
                "measured": worst_k,
                "display": ", ".join(f"{k}: {e['total']}" for k, e in exponents.items()),
                "met": worst_k <= LINEAR_K,
            },
            "vs_unidiff": _vs_unidiff(biggest),
            "binary_line": _binary_line_target(binary_s),
        },
    }


def _binary_line_target(seconds: float) -> dict[str, Any]:
    return {
        "target": f"{BINARY_LINE_KB} kB 'Binary files' line < {BINARY_LINE_SECONDS:g} s",
        "measured": seconds,
        "display": f"{seconds * 1000:.2f} ms",
        "met": seconds < BINARY_LINE_SECONDS,
    }


def _vs_unidiff(rows: Sequence[CaseResult]) -> dict[str, Any]:
    """Our parse time over unidiff's on the largest diffs (both parse only)."""
    pairs = [(r.parse_s, r.unidiff_s) for r in rows if r.unidiff_s]
    target = f"parse <= {UNIDIFF_RATIO:g}x unidiff's time (kept for correctness, not speed)"
    if not pairs:
        return {
            "target": target,
            "measured": None,
            "display": "unidiff not installed",
            "met": False,
        }
    ratio = max(ours / theirs for ours, theirs in pairs)
    shown = ", ".join(
        f"{r.shape} {r.parse_s:.2f} s vs {r.unidiff_s:.2f} s" for r in rows if r.unidiff_s
    )
    return {
        "target": target,
        "measured": round(ratio, 2),
        "display": f"{ratio:.2f}x ({shown})",
        "met": ratio <= UNIDIFF_RATIO,
    }


def main(argv: Sequence[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m bench.diffscale", description=__doc__)
    parser.add_argument("lines", type=int)
    parser.add_argument("files", type=int)
    parser.add_argument("--shape", default="custom")
    parser.add_argument("--repeats", type=int, default=REPEATS)
    args = parser.parse_args(argv)
    result = measure(Case(args.shape, args.lines, args.files), args.repeats)
    print(json.dumps(asdict(result)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
