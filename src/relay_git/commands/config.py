"""``relay-git config show``: each effective setting and where it came from."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import asdict, is_dataclass
from pathlib import Path
from typing import Any

import click

from relay_git.config import FIELDS, Resolved, resolve, trust
from relay_git.errors import UsageError
from relay_git.git.repo import Repository


@click.group()
def config() -> None:
    """Inspect relay-git's configuration (see docs/configuration.md for every key)."""


@config.command("show")
@click.option("--json", "as_json", is_flag=True, help="One JSON object, for scripts.")
@click.option("--coder", metavar="SPEC", help="As the same flag of review/scaffold would set it.")
@click.option(
    "--reviewer", metavar="SPEC", help="As the same flag of review/scaffold would set it."
)
def show(as_json: bool, coder: str | None, reviewer: str | None) -> int:
    """Print each effective setting and its source: a flag, an environment variable, a file
    (your user config, .relay-git.toml, pyproject.toml) or the default.

    \b
    Examples:
      relay-git config show
      relay-git config show --json | jq .settings.reviewer
      RELAY_GIT_JOBS=4 relay-git config show     # source: RELAY_GIT_JOBS
    """
    try:
        root: Path | None = Repository.discover(Path.cwd()).root
    except UsageError:
        root = None
    environ = dict(os.environ)
    resolved = resolve(root, environ, {"coder": coder, "reviewer": reviewer})
    approved = root is not None and trust.is_trusted(root, environ)
    click.echo(as_json_text(resolved, approved) if as_json else as_text(resolved, approved))
    return 0


def _plain(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return asdict(value)
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return list(value)
    return value


def settings(resolved: Resolved) -> dict[str, dict[str, Any]]:
    return {
        key: {"value": _plain(getattr(resolved.config, key)), "source": resolved.sources[key]}
        for key in FIELDS
    }


def as_json_text(resolved: Resolved, approved: bool) -> str:
    payload = {
        "settings": settings(resolved),
        "repository": str(resolved.root) if resolved.root else None,
        "trusted": approved,
        "ignored": list(resolved.notices),
    }
    return json.dumps(payload, indent=2)


def trust_state(resolved: Resolved, approved: bool) -> str:
    if approved:
        return "trusted"
    if resolved.notices:
        return f"not trusted: {len(resolved.notices)} setting(s) ignored; {trust.HOW}"
    return "not trusted (nothing it sets needs trust)"


def as_text(resolved: Resolved, approved: bool) -> str:
    rows = settings(resolved)
    width = max(len(key) for key in rows)
    lines = [
        f"{key:<{width}}  {json.dumps(row['value'])}  ({row['source']})"
        for key, row in rows.items()
    ]
    if resolved.root is not None:
        lines.append(f"repository: {resolved.root}: {trust_state(resolved, approved)}")
    lines += [line.removeprefix("relay-git: ") for line in resolved.notices]
    return "\n".join(lines)
