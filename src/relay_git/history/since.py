"""``--since``: an ISO date or time, or an age such as ``7d`` or ``2w``, as a UTC instant."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from relay_git.errors import UsageError

_AGE = re.compile(r"(\d+)\s*([mhdw])", re.IGNORECASE)
_UNIT = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
HINT = "use an ISO date (2026-01-31), a time (2026-01-31T09:00), or an age: 30m, 12h, 7d, 2w"


def parse_since(text: str, now: datetime | None = None) -> str:
    """The instant ``text`` names, in the history's format (ISO 8601, UTC, seconds).

    A date or time without a zone is taken as UTC, like the times the history shows.
    """
    raw = text.strip()
    age = _AGE.fullmatch(raw)
    if age:
        delta = timedelta(**{_UNIT[age.group(2).lower()]: int(age.group(1))})
        when = (now or datetime.now(UTC)) - delta
    else:
        try:
            when = datetime.fromisoformat(raw.replace("Z", "+00:00"))
        except ValueError:
            raise UsageError(f"--since {text!r} is not a date, a time or an age", HINT) from None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC).isoformat(timespec="seconds")
