"""The headline figures as one PNG (matplotlib, the ``bench`` extra; headless Agg backend)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any


def draw(data: Mapping[str, Any], path: Path) -> Path | None:
    """Draw whichever sections ``data`` has; None when matplotlib is not installed."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    panels = [
        (name, fn)
        for name, fn in (
            ("success", _success),
            ("relay", _wall),
            ("relay", _tokens),
            ("relay", _ratio),
            ("wellformed", _wellformed),
            ("overhead", _overhead),
            ("diffscale", _diffscale),
        )
        if data.get(name) and (name not in ("relay", "success") or data[name].get("tasks"))
    ]
    if not panels:
        return None
    cols = min(3, len(panels))
    rows = -(-len(panels) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(5.2 * cols, 4.0 * rows), squeeze=False)
    flat = [ax for row in axes for ax in row]
    for ax, (name, fn) in zip(flat, panels, strict=False):
        fn(ax, data[name])
    for ax in flat[len(panels) :]:
        ax.axis("off")
    fig.suptitle(f"relay-git benchmark — {data.get('written', '')}", fontsize=11)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _names(sec: Mapping[str, Any]) -> list[str]:
    return [r["task"] for r in sec["tasks"]]


def _success(ax: Any, sec: Mapping[str, Any]) -> None:
    """Per task: relay done, large-only done, and the small model's probe pass rate."""
    rows = sec["tasks"]
    xs = range(len(rows))

    def done(run: Mapping[str, Any] | None) -> float:
        return 1.0 if run and run["done"] else 0.0

    probe = [r["probe"]["passed"] / r["probe"]["tries"] if r["probe"] else 0.0 for r in rows]
    ax.bar([x - 0.27 for x in xs], [done(r["relay"]) for r in rows], 0.27, label="relay")
    ax.bar([x for x in xs], [done(r["large_only"]) for r in rows], 0.27, label="large-only")
    ax.bar([x + 0.27 for x in xs], probe, 0.27, label="small alone (probe rate)")
    names = [f"{r['task']}{' *' if r['reach'] else ''}" for r in rows]
    ax.set_xticks(list(xs), names, rotation=45, ha="right", fontsize=7)
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("done (1) / not done (0); probe: pass rate")
    ax.set_title("task success (* within the small model's reach)")
    ax.legend(fontsize=7)


def _wall(ax: Any, sec: Mapping[str, Any]) -> None:
    names = _names(sec)
    xs = range(len(names))
    ax.bar([x - 0.2 for x in xs], [r["relay_seconds"] for r in sec["tasks"]], 0.4, label="relay")
    ax.bar(
        [x + 0.2 for x in xs],
        [r["large_only_seconds"] for r in sec["tasks"]],
        0.4,
        label="large-only",
    )
    ax.set_xticks(list(xs), names, rotation=45, ha="right", fontsize=7)
    ax.set_ylabel("wall seconds")
    ax.set_title("scaffold wall time")
    ax.legend(fontsize=8)


def _tokens(ax: Any, sec: Mapping[str, Any]) -> None:
    names = _names(sec)
    small = [r["small_output_tokens"] for r in sec["tasks"]]
    large = [r["large_output_tokens"] for r in sec["tasks"]]
    ax.bar(names, small, label="small model")
    ax.bar(names, large, bottom=small, label="large model")
    for i, r in enumerate(sec["tasks"]):
        if r["large_share"] is not None:
            ax.text(
                i, small[i] + large[i], f"{100 * r['large_share']:.0f}%", ha="center", fontsize=6
            )
    ax.tick_params(axis="x", labelrotation=45, labelsize=7)
    ax.set_ylabel("output tokens (relay mode)")
    ax.set_title("who writes: large share labelled (target <= 10%)")
    ax.legend(fontsize=8)


def _ratio(ax: Any, sec: Mapping[str, Any]) -> None:
    rows = [*sec["tasks"], {**sec["total"], "task": "TOTAL"}] if sec.get("total") else sec["tasks"]
    names = [r["task"] for r in rows]
    xs = list(range(len(names)))
    ax.plot(xs, [r["wall_ratio"] for r in rows], "o", label="measured wall ratio")
    ax.plot(xs, [r["prediction"] for r in rows], "x", label="seed prediction")
    lo = [None if r["prediction"] is None else 0.8 * r["prediction"] for r in rows]
    hi = [None if r["prediction"] is None else 1.2 * r["prediction"] for r in rows]
    ax.vlines(xs, lo, hi, colors="grey", alpha=0.6, linewidth=6, label="±20% band")
    ax.axhline(1.0, color="black", linewidth=0.5)
    ax.set_xticks(xs, names, rotation=45, ha="right", fontsize=7)
    ax.set_ylabel("relay / large-only")
    ax.set_title("wall-time ratio vs the seed's formula")
    ax.legend(fontsize=7)


def _wellformed(ax: Any, sec: Mapping[str, Any]) -> None:
    rows = sec["by_stage"]
    names = [r["stage"] for r in rows]
    xs = range(len(names))
    ax.bar([x - 0.2 for x in xs], [r["first_try_rate"] or 0 for r in rows], 0.4, label="first try")
    ax.bar(
        [x + 0.2 for x in xs], [r["eventual_rate"] or 0 for r in rows], 0.4, label="after retries"
    )
    ax.set_xticks(list(xs), names, rotation=30, ha="right", fontsize=8)
    ax.set_ylim(0, 1.05)
    ax.set_title("well-formed structured replies")
    ax.legend(fontsize=8)


def _overhead(ax: Any, sec: Mapping[str, Any]) -> None:
    runs = sec["runs"]
    short = {"relay": "R", "large-only": "L"}
    labels = [
        f"{r['task']} {short.get(r['mode'], r['mode'])}{' *' if r.get('timed_out') else ''}"
        for r in runs
    ]
    model = [r["model_seconds"] for r in runs]
    tests = [r["test_seconds"] for r in runs]
    rest = [max(r["wall_seconds"] - m - t, 0) for r, m, t in zip(runs, model, tests, strict=True)]
    ax.barh(labels, model, label="model calls")
    ax.barh(labels, tests, left=model, label="test command")
    ax.barh(labels, rest, left=[m + t for m, t in zip(model, tests, strict=True)], label="other")
    ax.tick_params(axis="y", labelsize=6)
    ax.set_xlabel("wall seconds (R relay, L large-only, * stopped at the timeout)")
    ax.set_title("where scaffold time goes")
    ax.legend(fontsize=7)


def _diffscale(ax: Any, sec: Mapping[str, Any]) -> None:
    for shape, k in sec["exponents"].items():
        rows = [c for c in sec["cases"] if c["shape"] == shape]
        ax.loglog(
            [c["lines"] for c in rows],
            [c["total_s"] for c in rows],
            "o-",
            label=f"{shape} (k={k['total']})",
        )
    ax.axhline(sec["target"]["seconds"], color="red", linewidth=0.8, label="2 s target")
    ax.set_xlabel("changed lines")
    ax.set_ylabel("parse+filter+chunk+map seconds")
    ax.set_title("diff scale")
    ax.legend(fontsize=7)
