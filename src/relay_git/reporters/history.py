"""The run history as text: one line per run, and the savings table of ``log --stats``."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from relay_git.history.stats import ModelStats, Stats
from relay_git.history.store import Run
from relay_git.reporters.ledger import _short
from relay_git.util.text import printable


def _cell(text: str) -> str:
    """Stored text on one line with no terminal escapes (a repository path is anyone's)."""
    return printable(text).replace("\n", "\\n").replace("\t", "\\t")


def _table(rows: Sequence[Sequence[str]], numeric: frozenset[int]) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return [
        "  ".join(
            c.rjust(widths[i]) if i in numeric else c.ljust(widths[i]) for i, c in enumerate(r)
        ).rstrip()
        for r in rows
    ]


def runs(history: Sequence[Run], path: Path) -> str:
    if not history:
        return f"no runs logged yet ({_cell(str(path))})\n"
    rows = [("time", "command", "exit", "findings", "tokens", "seconds", "reviewer", "repo")]
    for r in history:
        tokens = sum(e.prompt_tokens + e.output_tokens for e in r.ledger)
        rows.append(
            (
                _cell(r.time.replace("+00:00", "Z")),
                _cell(r.command),
                "-" if r.exit_code is None else str(r.exit_code),
                "-" if r.findings is None else str(r.findings),
                str(tokens),
                f"{r.wall_seconds:.1f}",
                _cell(_short(r.reviewer)),
                _cell(r.repo),
            )
        )
    return "\n".join(_table(rows, frozenset({2, 3, 4, 5}))) + "\n"


def _seconds(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f}"


def _dollars(value: float | None) -> str:
    return "-" if value is None else f"${value:.4f}"


def _row(m: ModelStats, priced: bool) -> tuple[str, ...]:
    row = (
        _cell(_short(m.model)),
        str(m.calls),
        str(m.prompt_tokens),
        str(m.output_tokens),
        f"{m.tokens_per_second:.1f}",
        f"{m.seconds:.1f}",
        _seconds(m.seconds_if_large),
    )
    return (*row, _dollars(m.cost), _dollars(m.cost_if_large)) if priced else row


def stats(result: Stats, path: Path) -> str:
    if not result.models:
        return f"no model calls logged yet ({_cell(str(path))})\n"
    priced = any(m.cost is not None or m.cost_if_large is not None for m in result.models)
    header = ("model", "calls", "prompt tok", "output tok", "tok/s", "seconds", "if large")
    rows: list[tuple[str, ...]] = [header + (("cost", "if large $") if priced else ())]
    rows += [_row(m, priced) for m in result.models]
    total = ModelStats(
        "total", sum(m.calls for m in result.models),
        sum(m.prompt_tokens for m in result.models), sum(m.output_tokens for m in result.models),
        result.seconds, result.seconds_if_large, result.cost, result.cost_if_large,
    )  # fmt: skip
    rows.append(_row(total, priced))
    lines = [f"{result.runs} run(s) logged in {_cell(str(path))}", ""]
    lines += _table(rows, frozenset(range(1, len(rows[0]))))
    lines += ["", _verdict(result)]
    if result.unmeasured:
        lines.append(
            "not comparable (no measured speed for the large model): "
            + ", ".join(_cell(u) for u in result.unmeasured)
        )
    return "\n".join(lines) + "\n"


def _verdict(result: Stats) -> str:
    """``the relay took 120.0 s; the large model alone would have taken 410.3 s (3.4x)``."""
    alone = result.seconds_if_large
    if alone is None:
        return f"model time: {result.seconds:.1f} s (large-model-alone time not measurable)"
    ratio = f" ({alone / result.seconds:.1f}x)" if result.seconds > 0 else ""
    line = (
        f"the relay took {result.seconds:.1f} s of model time; the large model alone "
        f"would have taken {alone:.1f} s{ratio}"
    )
    if result.cost is not None and result.cost_if_large is not None:
        line += f"; cost ${result.cost:.4f} vs ${result.cost_if_large:.4f}"
    return line
