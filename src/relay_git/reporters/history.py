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


def _when(r: Run) -> str:
    return r.time.replace("+00:00", "Z")


def runs(history: Sequence[Run], path: Path, scope: str = "") -> str:
    """One line per run; ``scope`` says which runs were asked for when none are found."""
    if not history:
        return f"no runs logged{scope} ({_cell(str(path))})\n"
    rows = [
        ("time", "command", "exit", "verdict", "findings", "tokens", "seconds", "reviewer", "repo")
    ]
    for r in history:
        tokens = sum(e.prompt_tokens + e.output_tokens for e in r.ledger)
        rows.append(
            (
                _cell(_when(r)),
                _cell(r.kind),
                "-" if r.exit_code is None else str(r.exit_code),
                r.verdict or "-",
                "-" if r.findings is None else str(r.findings),
                str(tokens),
                f"{r.wall_seconds:.1f}",
                _cell(_short(r.reviewer)),
                _cell(r.repo),
            )
        )
    return "\n".join(_table(rows, frozenset({2, 4, 5, 6}))) + "\n"


def findings(history: Sequence[Run], path: Path, scope: str = "") -> str:
    """Each run's verdict, then what its review said: ``path:line severity message``."""
    reviewed = [r for r in history if r.verdict or r.said]
    if not reviewed:
        return f"no reviews logged{scope} ({_cell(str(path))})\n"
    out: list[str] = []
    for r in reviewed:
        out.append(f"{_when(r)}  {r.kind}  {_cell(r.verdict or '-')}  {_cell(r.repo)}")
        out += [f"  {_cell(f.path)}:{f.line} {f.severity.value} {_cell(f.message)}" for f in r.said]
        if r.findings and len(r.said) < r.findings:
            out.append(f"  ({r.findings - len(r.said)} finding(s) logged before they were kept)")
    return "\n".join(out) + "\n"


def _tps(value: float | None) -> str:
    return "?" if value is None else f"{value:.1f}"


def _dollars(value: float | None) -> str:
    return "-" if value is None else f"${value:.4f}"


def _row(m: ModelStats, priced: bool) -> tuple[str, ...]:
    row = (
        _cell(_short(m.model)),
        str(m.calls),
        str(m.prompt_tokens),
        str(m.output_tokens),
        _tps(m.prefill_tps),
        _tps(m.decode_tps),
        f"{m.seconds:.1f}",
    )
    return (*row, _dollars(m.cost), _dollars(m.cost_if_large)) if priced else row


def stats(result: Stats, path: Path) -> str:
    if not result.models:
        return f"no model calls logged yet ({_cell(str(path))})\n"
    priced = any(m.cost is not None or m.cost_if_large is not None for m in result.models)
    header = ("model", "calls", "prompt tok", "output tok", "prefill/s", "decode/s", "seconds")
    rows: list[tuple[str, ...]] = [header + (("cost", "if large $") if priced else ())]
    rows += [_row(m, priced) for m in result.models]
    total = ModelStats(
        "total", sum(m.calls for m in result.models),
        sum(m.prompt_tokens for m in result.models), sum(m.output_tokens for m in result.models),
        result.seconds, None, None, result.cost, result.cost_if_large,
    )  # fmt: skip
    total_row = _row(total, priced)
    rows.append((*total_row[:4], "", "", *total_row[6:]))
    lines = [f"{result.runs} run(s) in {_cell(str(path))}", ""]
    lines += _table(rows, frozenset(range(1, len(rows[0]))))
    return "\n".join([*lines, "", _verdict(result)]) + "\n"


def _verdict(result: Stats) -> str:
    """``3 scaffold run(s): the relay took 120.0 s of model time; the large model alone
    would have taken 410.3 s (3.4x)``, or why there is nothing to compare."""
    relay, alone = result.relay_seconds, result.alone_seconds
    if relay is None or alone is None:
        line = f"large model alone: not compared ({result.no_comparison})"
    else:
        ratio = f" ({alone / relay:.1f}x)" if relay > 0 else ""
        line = (
            f"{result.scaffold_runs} scaffold run(s): the relay took {relay:.1f} s of model "
            f"time; the large model alone would have taken {alone:.1f} s{ratio}"
        )
    if result.cost is not None and result.cost_if_large is not None:
        line += f"; cost ${result.cost:.4f} vs ${result.cost_if_large:.4f} on the large model"
    return line
