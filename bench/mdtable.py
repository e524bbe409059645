"""Markdown tables and the figures in them: shared by the report (report.py) and the headline
and README section (headline.py), so neither imports the other for them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

Row = Sequence[object]


def fmt(value: object) -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) < 100 else f"{value:.0f}"
    return str(value)


def pct(value: object) -> str:
    return "–" if not isinstance(value, int | float) else f"{100 * value:.1f}%"


def table(header: Row, rows: Sequence[Row]) -> str:
    out = ["| " + " | ".join(str(h) for h in header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(fmt(c) for c in row) + " |" for row in rows]
    return "\n".join(out)


def shown(name: str, key: str, t: Mapping[str, Any]) -> str:
    """A target's measured figure as the tables show it."""
    if t.get("display"):
        return str(t["display"])
    if key == "ratio_vs_prediction":
        return f"{fmt(t.get('measured'))} vs {fmt(t.get('predicted'))} predicted"
    return pct(t.get("measured"))
