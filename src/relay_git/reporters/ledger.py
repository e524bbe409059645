"""The model-usage ledger as a compact plain-text table (and rows the Markdown table reuses)."""

from __future__ import annotations

from collections.abc import Sequence

from relay_git.types import LedgerEntry, totals

HEADER = ("stage", "role", "model", "prompt tok", "output tok", "seconds", "tok/s", "ctx")
NUMERIC = frozenset(range(3, 8))  # right-aligned columns
MODEL_WIDTH = 48  # a llamacpp spec is a whole path: keep its end, the file name


def _short(model: str) -> str:
    return model if len(model) <= MODEL_WIDTH else "…" + model[-(MODEL_WIDTH - 1) :]


def rows(entries: Sequence[LedgerEntry]) -> list[tuple[str, ...]]:
    """One row per entry, then one ``total`` row per model."""
    out: list[tuple[str, ...]] = [
        (
            e.stage,
            e.role,
            _short(e.model),
            str(e.prompt_tokens),
            str(e.output_tokens),
            f"{e.seconds:.2f}",
            f"{e.tokens_per_second:.1f}",
            str(e.context),
        )
        for e in entries
    ]
    for t in totals(entries):
        calls = f"{t.calls} call" + ("" if t.calls == 1 else "s")
        out.append(
            (
                "total",
                calls,
                _short(t.model),
                str(t.prompt_tokens),
                str(t.output_tokens),
                f"{t.seconds:.2f}",
                f"{t.tokens_per_second:.1f}",
                "",
            )
        )
    return out


def render_table(entries: Sequence[LedgerEntry]) -> str:
    if not entries:
        return "no model calls\n"
    table = [HEADER, *rows(entries)]
    widths = [max(len(row[i]) for row in table) for i in range(len(HEADER))]
    lines = []
    for row in table:
        cells = [
            cell.rjust(widths[i]) if i in NUMERIC else cell.ljust(widths[i])
            for i, cell in enumerate(row)
        ]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines) + "\n"
