"""``python -m bench readme``: redraw README.md's Performance section from latest.json.

The section runs from its ``## Performance`` heading to the next ``## `` heading; the
rest of the README is left byte for byte as it was.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from bench.headline import readme_section

README = Path(__file__).resolve().parent.parent / "README.md"
HEADING = "## Performance"
CHART = "bench/results/latest.png"  # relative to the README


def replace_section(text: str, section: str) -> str:
    """``text`` with its Performance section replaced by ``section`` (appended if absent)."""
    lines = text.splitlines(keepends=True)
    starts = [i for i, ln in enumerate(lines) if ln.rstrip() == HEADING]
    body = section.rstrip("\n") + "\n\n"
    if not starts:
        return text.rstrip("\n") + "\n\n" + body.rstrip("\n") + "\n"
    start = starts[0]
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
    tail = "".join(lines[end:])
    return "".join(lines[:start]) + (body if tail else body.rstrip("\n") + "\n") + tail


def update(data: Mapping[str, Any], path: Path = README) -> Path:
    chart = CHART if (path.parent / CHART).is_file() else None
    path.write_text(replace_section(path.read_text(), readme_section(data, chart)))
    return path
