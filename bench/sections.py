"""Turn measured runs into the report's sections (plain dicts, JSON-ready).

Items 1-3 of the benchmark all come from the same scaffold runs: relay vs large-only
(tokens, speeds, the seed's prediction), the well-formed rate of structured replies, and
the tool overhead. Each section lists its targets as met or missed with the figure.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict
from typing import Any

from bench import metrics
from bench.metrics import Run, Speed
from bench.runner import Calibration


def _r(x: float, digits: int = 3) -> float | None:
    return None if math.isnan(x) else round(x, digits)


def _pairs(runs: Sequence[Run]) -> list[tuple[Run, Run]]:
    by_key = {(r.task, r.mode): r for r in runs}
    tasks = list(dict.fromkeys(r.task for r in runs))
    return [
        (by_key[(t, "relay")], by_key[(t, "large-only")])
        for t in tasks
        if (t, "relay") in by_key and (t, "large-only") in by_key
    ]


def _speed_row(s: Speed, load: float | None) -> dict[str, Any]:
    return {
        "model": s.model,
        "calls": s.calls,
        "prompt_tokens": s.prompt_tokens,
        "output_tokens": s.output_tokens,
        "seconds": round(s.seconds, 2),
        "ledger_tps": round(s.ledger_tps, 2),
        "decode_tps": None if s.decode_tps is None else round(s.decode_tps, 2),
        "prefill_tps": None if s.prefill_tps is None else round(s.prefill_tps, 1),
        "load_seconds": load,
    }


def _write_speed(speeds: Mapping[str, Speed], model: str) -> float:
    """Decode tokens/s when prefill could be split off the ledger, else the ledger's rate."""
    s = speeds.get(model)
    if s is None:
        return 0.0
    return s.decode_tps or s.ledger_tps


def _pair_row(
    relay: Run, alone: Run, cal: Calibration, speeds: Mapping[str, Speed]
) -> dict[str, Any]:
    small_out, large_out = relay.output_tokens(cal.small), relay.output_tokens(cal.large)
    vs, vl = _write_speed(speeds, cal.small), _write_speed(speeds, cal.large)
    seed = _r(metrics.seed_ratio(small_out, large_out, vs, vl))
    with_prefill = _r(metrics.prefill_ratio(relay, cal.small, cal.large, speeds))
    return {
        "task": relay.task,
        "relay_seconds": round(relay.wall_seconds, 2),
        "large_only_seconds": round(alone.wall_seconds, 2),
        "relay_model_seconds": round(relay.model_seconds, 2),
        "large_only_model_seconds": round(alone.model_seconds, 2),
        "small_output_tokens": small_out,
        "large_output_tokens": large_out,
        "large_only_output_tokens": alone.output_tokens(),
        "large_share": _r(metrics.share(large_out, small_out + large_out)),
        "wall_ratio": _r(metrics.share(relay.wall_seconds, alone.wall_seconds)),
        "model_time_ratio": _r(metrics.share(relay.model_seconds, alone.model_seconds)),
        "large_alone_estimate_seconds": _r(
            metrics.alone_seconds(relay, cal.large, speeds) or math.nan, 2
        ),  # None: nothing to compare (no decode timing for the large model)
        "predicted_seed": seed,
        "predicted_prefill": with_prefill,
        "prediction": with_prefill if with_prefill is not None else seed,
        "relay_exit": relay.exit_code,
        "large_only_exit": alone.exit_code,
        "errors": [e for e in (relay.error, alone.error) if e],
    }


def _total(pairs: Sequence[tuple[Run, Run]], cal: Calibration, speeds: Mapping[str, Speed]) -> Any:
    merged = Run(
        "TOTAL",
        "relay",
        sum(p[0].wall_seconds for p in pairs),
        0,
        calls=tuple(c for p in pairs for c in p[0].calls),
    )
    alone = Run(
        "TOTAL",
        "large-only",
        sum(p[1].wall_seconds for p in pairs),
        0,
        calls=tuple(c for p in pairs for c in p[1].calls),
    )
    row = _pair_row(merged, alone, cal, speeds)
    row["relay_exit"] = sum(1 for p in pairs if p[0].exit_code != 0)  # failed runs, not a code
    row["large_only_exit"] = sum(1 for p in pairs if p[1].exit_code != 0)
    row["errors"] = []
    return row


def _basis(speeds: Iterable[Speed], fitted: bool) -> str:
    if fitted and all(s.measured for s in speeds):
        return "decode tok/s measured (time to first token apart)"
    return "decode tok/s fitted from the ledger" if fitted else "ledger tok/s"


def relay_section(runs: Sequence[Run], cal: Calibration) -> dict[str, Any]:
    pairs = _pairs(runs)
    speeds = metrics.speeds(runs)
    rows = [_pair_row(r, g, cal, speeds) for r, g in pairs]
    counted = [(r, g) for r, g in pairs if not (r.timed_out or g.timed_out)]
    total = _total(counted, cal, speeds) if counted else {}
    ratio, pred = total.get("wall_ratio"), total.get("prediction")
    fitted = all(s.decode_tps for s in speeds.values()) and bool(speeds)
    loads = {cal.small: cal.small_load_seconds, cal.large: cal.large_load_seconds}
    return {
        "tasks": rows,
        "total": total,
        "total_excludes": [r.task for r, g in pairs if r.timed_out or g.timed_out],
        "speed_basis": _basis(speeds.values(), fitted),
        "speeds": [_speed_row(s, loads.get(m)) for m, s in speeds.items()],
        "targets": {  # the large share is a headline figure: bench/success.py
            "ratio_vs_prediction": {
                "target": f"within {metrics.RATIO_TOLERANCE:.0%} of the seed's prediction",
                "measured": ratio,
                "predicted": pred,
                "predicted_without_prefill": total.get("predicted_seed"),
                "off_by": _r(abs(ratio - pred) / pred) if ratio and pred else None,
                "met": bool(ratio and pred and metrics.within(ratio, pred)),
            },
        },
    }


