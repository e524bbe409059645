"""``relay-git models``: what each configured backend serves, with the coder and reviewer marked."""

from __future__ import annotations

import json

import click

from relay_git.cli_support.common import build_app
from relay_git.errors import BackendUnavailable


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def models(ctx: click.Context, as_json: bool) -> int:
    """List the models each configured backend serves; mark the coder and reviewer.

    \b
    Examples:
      relay-git models                # Ollama, the packaged GGUF files, and any API you set up
      relay-git models --json
      OLLAMA_HOST=gpu-box:11434 relay-git models

    Asks Ollama (GET /api/tags), an OpenAI-compatible server (GET /v1/models) when a
    base URL or OPENAI_API_KEY is set, Anthropic (GET /v1/models) when ANTHROPIC_API_KEY
    is set, and lists the packaged llama.cpp models. A backend that cannot be asked is
    listed with the reason. Exits 3 when the coder's or reviewer's backend cannot be
    asked or does not serve its model, else 0.
    """
    from relay_git.models.base import BackendOptions, parse_spec
    from relay_git.models.listing import list_backend, roles_served, wanted
    from relay_git.reporters.models import render

    app = build_app(ctx)
    cfg = app.config
    roles = {"coder": cfg.coder, "reviewer": cfg.reviewer}
    options = BackendOptions(app.environ, cfg.openai_base_url, cfg.timeout, cfg.max_context)
    names = wanted(roles, app.environ, cfg.openai_base_url)
    listings = [list_backend(name, roles, options) for name in names]
    found = roles_served(listings, roles)
    if as_json:
        data = {"roles": roles, "backends": [x.to_dict() for x in listings]}
        click.echo(json.dumps(data, indent=2))
    else:
        full = {role: parse_spec(spec).full for role, spec in roles.items()}
        click.echo(render(listings, full, found).rstrip("\n"))
    failed = [x.backend for x in listings if x.error is not None]
    unserved = any(v is False for v in found.values()) or _role_failed(roles, failed)
    return BackendUnavailable.exit_code if unserved else 0  # a report: the code, not a raise


def _role_failed(roles: dict[str, str], failed: list[str]) -> bool:
    from relay_git.models.base import parse_spec

    return any(parse_spec(spec).backend in failed for spec in roles.values())
