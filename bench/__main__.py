"""``python -m bench [all|relay|wellformed|overhead|hooks|diffscale|capable]``.

capable runs the capable stand-in suite (bench/capable/) on its own and writes
OUT/capable.{json,md}; it is not part of all.

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

from bench import diffscale, probe, readme, report, runner, sections, success, tasks
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


def _stored(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text()) if path.is_file() else {}
    except ValueError:
        return {}
    return data if isinstance(data, dict) and "runs" in data and "calibration" in data else {}


def _run_fresh(
    args: argparse.Namespace, partial: Path
) -> tuple[list[Run], runner.Calibration, dict[str, Any]]:
    """Calibration, the probe, then both modes of every task; each step is saved to
    OUT/partial.json as it ends, and ``--resume`` starts from there (runs already made
    are kept, not repeated)."""
    chosen = tasks.load_all(args.tasks.split(",") if args.tasks else ())
    state = _stored(partial) if args.resume else {}
    if state:
        _say(f"resuming: {len(state['runs'])} run(s) kept from {partial}")
        cal = runner.Calibration(**state["calibration"])
    else:
        _say("calibrating: model load times and CLI start-up ...")
        cal = runner.calibrate()
        state = {"calibration": _calibration_dict(cal), "max_tokens": args.max_tokens, "runs": []}
    runs = sections.runs_from_json(state["runs"])

    def save() -> None:
        args.out.mkdir(parents=True, exist_ok=True)
        state["runs"] = sections.runs_to_json(runs)
        partial.write_text(json.dumps(state, indent=1) + "\n")

    if state.get("probe") is None:
        _say(f"probe: the small model alone, {args.probe_tries} tries a task ...")
        state["probe"] = probe.run(chosen, runner.relay_env(), args.probe_tries, _say)
        save()

    def keep(run: Run) -> None:
        runs.append(run)
        save()

    limits = runner.Limits(args.max_tokens, args.run_timeout)
    skip = {(r.task, r.mode) for r in runs}
    runner.run_suite(chosen, progress=_say, limits=limits, on_run=keep, skip=skip)
    partial.unlink(missing_ok=True)
    return runs, cal, state["probe"]


def suite(args: argparse.Namespace, previous: Mapping[str, Any]) -> dict[str, Any]:
    """The headline and items 1-3 from one set of scaffold runs and the probe (or the
    stored ones with --reuse).

    Every finished run is also written to OUT/partial.json at once; a complete suite
    removes it; ``--resume`` continues it and ``--reuse`` reports from it.
    """
    before, when = report.load_average(), report.now()
    partial = args.out / "partial.json"
    if args.reuse:
        stored = _stored(partial) or previous
        if "runs" not in stored or "calibration" not in stored:
            raise SystemExit("bench: --reuse needs a latest.json with runs; run without it first")
        runs = sections.runs_from_json(stored["runs"])
        cal = runner.Calibration(**stored["calibration"])
        probed = stored.get("probe") or {}
        args.max_tokens = stored.get("max_tokens", args.max_tokens)
    else:
        runs, cal, probed = _run_fresh(args, partial)
    stamp = {"measured_at": when, "load_before": before, "load_after": report.load_average()}
    if args.reuse and isinstance(previous.get("relay"), Mapping):  # keep when it was measured
        stamp = {k: previous["relay"].get(k) for k in stamp}
    suite_tasks = tasks.load_all()
    kinds = {t.name: t.kind for t in suite_tasks}
    relay = sections.relay_section(runs, cal)
    for row in relay["tasks"]:
        row["kind"] = kinds.get(row["task"], "")
    well = sections.wellformed_section(runs)
    headline = success.success_section(
        runs,
        {t.name for t in suite_tasks if t.reach},
        (cal.small, cal.large),
        probed,
        well["targets"]["eventual_rate"]["measured"],
        {"small": cal.small_load_seconds, "large": cal.large_load_seconds},
    )
    for row in headline["tasks"]:
        row["kind"] = kinds.get(row["task"], "")
    return {
        "models": {"small": cal.small, "large": cal.large},
        "calibration": _calibration_dict(cal),
        "max_tokens": args.max_tokens,
        "runs": sections.runs_to_json(runs),
        "probe": probed,
        "success": {**headline, **stamp},
        "relay": {**relay, **stamp},
        "wellformed": {**well, **stamp},
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
    parser.add_argument(
        "part", nargs="?", default="all", choices=("all", *PARTS, "readme", "capable")
    )
    parser.add_argument("--tasks", help="comma-separated task names (default: every task)")
    parser.add_argument("--out", type=Path, default=RESULTS, help="results folder")
    parser.add_argument(
        "--max-tokens",
        type=int,
        default=runner.MAX_TOKENS,
        help="cap on every stage's output tokens (scaffold --max-tokens; default: none)",
    )
    parser.add_argument(
        "--run-timeout",
        type=float,
        default=None,
        help="seconds before any scaffold run is stopped and reported as timed out "
        f"(default: {runner.REACH_TIMEOUT:.0f} s for tasks within the small model's reach, "
        f"{runner.BEYOND_TIMEOUT:.0f} s beyond it)",
    )
    parser.add_argument(
        "--probe-tries",
        type=int,
        default=probe.TRIES,
        help="single-shot asks of the small model per probed task (0: no probe)",
    )
    parser.add_argument(
        "--resume", action="store_true", help="continue an interrupted suite from partial.json"
    )
    parser.add_argument("--reuse", action="store_true", help="report again from stored runs")
    parser.add_argument("--quick", action="store_true", help="diffscale: only 1k and 10k lines")
    parser.add_argument("--sizes", help="diffscale: comma-separated changed-line counts")
    parser.add_argument("--no-chart", action="store_true")
    parser.add_argument(
        "--readme",
        type=Path,
        default=readme.README,
        help="readme: the file whose section to redraw",
    )
    return parser.parse_args(argv)


def _terminate(signum: int, _frame: object) -> None:
    """SIGTERM -> SystemExit, so a running scaffold child is killed on the way out."""
    raise SystemExit(128 + signum)


def main(argv: Sequence[str] | None = None) -> int:
    signal.signal(signal.SIGTERM, _terminate)
    args = parse_args(argv)
    latest = args.out / "latest.json"
    data: dict[str, Any] = json.loads(latest.read_text()) if latest.is_file() else {}
    if args.part == "capable":
        from bench.capable import run as capable

        return capable.main(tuple(args.tasks.split(",")) if args.tasks else (), args.out)
    if args.part == "readme":
        _say(f"wrote {readme.update(data, args.readme)}")
        return 0
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
