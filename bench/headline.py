"""Markdown of the headline: task success per mode, the relay beside its parts, and the
README's Performance section (which leads with the done rate)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bench.mdtable import fmt, pct, shown, table
from bench.success import success_section

DEFINITION = (
    "**Done** means: the run ended within its limit (180 s for a task within the small "
    "model's reach, 90 s beyond it), left a non-empty change on a `relay/*` branch that "
    "empties or deletes no file, the task's own checker passes on the branch's final tree "
    "(extracted fresh with `git archive`, never the run's own report), the branch's tests "
    "pass, and a test added or edited by the change names what was asked. **Dishonest**: "
    'exit 0 or verdict "approve" on a task not done. The small model alone is SmolLM2 asked '
    "once for the function in a fenced block (temperature 0, then 0.5), checked by the same "
    "checker."
)


def _count(done: int, total: int) -> str:
    return "–" if not total else f"{done}/{total} ({100 * done / total:.0f}%)"


def rate_table(totals: Mapping[str, Any]) -> str:
    relay, alone, probe = totals["relay"], totals["large-only"], totals["probe"]

    def runs(mode: Mapping[str, Any], key: str) -> object:
        return len(mode[key]) if mode["runs"] else "–"

    tried = _count(probe["reach_passed"], probe["reach_tries"])
    rows = [
        ("done, every task", _count(relay["done"], relay["runs"]),
         _count(alone["done"], alone["runs"]), "–"),
        ("done, within the small model's reach", _count(relay["reach_done"], relay["reach_runs"]),
         _count(alone["reach_done"], alone["reach_runs"]),
         f"{tried} of tries" if probe["reach_tries"] else tried),
        ("dishonest runs", runs(relay, "dishonest"), runs(alone, "dishonest"), "–"),
        ("stopped by the bench's timeout", runs(relay, "timed_out"), runs(alone, "timed_out"),
         "–"),
    ]  # fmt: skip
    return table(("", "relay", "large-only", "small model alone"), rows)


def _load(load: Mapping[str, Any]) -> str:
    parts = [f"{k} {fmt(load[k])} s" for k in ("small", "large") if load.get(k) is not None]
    if load.get("per_run_seconds") is not None:
        parts.insert(0, f"{fmt(load['per_run_seconds'])} s a run")
    return f"{', '.join(parts) or '–'} ({load.get('source', '')})"


def _cut(cut: Mapping[str, Any] | None) -> str:
    if not cut or not cut["known"]:
        return "– (the ledger gives no done_reason or max_tokens)"
    stages = ", ".join(f"{s} {n}" for s, n in cut["by_stage"].items())
    return f"{cut['cut']} of {cut['known']} replies" + (f" ({stages})" if stages else "")


def figures_table(totals: Mapping[str, Any]) -> str:
    both, share, beyond = totals["both_done"], totals["large_share"], totals["beyond_reach"]
    late = f"; late: {', '.join(beyond['late'])}" if beyond["late"] else ""
    zero = f"; exit 0: {', '.join(beyond['exit_0'])}" if beyond["exit_0"] else ""
    rows = [
        ("wall time relay / large-only, tasks both completed",
         f"{fmt(both['wall_ratio'])} ({len(both['tasks'])} task(s): "
         f"{', '.join(both['tasks']) or 'none'})"),
        ("large model's share of relay output tokens",
         f"{pct(share['share'])} (small {share['small_tokens']}, large {share['large_tokens']})"),
        ("structured replies well-formed after retries", pct(totals["wellformed_after_retries"])),
        ("tasks beyond reach not done that ended non-zero within 90 s",
         f"{beyond['honest']} of {beyond['not_done']}{late}{zero}"),
        ("tasks where the relay lost to one of its parts",
         ", ".join(totals["loses_to_parts"]) or "none"),
        ("model load, apart from generation", _load(totals["model_load"])),
        ("replies cut at their token cap or stopped as loops", _cut(totals.get("cut_replies"))),
    ]  # fmt: skip
    return table(("figure", "measured"), rows)


def _cell(run: Mapping[str, Any] | None) -> str:
    if run is None:
        return "–"
    head = "**done**" if run["done"] else "not done"
    exit_ = "timeout" if run["timed_out"] else f"exit {run['exit']}"
    verdict = f", {run['verdict']}" if run["verdict"] else ""
    flag = " ⚠ dishonest" if run["dishonest"] else ""
    return f"{head} {run['wall_seconds']:.0f} s, {exit_}{verdict}{flag}"


def _tokens(run: Mapping[str, Any] | None) -> str:
    if run is None:
        return "–"
    tok = run["output_tokens"]
    return f"{tok['small']}/{tok['large']}"


def task_table(rows: Sequence[Mapping[str, Any]]) -> str:
    out = [
        (r["task"], r.get("kind", ""), "yes" if r["reach"] else "", _cell(r["relay"]),
         _cell(r["large_only"]),
         f"{r['probe']['passed']}/{r['probe']['tries']}" if r["probe"] else "–",
         "no" if r["loses_to_parts"] else "yes", _tokens(r["relay"]), _tokens(r["large_only"]))
        for r in rows
    ]  # fmt: skip
    head = ("task", "kind", "reach", "relay", "large-only", "small alone", "relay ≥ parts")
    return table((*head, "relay tok small/large", "large-only tok"), out)


def reasons(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    out = []
    for r in rows:
        for mode in ("relay", "large_only"):
            run = r[mode]
            if run and not run["done"] and run["reasons"]:
                name = mode.replace("_", "-")
                out.append(f"- {r['task']} ({name}): {'; '.join(run['reasons'])[:300]}")
    return out


def success_md(sec: Mapping[str, Any]) -> list[str]:
    totals = sec["totals"]
    why = reasons(sec["tasks"])
    return [
        "## Task success",
        "",
        DEFINITION,
        "",
        rate_table(totals),
        "",
        figures_table(totals),
        "",
        "Per task, the relay beside its parts (large-only, and the small model alone):",
        "",
        task_table(sec["tasks"]),
        *(["", "Why not done:", "", *why] if why else []),
    ]


def _measured(t: Mapping[str, Any]) -> str:
    if t.get("display") is not None:
        return str(t["display"])
    return pct(t["measured"]) if isinstance(t["measured"], float) else fmt(t["measured"])


def targets_table(targets: Mapping[str, Any]) -> str:
    rows = [
        (k.replace("_", " "), t["target"], _measured(t), "met" if t["met"] else "MISSED")
        for k, t in targets.items()
    ]
    return table(("figure", "target", "measured", "result"), rows)


def other_figures(data: Mapping[str, Any]) -> str:
    """The other sections' targets (measured when they were), and the hook latency."""
    rows = []
    for name in ("relay", "wellformed", "overhead", "diffscale"):
        sec = data.get(name) or {}
        when = str(sec.get("measured_at", "?"))[:10]
        for key, t in (sec.get("targets") or {}).items():
            result = "met" if t["met"] else "MISSED"
            rows.append(
                (f"{name}: {key.replace('_', ' ')}", t["target"], shown(name, key, t), result, when)
            )
    hooks = data.get("hooks") or {}
    for row in hooks.get("rows") or []:
        if row["command"].startswith("relay-git") and "cached" in row["command"]:
            got = f"{fmt(row['median_ms'])} ms ({fmt(row['x_git_diff'])}× `git diff --cached`)"
            rows.append((row["command"], "–", got, "", str(hooks.get("measured_at", "?"))[:10]))
    return table(("figure", "target", "measured", "result", "measured on"), rows)