def wellformed_section(runs: Sequence[Run]) -> dict[str, Any]:
    every = [o for r in runs for o in r.outcomes]
    # Fenced code/test drafts are samples (several per file, the unusable ones dropped), not
    # replies retried until valid: they are counted apart from the structured replies.
    drafts = [o for o in every if o.stage.endswith(":draft")]
    outcomes = [o for o in every if not o.stage.endswith(":draft")]
    rows = metrics.wellformed(outcomes)
    by_stage = metrics.wellformed(outcomes, by_model=False)

    def row(rate: metrics.Rate) -> dict[str, Any]:
        return {
            **asdict(rate),
            "first_try_rate": _r(rate.first_try_rate),
            "eventual_rate": _r(rate.eventual_rate),
        }

    replies = sum(r.replies for r in by_stage)
    eventually = sum(r.eventually for r in by_stage)
    rate = _r(metrics.share(eventually, replies))
    missing = [f"{r.task} ({r.mode})" for r in runs if not r.outcomes]
    return {
        "by_stage_and_model": [row(r) for r in rows],
        "by_stage": [row(r) for r in by_stage],
        "runs_without_outcomes": missing,
        "drafts": {
            "drafts": len(drafts),
            "usable": sum(1 for o in drafts if o.ok),
            "usable_rate": _r(metrics.share(sum(1 for o in drafts if o.ok), len(drafts))),
        },
        "targets": {
            "eventual_rate": {
                "target": "100% after retries",
                "measured": rate,
                "first_try": _r(metrics.share(sum(r.first_try for r in by_stage), replies)),
                "replies": replies,
                "met": replies > 0 and eventually == replies,
            }
        },
    }


def overhead_section(runs: Sequence[Run], cal: Calibration) -> dict[str, Any]:
    rows: list[dict[str, Any]] = []
    for run in runs:
        rows.append(
            {
                "task": run.task,
                "mode": run.mode,
                "wall_seconds": round(run.wall_seconds, 2),
                "model_seconds": round(run.model_seconds, 2),
                "test_seconds": round(run.test_seconds, 2),
                "fixed_seconds": round(cal.fixed_seconds(run.mode), 2),
                "timed_out": run.timed_out,
                "overhead": _r(metrics.overhead(run)),
                "overhead_excluding_fixed": _r(metrics.overhead(run, cal.fixed_seconds(run.mode))),
            }
        )
    ok = [r for r in runs if r.calls and not r.timed_out]
    wall = sum(r.wall_seconds for r in ok)
    rest = sum(r.wall_seconds - r.model_seconds - r.test_seconds for r in ok)
    fixed = sum(cal.fixed_seconds(r.mode) for r in ok)
    raw = _r(metrics.share(rest, wall))
    adjusted = _r(metrics.share(max(rest - fixed, 0.0), wall))  # load times vary run to run
    medians = [metrics.overhead(r) for r in ok]
    return {
        "runs": rows,
        "calibration": asdict(cal),
        "total_excludes": [f"{r.task} ({r.mode})" for r in runs if r not in ok],
        "total_overhead": raw,
        "total_overhead_excluding_fixed": adjusted,
        "median_overhead": _r(statistics.median(medians)) if medians else None,
        "targets": {
            "overhead": {
                "target": f"< {metrics.OVERHEAD_TARGET:.0%} of scaffold wall time",
                "measured": raw,
                "measured_excluding_startup_and_model_load": adjusted,
                "met": raw is not None and raw < metrics.OVERHEAD_TARGET,
            }
        },
    }


def runs_to_json(runs: Sequence[Run]) -> list[dict[str, Any]]:
    return [
        {
            "task": r.task,
            "mode": r.mode,
            "wall_seconds": round(r.wall_seconds, 3),
            "exit_code": r.exit_code,
            "test_seconds": round(r.test_seconds, 3),
            "error": r.error,
            "calls": [asdict(c) for c in r.calls],
            "outcomes": [asdict(o) for o in r.outcomes],
            "extra": dict(r.extra),
            "verdict": r.verdict,
            "done": r.done,
            "reasons": list(r.reasons),
            "evaluation": dict(r.evaluation),
            "load_seconds": r.load_seconds,
        }
        for r in runs
    ]


def runs_from_json(rows: Sequence[Mapping[str, Any]]) -> list[Run]:
    return [
        Run(
            task=r["task"],
            mode=r["mode"],
            wall_seconds=float(r["wall_seconds"]),
            exit_code=int(r["exit_code"]),
            calls=tuple(metrics.Call.from_dict(c) for c in r["calls"]),
            outcomes=tuple(metrics.Outcome(**o) for o in r["outcomes"]),
            test_seconds=float(r["test_seconds"]),
            error=str(r["error"]),
            extra=dict(r.get("extra") or {}),
            verdict=str(r.get("verdict") or ""),
            done=r.get("done"),
            reasons=tuple(r.get("reasons") or ()),
            evaluation=dict(r.get("evaluation") or {}),
            load_seconds=r.get("load_seconds"),
        )
        for r in rows
    ]
