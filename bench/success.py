"""Task success, the headline: done rates per mode, the relay beside its parts, honesty.

Pure arithmetic over judged runs (``Run.done``), the probe's attempts and the models'
load times; nothing here runs a process. A task counts as done in a mode only when the
bench's checker passed on the branch, the branch's tests passed and the run ended in time.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from bench import metrics
from bench.metrics import Run

REACH_DONE_TARGET = 0.90  # relay done rate on the tasks within the small model's reach
WALL_RATIO_TARGET = 0.80  # relay / large-only wall time over tasks both modes completed
BEYOND_REACH_SECONDS = 90.0  # a task beyond reach ends non-zero within this


def _r(x: float, digits: int = 3) -> float | None:
    return None if math.isnan(x) else round(x, digits)


def rate(done: int, total: int) -> float | None:
    return round(done / total, 3) if total else None


def run_row(run: Run | None, small: str, large: str) -> dict[str, Any] | None:
    if run is None:
        return None
    return {
        "done": run.done,
        "reasons": list(run.reasons),
        "exit": run.exit_code,
        "verdict": run.verdict,
        "wall_seconds": round(run.wall_seconds, 2),
        "timed_out": run.timed_out,
        "dishonest": run.dishonest,
        "output_tokens": {"small": run.output_tokens(small), "large": run.output_tokens(large)}
        if small != large
        else {"small": 0, "large": run.output_tokens()},
    }


def probe_rates(attempts: Sequence[Mapping[str, Any]]) -> dict[str, tuple[int, int]]:
    """task -> (passed, tries)."""
    out: dict[str, tuple[int, int]] = {}
    for a in attempts:
        passed, tries = out.get(a["task"], (0, 0))
        out[a["task"]] = (passed + bool(a["passed"]), tries + 1)
    return out


def loses_to_parts(relay: Run | None, alone: Run | None, probe: tuple[int, int] | None) -> bool:
    """The relay did worse on this task than the large model alone or the small one alone."""
    mine = 1.0 if relay is not None and relay.done else 0.0
    theirs = [1.0 if alone is not None and alone.done else 0.0]
    if probe and probe[1]:
        theirs.append(probe[0] / probe[1])
    return mine < max(theirs)


def mode_totals(runs: Sequence[Run], reach: set[str]) -> dict[str, Any]:
    judged = [r for r in runs if r.done is not None]
    near = [r for r in judged if r.task in reach]
    done, near_done = sum(1 for r in judged if r.done), sum(1 for r in near if r.done)
    return {
        "runs": len(judged),
        "done": done,
        "rate": rate(done, len(judged)),
        "reach_runs": len(near),
        "reach_done": near_done,
        "reach_rate": rate(near_done, len(near)),
        "dishonest": [r.task for r in judged if r.dishonest],
        "timed_out": [r.task for r in judged if r.timed_out],
    }


def both_done_ratio(pairs: Sequence[tuple[Run, Run]]) -> dict[str, Any]:
    both = [(r, g) for r, g in pairs if r.done and g.done]
    relay_s = sum(r.wall_seconds for r, _ in both)
    alone_s = sum(g.wall_seconds for _, g in both)
    return {
        "tasks": [r.task for r, _ in both],
        "relay_seconds": round(relay_s, 2),
        "large_only_seconds": round(alone_s, 2),
        "wall_ratio": _r(metrics.share(relay_s, alone_s)),
    }


def large_share(relay_runs: Sequence[Run], small: str, large: str) -> dict[str, Any]:
    s = sum(r.output_tokens(small) for r in relay_runs)
    g = sum(r.output_tokens(large) for r in relay_runs)
    return {"small_tokens": s, "large_tokens": g, "share": _r(metrics.share(g, s + g))}


def beyond_reach(relay_runs: Sequence[Run], reach: set[str]) -> dict[str, Any]:
    """Relay runs of tasks beyond reach that were not done: did they end non-zero in time?"""
    failed = [r for r in relay_runs if r.task not in reach and r.done is False]
    late = [r.task for r in failed if r.timed_out or r.wall_seconds > BEYOND_REACH_SECONDS]
    zero = [r.task for r in failed if r.exit_code == 0]
    honest = [r for r in failed if r.task not in late and r.task not in zero]
    return {"not_done": len(failed), "honest": len(honest), "late": late, "exit_0": zero}


def cut_replies(runs: Sequence[Run]) -> dict[str, Any]:
    """Replies that ran to their token cap or were stopped as loops, per stage family (only
    when the ledger gives ``done_reason`` or ``max_tokens``)."""
    calls = [c for r in runs for c in r.calls]
    known = [c for c in calls if c.cut is not None]
    by_stage: dict[str, int] = {}
    for c in known:
        if c.cut:
            family = metrics.stage_family(c.stage)
            by_stage[family] = by_stage.get(family, 0) + 1
    return {"replies": len(calls), "known": len(known), "cut": sum(by_stage.values()),
            "by_stage": dict(sorted(by_stage.items()))}  # fmt: skip


def model_load(runs: Sequence[Run], bare: Mapping[str, float | None]) -> dict[str, Any]:
    """Load time apart from generation: from the scaffold reports when they carry
    ``model_load_seconds``, else the bench's one bare load of each model."""
    reported = [r.load_seconds for r in runs if r.load_seconds is not None]
    if reported:
        return {
            "source": "scaffold --json model_load_seconds, mean per run",
            "per_run_seconds": round(sum(reported) / len(reported), 3),
            "runs": len(reported),
            **{k: v for k, v in bare.items()},
        }
    return {"source": "the bench's bare load of each model, once", **dict(bare)}


