"""``python -m bench [all|relay|wellformed|overhead|hooks|diffscale]``.

relay, wellformed and overhead are three readings of the same scaffold runs (relay and
large-only for every task), so any one of them runs the suite and refreshes all three
sections. Results merge into OUT/latest.json (sections not run keep their last figures)
and latest.md / latest.png are redrawn from it.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import signal
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from bench import diffscale, report, runner, sections, tasks
from bench.metrics import Run

RESULTS = Path(__file__).resolve().parent / "results"
PARTS = ("relay", "wellformed", "overhead", "hooks", "diffscale")
SUITE_PARTS = ("relay", "wellformed", "overhead")


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _measured(fn: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    before, when = report.load_average(), report.now()
    result = fn()
    return {
        **result,
        "measured_at": when,
        "load_before": before,
        "load_after": report.load_average(),
    }


def _calibration_dict(cal: runner.Calibration) -> dict[str, Any]:
    return dataclasses.asdict(cal)


def _run_fresh(args: argparse.Namespace, partial: Path) -> tuple[list[Run], runner.Calibration]:
    chosen = tasks.load_all(args.tasks.split(",") if args.tasks else ())
    _say("calibrating: model load times and CLI start-up ...")
    cal = runner.calibrate()
    done: list[Run] = []

    def keep(run: Run) -> None:
        done.append(run)
        args.out.mkdir(parents=True, exist_ok=True)
        payload = {
            "calibration": _calibration_dict(cal),
            "max_tokens": args.max_tokens,
            "runs": sections.runs_to_json(done),
        }
        partial.write_text(json.dumps(payload, indent=1) + "\n")

    limits = runner.Limits(args.max_tokens, args.run_timeout)
    runs = runner.run_suite(chosen, progress=_say, limits=limits, on_run=keep)
    partial.unlink(missing_ok=True)
    return runs, cal


def suite(args: argparse.Namespace, previous: Mapping[str, Any]) -> dict[str, Any]:
    """Items 1-3 from one set of scaffold runs (or the stored runs with --reuse).

    Every finished run is also written to OUT/partial.json at once; a complete suite
    removes it, and ``--reuse`` prefers it, so an interrupted bench can still report.
    """
    before, when = report.load_average(), report.now()
    partial = args.out / "partial.json"
    if args.reuse:
        stored = json.loads(partial.read_text()) if partial.is_file() else previous
        if "runs" not in stored or "calibration" not in stored:
            raise SystemExit("bench: --reuse needs a latest.json with runs; run without it first")
        runs = sections.runs_from_json(stored["runs"])
        cal = runner.Calibration(**stored["calibration"])
        args.max_tokens = stored.get("max_tokens", args.max_tokens)
    else:
        runs, cal = _run_fresh(args, partial)
    stamp = {"measured_at": when, "load_before": before, "load_after": report.load_average()}
    if args.reuse and isinstance(previous.get("relay"), Mapping):  # keep when it was measured
        stamp = {k: previous["relay"].get(k) for k in stamp}
    kinds = {t.name: t.kind for t in tasks.load_all()}
    relay = sections.relay_section(runs, cal)
    for row in relay["tasks"]:
        row["kind"] = kinds.get(row["task"], "")
    return {
        "models": {"small": cal.small, "large": cal.large},
        "calibration": _calibration_dict(cal),
        "max_tokens": args.max_tokens,
        "runs": sections.runs_to_json(runs),
        "relay": {**relay, **stamp},
        "wellformed": {**sections.wellformed_section(runs), **stamp},
        "overhead": {**sections.overhead_section(runs, cal), **stamp},
    }


def hooks_section(runs: int = 10) -> dict[str, Any]:
    """Item 4 is the hooks helper's bench/hook_latency.py, run as a script when present."""
    script = Path(__file__).resolve().parent / "hook_latency.py"
    if not script.is_file():
        return {"available": False, "note": "bench/hook_latency.py has not landed yet"}
    proc = subprocess.run(
        [sys.executable, str(script), "--runs", str(runs)],
        cwd=script.parent.parent,
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        tail = (proc.stderr.strip().splitlines() or ["no message"])[-1]
        return {"available": False, "note": f"hook_latency.py failed: {tail[:300]}"}
    return {"available": True, "text": proc.stdout, "rows": hook_rows(proc.stdout)}


def hook_rows(text: str) -> list[dict[str, Any]]:
    """Rows of hook_latency.py's table: ``command  median ms  x git diff``."""
    rows = []
    for line in text.splitlines():
        parts = line.rsplit(None, 2)
        if len(parts) == 3 and _is_number(parts[1]) and _is_number(parts[2]):
            rows.append(
                {"command": parts[0], "median_ms": float(parts[1]), "x_git_diff": float(parts[2])}
            )
    return rows


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def diffscale_section(args: argparse.Namespace) -> dict[str, Any]:
    sizes: tuple[int, ...] = diffscale.SIZES[:2] if args.quick else diffscale.SIZES
    if args.sizes:
        sizes = tuple(int(x) for x in args.sizes.split(","))
    return diffscale.run(sizes, repeats=1 if args.quick else diffscale.REPEATS)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("part", nargs="?", default="all", choices=("all", *PARTS))
    parser.add_argument("--tasks", help="comma-separated task names (default: every task)")
    parser.add_argument("--out", type=Path, default=RESULTS, help="results folder")
    parser.add_argument(
        "--max-tokens",
        type=int,
        default=runner.MAX_TOKENS,
        help="cap on every stage's output tokens (scaffold --max-tokens)",
    )
    parser.add_argument(
        "--run-timeout",
        type=float,
        default=runner.RUN_TIMEOUT,
        help="seconds before a scaffold run is stopped (it is reported as timed out)",
    )
    parser.add_argument("--reuse", action="store_true", help="recompute 1-3 from stored runs")
    parser.add_argument("--quick", action="store_true", help="diffscale: only 1k and 10k lines")
    parser.add_argument("--sizes", help="diffscale: comma-separated changed-line counts")
    parser.add_argument("--no-chart", action="store_true")
    return parser.parse_args(argv)


def _terminate(signum: int, _frame: object) -> None:
    """SIGTERM -> SystemExit, so a running scaffold child is killed on the way out."""
    raise SystemExit(128 + signum)


def main(argv: Sequence[str] | None = None) -> int:
    signal.signal(signal.SIGTERM, _terminate)
    args = parse_args(argv)
    latest = args.out / "latest.json"
    data: dict[str, Any] = json.loads(latest.read_text()) if latest.is_file() else {}
    parts = PARTS if args.part == "all" else (args.part,)
    if any(p in SUITE_PARTS for p in parts):
        data.update(suite(args, data))
    if "hooks" in parts:
        _say("hook latency ...")
        data["hooks"] = _measured(hooks_section)
    if "diffscale" in parts:
        _say("diff scale ...")
        data["diffscale"] = _measured(lambda: diffscale_section(args))
    data["written"] = report.now()
    data["machine"] = report.machine()
    for path in report.write(data, args.out, chart=not args.no_chart):
        _say(f"wrote {path}")
    shown = {p for p in parts if p in data}
    print(report.markdown({k: v for k, v in data.items() if k not in PARTS or k in shown}, None))
    return 0


if __name__ == "__main__":
    sys.exit(main())
