"""Configuration: one typed schema for every source, and the trust gate on the repository's files.

Precedence, highest first: flag > environment (``RELAY_GIT_*``) > user config
(``$XDG_CONFIG_HOME/relay-git/config.toml``) > ``.relay-git.toml`` > ``[tool.relay-git]`` in
``pyproject.toml`` > defaults. Every source is checked against the one schema, the ``Config``
dataclass (validated by pydantic when a source sets anything), and an error names the file,
variable or flag at fault.

Until the user runs ``relay-git trust`` (see ``relay_git.config.trust``), the repository's own files
cannot choose where text goes or what runs (the ``gated`` keys), may only add secret patterns,
may only make a review stricter (``relay_git.config.gate``), and no prompt template inside the
repository is used (whichever setting names its folder); each ignored setting yields one notice.

Nothing here reads ``os.environ`` on its own: the environment is passed in.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from relay_git.config import trust
from relay_git.config.dirs import config_dir
from relay_git.config.envnames import check_names
from relay_git.config.gate import Layer, gate, needs_trust
from relay_git.config.schema import (
    ALIASES,
    DEFAULT_CODER,
    DEFAULT_REVIEWER,
    DEFAULT_SECRET_PATTERNS,
    ENV,
    FAIL_ON,
    FIELDS,
    GATED,
    KEYS_DOC,
    Config,
    describe,
)
from relay_git.config.validation import check, check_url, with_flags
from relay_git.errors import UsageError
from relay_git.types import Price

__all__ = [
    "DEFAULT_CODER",
    "DEFAULT_REVIEWER",
    "DEFAULT_SECRET_PATTERNS",
    "FAIL_ON",
    "FIELDS",
    "GATED",
    "KEYS_DOC",
    "Config",
    "Price",
    "Resolved",
    "describe",
    "load",
    "resolve",
    "user_config_path",
    "with_flags",
]


@dataclass(frozen=True)
class Resolved:
    """The effective configuration, each value's source, and what trust kept out."""

    config: Config
    sources: Mapping[str, str]  # per key: where the effective value came from
    notices: tuple[str, ...]  # one line per untrusted setting that was ignored
    trusted: bool  # the repository's own files were taken at their word
    root: Path | None
    templates: Path | None = None  # the prompt template overrides that may be used


def _file_layer(table: Mapping[str, Any], label: str) -> Layer:
    if not isinstance(table, Mapping):
        raise UsageError(f"{label}: expected a table of settings")
    where = {"": label, **{key: f"{label}: {key}" for key in table}}
    values = check(table, where)
    return Layer(label, values, dict.fromkeys(values, label))


def _flag_layer(flags: Mapping[str, Any]) -> Layer:
    """Flags as the command line gave them; ``None`` means the flag was not given."""
    given = {key: value for key, value in flags.items() if value is not None}
    where = {key: "--" + key.replace("_", "-") for key in given}
    values = check(given, where)
    return Layer("flags", values, {key: where[key] for key in values})


def _env_layer(environ: Mapping[str, str]) -> Layer:
    check_names(environ, ENV)  # a misspelled RELAY_GIT_* is an error, as an unknown key is
    names = {var: key for var, key in ALIASES.items() if environ.get(var)}
    names.update({var: key for var, key in ENV.items() if environ.get(var)})
    raw: dict[str, Any] = {}
    for var, key in names.items():
        value = environ[var]
        is_list = FIELDS[key].type == "tuple[str, ...]"
        raw[key] = [p.strip() for p in value.split(",") if p.strip()] if is_list else value
    where = {key: var for var, key in names.items()}
    values = check(raw, where)
    if environ.get("ANTHROPIC_BASE_URL"):
        check_url(environ["ANTHROPIC_BASE_URL"], "ANTHROPIC_BASE_URL")
    return Layer("the environment", values, {key: where[key] for key in values})


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as err:
        raise UsageError(f"{path}: invalid TOML: {err}") from None
    except OSError as err:
        raise UsageError(f"{path}: cannot read: {err.strerror}") from None


def user_config_path(environ: Mapping[str, str]) -> Path:
    return config_dir(environ) / "config.toml"


def _repo_layers(root: Path) -> list[Layer]:
    layers = []
    pyproject = root / trust.PYPROJECT
    if pyproject.is_file():
        section = _read_toml(pyproject).get("tool", {}).get("relay-git")
        if section is not None:
            layers.append(_file_layer(section, f"{pyproject} [tool.relay-git]"))
    own = root / trust.OWN_FILE
    if own.is_file():
        layers.append(_file_layer(_read_toml(own), str(own)))
    return layers


def _in_repo_templates(root: Path, environ: Mapping[str, str]) -> bool | None:
    """Whether a template folder inside the repository holds files; None: one the
    repository names lies outside it (never trusted)."""
    try:
        folders = trust.template_folders(root, environ)
    except UsageError:
        return None
    return any(p.is_file() for folder in folders for p in folder.rglob("*"))


def _templates(root: Path | None, config: Config, trusted: bool, notices: list[str]) -> Path | None:
    """The folder of template overrides that may be used: a configured one (relative: from
    the repository's root), else the repository's own; none inside an untrusted repository."""
    if config.templates_dir:
        base = root if root is not None else Path.cwd()
        folder = (base / config.templates_dir).resolve()
    elif root is not None:
        folder = (root / trust.TEMPLATES).resolve()
    else:
        return None
    if root is None or not folder.is_relative_to(root.resolve()):
        return folder
    if not trusted:
        if folder.is_dir() and any(p.is_file() for p in folder.rglob("*")):
            shown = root / folder.relative_to(root.resolve())
            notices.append(trust.notice("prompt templates", str(shown)))
        return None
    return folder


def resolve(
    root: Path | None,
    environ: Mapping[str, str],
    flags: Mapping[str, Any] | None = None,
    *,
    trusted: bool | None = None,
) -> Resolved:
    """The effective configuration, where each value came from, and what trust kept out.

    ``trusted`` None asks the trust record; the Action passes True for the base commit's files.
    """
    repo_layers = _repo_layers(root) if root is not None else []
    if trusted is None:  # the trust record is read only when it could change something
        asks = any(needs_trust(layer) for layer in repo_layers)
        asks = asks or (root is not None and _in_repo_templates(root, environ) is not False)
        trusted = not asks or (root is not None and trust.is_trusted(root, environ))
    notices: list[str] = []
    if not trusted:
        repo_layers = [gate(layer, notices) for layer in repo_layers]
    user = user_config_path(environ)
    layers = list(repo_layers)
    if user.is_file():
        layers.append(_file_layer(_read_toml(user), str(user)))
    layers += [_env_layer(environ), _flag_layer(flags or {})]
    values: dict[str, Any] = {}
    sources = dict.fromkeys(FIELDS, "default")
    for layer in layers:
        values.update(layer.values)
        sources.update(layer.sources)
    config = Config(**values)
    templates = _templates(root, config, trusted, notices)
    return Resolved(config, sources, tuple(notices), trusted, root, templates)


def load(root: Path | None, environ: Mapping[str, str], *, trusted: bool | None = None) -> Config:
    return resolve(root, environ, trusted=trusted).config