def _target(target: str, measured: Any, met: bool, display: str | None = None) -> dict[str, Any]:
    out = {"target": target, "measured": measured, "met": met}
    return {**out, "display": display} if display is not None else out


def _targets(totals: Mapping[str, Any], wellformed: float | None) -> dict[str, Any]:
    relay, ratio = totals["relay"], totals["both_done"]["wall_ratio"]
    share, beyond = totals["large_share"]["share"], totals["beyond_reach"]
    dishonest = len(relay["dishonest"]) + len(totals["large-only"]["dishonest"])
    losses = totals["loses_to_parts"]
    return {
        "done_within_reach": _target(
            f">= {REACH_DONE_TARGET:.0%} (relay, reach tasks)", relay["reach_rate"],
            relay["reach_rate"] is not None and relay["reach_rate"] >= REACH_DONE_TARGET,
        ),
        "never_loses_to_parts": _target(
            "relay >= large-only and >= probe, every task", len(losses), not losses,
            f"loses on {len(losses)}: {', '.join(losses)}" if losses else "never",
        ),
        "beyond_reach_honest": _target(
            f"not done -> non-zero exit within {BEYOND_REACH_SECONDS:.0f} s",
            beyond["honest"], beyond["honest"] == beyond["not_done"],
            f"{beyond['honest']} of {beyond['not_done']}",
        ),
        "dishonest_runs": _target(
            "0 (exit 0 or approve, task not done)", dishonest, dishonest == 0, str(dishonest)
        ),
        "wall_ratio_both_done": _target(
            f"<= {WALL_RATIO_TARGET} over tasks both modes completed", ratio,
            ratio is not None and ratio <= WALL_RATIO_TARGET,
            "no task completed by both" if ratio is None else f"{ratio:.3g}",
        ),
        "large_share": _target(
            f"<= {metrics.LARGE_SHARE_TARGET:.0%} of relay output tokens", share,
            share is not None and share <= metrics.LARGE_SHARE_TARGET,
        ),
        "wellformed_after_retries": _target(
            "100%", wellformed, wellformed is not None and wellformed >= 1.0
        ),
    }  # fmt: skip


def task_rows(
    runs: Sequence[Run], reach: set[str], models: tuple[str, str], probes: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """Per task: relay / large-only / the small model alone, side by side."""
    by_key = {(r.task, r.mode): r for r in runs}
    rows = []
    for name in dict.fromkeys(r.task for r in runs):
        relay, alone = by_key.get((name, "relay")), by_key.get((name, "large-only"))
        p = probes.get(name)
        rows.append(
            {
                "task": name,
                "reach": name in reach,
                "relay": run_row(relay, *models),
                "large_only": run_row(alone, *models),
                "probe": {"passed": p[0], "tries": p[1]} if p else None,
                "loses_to_parts": loses_to_parts(relay, alone, p),
            }
        )
    return rows


def success_section(
    runs: Sequence[Run],
    reach: set[str],
    models: tuple[str, str],
    probe: Mapping[str, Any] | None = None,
    wellformed: float | None = None,
    loads: Mapping[str, float | None] | None = None,
) -> dict[str, Any]:
    """Per task relay / large-only / probe side by side, the totals and the targets."""
    probes = probe_rates((probe or {}).get("attempts") or [])
    rows = task_rows(runs, reach, models, probes)
    relay_runs = [r for r in runs if r.mode == "relay"]
    by_key = {(r.task, r.mode): r for r in runs}
    pairs = [(by_key[(n, "relay")], g) for (n, m), g in by_key.items()
             if m == "large-only" and (n, "relay") in by_key]  # fmt: skip
    reach_probe = [p for n, p in probes.items() if n in reach]
    passed, tries = sum(p for p, _ in reach_probe), sum(t for _, t in reach_probe)
    totals = {
        "relay": mode_totals(relay_runs, reach),
        "large-only": mode_totals([r for r in runs if r.mode == "large-only"], reach),
        "probe": {"reach_passed": passed, "reach_tries": tries, "reach_rate": rate(passed, tries)},
        "both_done": both_done_ratio(pairs),
        "large_share": large_share(relay_runs, *models),
        "wellformed_after_retries": wellformed,
        "beyond_reach": beyond_reach(relay_runs, reach),
        "loses_to_parts": [r["task"] for r in rows if r["loses_to_parts"]],
        "model_load": model_load(runs, loads or {}),
        "cut_replies": cut_replies(runs),
    }
    return {"tasks": rows, "totals": totals, "targets": _targets(totals, wellformed)}
