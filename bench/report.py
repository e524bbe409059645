"""latest.json -> latest.md (dated tables, machine, targets) and latest.png (the chart)."""

from __future__ import annotations

import datetime as dt
import os
import platform
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from bench.headline import success_md
from bench.mdtable import Row, pct, shown, table


def machine() -> dict[str, Any]:
    """What the numbers were measured on."""
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1e9
    return {
        "cpu": cpu or platform.processor() or platform.machine(),
        "cores": os.cpu_count(),
        "memory_gb": round(mem_gb, 1),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "llama_cpp_python": _version("llama_cpp_python"),
        "git": _git_version(),
    }


def _version(dist: str) -> str | None:
    from importlib import metadata

    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def _git_version() -> str:
    proc = subprocess.run(["git", "--version"], capture_output=True, text=True, check=False)
    return proc.stdout.strip().removeprefix("git version ")


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


# ------------------------------------------------------------------------ markdown


def _names(items: Sequence[str] | None) -> str:
    return ", ".join(items) if items else "none"


def _relay_md(sec: Mapping[str, Any]) -> list[str]:
    header = (
        *("task", "relay s", "large-only s", "ratio", "predicted", "pred. w/o prefill"),
        *("small tok", "large tok", "large share", "large-only tok", "exits"),
    )

    def row(r: Mapping[str, Any]) -> Row:
        return (
            r["task"], r["relay_seconds"], r["large_only_seconds"], r["wall_ratio"],
            r["prediction"], r["predicted_seed"], r["small_output_tokens"],
            r["large_output_tokens"], pct(r["large_share"]), r["large_only_output_tokens"],
            f"{r['relay_exit']}/{r['large_only_exit']}",
        )  # fmt: skip

    rows = [row(r) for r in sec["tasks"]]
    if sec.get("total"):
        rows.append(row({**sec["total"], "task": "**total**"}))
    return [
        "## 1. Relay vs large-only",
        "",
        table(header, rows),
        "",
        "ratio = relay / large-only wall time. predicted = the seed's formula over the relay "
        "run's calls, each costed at its model's fitted prefill and decode rates, against the "
        "same calls all on the large model; w/o prefill = output tokens only "
        f"({sec.get('speed_basis', '')}). Exits: relay/large-only exit codes, -1 = stopped "
        "by the bench's per-run timeout (in the total row: the number of failed runs). "
        f"The total leaves out pairs with a stopped run: {_names(sec.get('total_excludes'))}.",
        "",
        _speeds_md(sec["speeds"]),
    ]


def _speeds_md(speeds: Sequence[Mapping[str, Any]]) -> str:
    head = ("model", "calls", "prompt tok", "output tok", "ledger tok/s", "decode tok/s")
    rows = [
        (s["model"].rsplit("/", 1)[-1], s["calls"], s["prompt_tokens"], s["output_tokens"],
         s["ledger_tps"], s["decode_tps"], s["prefill_tps"], s["load_seconds"])
        for s in speeds
    ]  # fmt: skip
    return table((*head, "prefill tok/s", "load s"), rows)


def _wellformed_md(sec: Mapping[str, Any]) -> list[str]:
    rows = [
        (r["stage"], r["model"].rsplit("/", 1)[-1], r["replies"], pct(r["first_try_rate"]),
         pct(r["eventual_rate"]))
        for r in sec["by_stage_and_model"]
    ]  # fmt: skip
    out = ["## 2. Well-formed structured replies", ""]
    out.append(table(("stage", "model", "replies", "first try", "after retries"), rows))
    drafts = sec.get("drafts") or {}
    if drafts.get("drafts"):
        out += [
            "",
            f"Fenced code and test drafts (samples, counted apart: an unusable one is dropped, "
            f"never retried): {drafts['usable']} of {drafts['drafts']} held a usable block "
            f"({pct(drafts['usable_rate'])}).",
        ]
    if sec["runs_without_outcomes"]:
        out += ["", f"Runs that reported no outcomes: {', '.join(sec['runs_without_outcomes'])}."]
    return out


def _overhead_md(sec: Mapping[str, Any]) -> list[str]:
    rows = [
        (r["task"], r["mode"], r["wall_seconds"], r["model_seconds"], r["test_seconds"],
         r["fixed_seconds"], pct(r["overhead"]), pct(r["overhead_excluding_fixed"]))
        for r in sec["runs"]
    ]  # fmt: skip
    cal = sec["calibration"]
    return [
        "## 3. Tool overhead",
        "",
        table(
            (
                "task",
                "mode",
                "wall s",
                "model s",
                "tests s",
                "start+load s",
                "overhead",
                "excl. start+load",
            ),
            rows,
        ),
        "",
        "Runs stopped by the timeout are left out of the total (their last model call never "
        f"reached the ledger): {_names(sec.get('total_excludes'))}.",
        "",
        f"Total: {pct(sec['total_overhead'])} of wall time is neither a model call nor the "
        f"test command; {pct(sec['total_overhead_excluding_fixed'])} without interpreter "
        f"start-up ({cal['startup_seconds']} s) and model loading (small "
        f"{cal['small_load_seconds']} s, large {cal['large_load_seconds']} s).",
    ]


