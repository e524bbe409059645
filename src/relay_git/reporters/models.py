"""``relay-git models`` as text: one block per backend, the coder and reviewer marked.

``roles`` map a role to its model's full spec (``ollama:NAME``, never a bare name)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from relay_git.types import Listing


def _marks(listing: Listing, roles: Mapping[str, str]) -> dict[str, list[str]]:
    """Listed spec -> the roles it plays (Ollama's ``name`` is ``name:latest``)."""
    marks: dict[str, list[str]] = {}
    for role, full in roles.items():
        for listed in listing.models:
            if listed in (full, f"{full}:latest") or full == f"{listed}:latest":
                marks.setdefault(listed, []).append(role)
    return marks


def _block(listing: Listing, roles: Mapping[str, str]) -> list[str]:
    head = f"{listing.backend}  {listing.where}"
    if listing.error is not None:
        return [f"{head}  unavailable: {listing.error}"]
    if not listing.models:
        return [head, "  (no models)"]
    marks = _marks(listing, roles)
    width = max(len(m) for m in listing.models)
    lines = [head]
    for spec in listing.models:
        extra = [*(f"<- {r}" for r in marks.get(spec, [])), *_note(listing, spec)]
        lines.append(f"  {spec.ljust(width)}  {'  '.join(extra)}".rstrip())
    return lines


def _note(listing: Listing, spec: str) -> list[str]:
    note = listing.notes.get(spec)
    return [f"({note})"] if note else []


def render(
    listings: Sequence[Listing], roles: Mapping[str, str], found: Mapping[str, bool | None]
) -> str:
    lines: list[str] = []
    for listing in listings:
        lines += [*_block(listing, roles), ""]
    for role, spec in roles.items():
        if found.get(role) is False:
            lines.append(f"{role} {spec}: not served by its backend")
    return "\n".join(lines).rstrip("\n") + "\n"
