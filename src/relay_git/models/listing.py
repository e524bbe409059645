"""What each configured backend serves, for ``relay-git models``.

Each network backend lists its own models (``served()``: Ollama ``GET /api/tags``, an
OpenAI-compatible ``GET /v1/models``, Anthropic ``GET /v1/models``); llama.cpp lists the
packaged GGUF files and any configured path. A backend that cannot be asked is listed
with the one-line reason. Listing asks once, without retries, within a short timeout.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Mapping, Sequence
from pathlib import Path

from relay_git.errors import BackendUnavailable
from relay_git.models import _http
from relay_git.models.base import BACKENDS, BackendOptions, Listable, ModelSpec, parse_spec
from relay_git.types import Listing

LIST_TIMEOUT = 10.0


def wanted(roles: Mapping[str, str], environ: Mapping[str, str], base_url: str | None) -> list[str]:
    """The backends worth listing: the roles' own, Ollama (the default), the packaged
    models, OpenAI when a base URL or key is set, Anthropic when its key is set."""
    names = {parse_spec(spec).backend for spec in roles.values()} | {"ollama", "llamacpp"}
    if base_url or any(environ.get(v) for v in ("OPENAI_BASE_URL", "OPENAI_API_KEY")):
        names.add("openai")
    if environ.get("ANTHROPIC_API_KEY"):
        names.add("anthropic")
    return [name for name in BACKENDS if name in names]


def list_backend(name: str, roles: Mapping[str, str], options: BackendOptions) -> Listing:
    if name == "llamacpp":
        return _llamacpp(roles, options.environ)
    role_spec = next((s for s in roles.values() if parse_spec(s).backend == name), None)
    spec = parse_spec(role_spec) if role_spec else ModelSpec(name, "*")
    quick = BackendOptions(
        options.environ, options.openai_base_url, min(options.timeout, LIST_TIMEOUT)
    )
    backend = BACKENDS[name].create(spec, quick, _http.RetryPolicy(attempts=1))
    where = str(getattr(backend, "base_url", None) or getattr(backend, "host", ""))
    if not isinstance(backend, Listable):
        return Listing(name, where, error="cannot list its models")
    try:
        served = backend.served()
    except BackendUnavailable as err:
        return Listing(name, where, error=str(err))
    return Listing(name, where, tuple(m if m == "…" else f"{name}:{m}" for m in served))


def _llamacpp(roles: Mapping[str, str], environ: Mapping[str, str]) -> Listing:
    from relay_git.models.local import LOCAL_FIX, packaged

    where = "in process (llama-cpp-python)"
    found = dict(packaged(environ))  # spec -> ready
    for spec in roles.values():
        if parse_spec(spec).backend == "llamacpp":
            found.setdefault(parse_spec(spec).full, True)
    notes: dict[str, str] = {}
    for spec, ready in found.items():
        if not ready:
            notes[spec] = "assembled on first use"
        elif not Path(parse_spec(spec).name).is_file():
            notes[spec] = "file not found"
    error = None
    if importlib.util.find_spec("llama_cpp") is None:
        error = f"llama-cpp-python is not installed ({LOCAL_FIX})"
    elif not found:
        error = f"no packaged GGUF models installed ({LOCAL_FIX})"
    return Listing("llamacpp", where, tuple(found), error, notes)


def serves(listing: Listing, spec: str) -> bool | None:
    """Whether ``listing`` has the model ``spec`` names; None when the list cannot tell
    (a one-model OpenAI-compatible server answers to any name; a cut-off page)."""
    parsed = parse_spec(spec)
    if listing.error is not None or parsed.backend != listing.backend:
        return None
    if parsed.full in listing.models:
        return parsed.full not in listing.notes or listing.notes[parsed.full] != "file not found"
    if parsed.backend == "ollama" and _ollama_alias(parsed.full) & set(listing.models):
        return True
    if (parsed.backend == "openai" and len(listing.models) == 1) or "…" in listing.models[-1:]:
        return None
    return False


def roles_served(listings: Sequence[Listing], roles: Mapping[str, str]) -> dict[str, bool | None]:
    """Per role, whether the listing of its model's backend has it (None: cannot tell, or
    that backend was not listed); a bare name is Ollama's, as everywhere."""
    by_backend = {x.backend: x for x in listings}
    out: dict[str, bool | None] = {}
    for role, spec in roles.items():
        listing = by_backend.get(parse_spec(spec).backend)
        out[role] = serves(listing, spec) if listing is not None else None
    return out


def _ollama_alias(full: str) -> set[str]:
    return {full, f"{full}:latest", full.removesuffix(":latest")}