def _hooks_md(sec: Mapping[str, Any]) -> list[str]:
    out = ["## 4. Hook latency", ""]
    if not sec.get("available"):
        return [*out, f"Not available: {sec.get('note', '')}"]
    rows = [(r["command"], r["median_ms"], r["x_git_diff"]) for r in sec.get("rows") or []]
    if not rows:
        return [*out, "```", str(sec.get("text", "")).strip(), "```"]
    head = ("command (median of 10 process runs)", "median ms", "× `git diff --cached`")
    return [*out, table(head, rows), "", "From bench/hook_latency.py (the hooks helper's)."]


def _diffscale_md(sec: Mapping[str, Any]) -> list[str]:
    rows = [
        (c["shape"], c["lines"], c["files"], c["hunks"], c["parse_s"], c["filter_s"],
         c["chunk_s"], c["map_s"], c["total_s"], c["traced_peak_mb"], c["rss_mb"])
        for c in sec["cases"]
    ]  # fmt: skip
    exps = [
        (shape, e["total"], e["parse"], e["filter"], e["chunk"], e["map"])
        for shape, e in sec["exponents"].items()
    ]
    return [
        "## 5. Diff scale",
        "",
        table(
            (
                "shape",
                "changed lines",
                "files",
                "hunks",
                "parse s",
                "filter s",
                "chunk s",
                "map s",
                "total s",
                "traced MB",
                "RSS MB",
            ),
            rows,
        ),
        "",
        "Fitted exponent (time ~ lines^k, log-log least squares):",
        "",
        table(("shape", "total", "parse", "filter", "chunk", "map"), exps),
    ]


def _targets_md(data: Mapping[str, Any]) -> list[str]:
    rows = []
    for name in ("success", "relay", "wellformed", "overhead", "diffscale"):
        sec = data.get(name) or {}
        for key, t in (sec.get("targets") or {}).items():
            verdict = "met" if t["met"] else "MISSED"
            rows.append((f"{name}: {key}", t["target"], shown(name, key, t), verdict))
    return ["## Targets", "", table(("figure", "target", "measured", "result"), rows)]


SECTIONS: dict[str, Callable[[Mapping[str, Any]], list[str]]] = {
    "success": success_md,
    "relay": _relay_md,
    "wellformed": _wellformed_md,
    "overhead": _overhead_md,
    "hooks": _hooks_md,
    "diffscale": _diffscale_md,
}


def markdown(data: Mapping[str, Any], chart: str | None) -> str:
    m = data.get("machine", {})
    out = [
        "# relay-git benchmark",
        "",
        f"Written {data.get('written', '?')} by `python -m bench`. Machine: {m.get('cpu')}, "
        f"{m.get('cores')} cores, {m.get('memory_gb')} GB RAM, {m.get('os')}, Python "
        f"{m.get('python')}, llama-cpp-python {m.get('llama_cpp_python')}, git {m.get('git')}.",
    ]
    if data.get("models"):
        small, large = data["models"]["small"], data["models"]["large"]
        out += ["", f"Models: small `{small}`, large `{large}` (temperature 0, seed 0)."]
    if chart:
        out += ["", f"![headline figures]({chart})"]
    out += ["", *_targets_md(data)]
    for name, render in SECTIONS.items():
        sec = data.get(name)
        if sec:
            when = sec.get("measured_at", "?")
            load = sec.get("load_before"), sec.get("load_after")
            out += [
                "",
                *render(sec),
                "",
                f"_Measured {when}; load average {load[0]} -> {load[1]}._",
            ]
    return "\n".join(out) + "\n"


def write(data: Mapping[str, Any], out_dir: Path, chart: bool = True) -> list[Path]:
    """latest.json, latest.md and (when matplotlib is there) latest.png in ``out_dir``."""
    import json

    out_dir.mkdir(parents=True, exist_ok=True)
    written = [out_dir / "latest.json"]
    written[0].write_text(json.dumps(data, indent=2, sort_keys=False) + "\n")
    png: str | None = None
    if chart:
        from bench import chart as chart_mod

        path = chart_mod.draw(data, out_dir / "latest.png")
        if path is not None:
            png, written = path.name, [*written, path]
        else:
            print("bench: matplotlib is not installed; no chart", file=sys.stderr)
    (out_dir / "latest.md").write_text(markdown(data, png))
    return [*written, out_dir / "latest.md"]