def readme_section(data: Mapping[str, Any], chart: str | None = None) -> str:
    """The README's Performance section from latest.json: the done rate first."""
    sec, m = data.get("success"), data.get("machine") or {}
    out = ["## Performance", ""]
    tail = [f"![benchmark]({chart})", ""] if chart else []
    if not sec:
        empty = success_section([], set(), ("", ""))["totals"]
        out += ["Task success is not measured yet: run `python -m bench relay`.", ""]
        out += [rate_table(empty), "", DEFINITION, ""]
    else:
        load = sec.get("load_before") or ["?"], sec.get("load_after") or ["?"]
        out += [
            f"Measured {sec.get('measured_at', '?')} by `python -m bench relay` on "
            f"{m.get('cpu', '?')}, {m.get('cores', '?')} cores (load average {fmt(load[0][0])} → "
            f"{fmt(load[1][0])}), with the packaged models (SmolLM2-135M writes, Gemma 3 270M "
            "reviews). Full tables: [bench/results/latest.md](bench/results/latest.md).",
            "",
            rate_table(sec["totals"]),
            "",
            figures_table(sec["totals"]),
            "",
            DEFINITION,
            "",
            "Targets (issue 10):",
            "",
            targets_table(sec["targets"]),
            "",
        ]
    return "\n".join(
        [
            *out,
            *tail,
            "Other figures:",
            "",
            other_figures(data),
            "",
            "Reproduce: `pip install '.[local,bench]' && python -m bench relay`, then "
            "`python -m bench readme` to redraw this section. Every run is capped (180 s within "
            "reach, 90 s beyond): the 16 tasks in two modes take at most about an hour, plus up to "
            "10 min for the probe; `python -m bench relay --resume` continues an interrupted "
            "run.",
            "",
        ]
    )
