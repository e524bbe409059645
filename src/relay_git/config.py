"""Configuration: one typed schema for every source, and the trust gate on the repository's files.

Precedence, highest first: flag > environment (``RELAY_GIT_*``) > user config
(``$XDG_CONFIG_HOME/relay-git/config.toml``) > ``.relay-git.toml`` > ``[tool.relay-git]`` in
``pyproject.toml`` > defaults. Every source is checked against the one schema, the ``Config``
dataclass (validated by pydantic when a source sets anything), and an error names the file,
variable or flag at fault.

Until the user runs ``relay-git trust`` (see ``relay_git.trust``), the repository's own files
cannot choose where text goes or what runs (the ``gated`` keys), may only add secret patterns,
and their prompt templates are not used; each ignored setting yields one notice.

Nothing here reads ``os.environ`` on its own: the environment is passed in.
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal, get_args
from urllib.parse import urlsplit

from relay_git import trust
from relay_git.backends.base import parse_spec
from relay_git.errors import UsageError
from relay_git.userdirs import config_dir

if TYPE_CHECKING:
    from pydantic import TypeAdapter

DEFAULT_CODER = "ollama:qwen3-coder:30b"
DEFAULT_REVIEWER = "ollama:gpt-oss:120b"
DEFAULT_SECRET_PATTERNS = (
    ".env",
    ".env.*",
    "*.pem",
    "*.key",
    "id_rsa*",
    "id_ed25519*",
    "id_ecdsa*",
    "*.p12",
    "*.pfx",
    ".netrc",
    ".npmrc",
    ".pypirc",
    "credentials",
    "credentials.*",
    "*credentials*.json",
    "secrets.*",
)
FailOn = Literal["error", "warning", "info", "never"]
Planner = Literal["coder", "reviewer", "small", "large"]
FAIL_ON: tuple[str, ...] = get_args(FailOn)
KEYS_DOC = "docs/configuration.md"


def _meta(help: str, *, gated: bool = False, env: bool = True) -> dict[str, Any]:
    """A key's one line of help, whether the repository needs trust to set it, env or not."""
    return {"help": help, "gated": gated, "env": env}


@dataclass(frozen=True)
class Price:
    """USD per million tokens."""

    __pydantic_config__: ClassVar[dict[str, str]] = {"extra": "forbid"}
    input: float
    output: float


@dataclass(frozen=True)
class Config:
    __pydantic_config__: ClassVar[dict[str, str]] = {"extra": "forbid"}
    coder: str = field(
        default=DEFAULT_CODER,
        metadata=_meta("the small model that writes (BACKEND:NAME)", gated=True),
    )
    reviewer: str = field(
        default=DEFAULT_REVIEWER, metadata=_meta("the large model that reviews", gated=True)
    )
    planner: Planner = field(
        default="coder", metadata=_meta("which role writes the plan: coder or reviewer", gated=True)
    )
    openai_base_url: str | None = field(
        default=None,
        metadata=_meta("OpenAI-compatible server, with scheme (also OPENAI_BASE_URL)", gated=True),
    )
    exclude: tuple[str, ...] = field(default=(), metadata=_meta("globs of files never reviewed"))
    protected: tuple[str, ...] = field(
        default=("main", "master", "trunk", "develop", "release/*"),
        metadata=_meta("branches scaffold never commits to"),
    )
    test_command: str | None = field(
        default=None, metadata=_meta("the command that runs the tests", gated=True)
    )
    test_timeout: float = field(default=300.0, metadata=_meta("seconds one test run may take"))
    fail_on: FailOn = field(
        default="error", metadata=_meta("exit 1 at or above this severity (or never)")
    )
    jobs: int = field(default=2, metadata=_meta("chunks reviewed at once"))
    timeout: float = field(default=600.0, metadata=_meta("seconds one model call may take"))
    max_rounds: int = field(default=3, metadata=_meta("test-and-fix rounds before escalating"))
    max_context: int = field(
        default=32768, metadata=_meta("the most context tokens ever requested")
    )
    max_files: int = field(
        default=200, metadata=_meta("files reviewed at most; the rest are listed as skipped")
    )
    secret_patterns: tuple[str, ...] = field(
        default=DEFAULT_SECRET_PATTERNS,
        metadata=_meta("globs of files never sent to a remote model", gated=True),
    )
    templates_dir: str | None = field(
        default=None, metadata=_meta("folder of prompt template overrides", gated=True)
    )
    log: bool = field(default=True, metadata=_meta("append each run to the history log"))
    prices: Mapping[str, Price] = field(
        default_factory=dict,
        metadata=_meta("USD per million tokens per model: {input, output}", env=False),
    )

    def replace(self, **changes: Any) -> Config:
        """These values as flags: checked like every source, ``None`` meaning "not given"."""
        layer = _flag_layer(changes)
        return dataclasses.replace(self, **layer.values)


FIELDS = {f.name: f for f in dataclasses.fields(Config)}
GATED = tuple(name for name, f in FIELDS.items() if f.metadata["gated"])
ENV = {f"RELAY_GIT_{name.upper()}": name for name, f in FIELDS.items() if f.metadata["env"]}
_ALIASES = {"OPENAI_BASE_URL": "openai_base_url"}  # read when RELAY_GIT_* is not set
_MINIMUM = {"jobs": 1, "max_rounds": 0, "max_context": 512, "max_files": 1}
_POSITIVE = ("timeout", "test_timeout")


@dataclass(frozen=True)
class Layer:
    label: str  # the file, "the environment" or "flags"
    values: Mapping[str, Any]
    sources: Mapping[str, str]  # per key: the file, the variable or the flag
    repo: bool = False  # from the repository's own files


@dataclass(frozen=True)
class Resolved:
    config: Config
    sources: Mapping[str, str]  # per key: where the effective value came from
    notices: tuple[str, ...]  # one line per untrusted setting that was ignored
    trusted: bool  # the repository's own files were taken at their word
    root: Path | None

    @property
    def repo_templates(self) -> Path | None:
        """The repository's template overrides, when it has any and they may be used."""
        if self.root is None or not self.trusted:
            return None
        return self.root / trust.TEMPLATES


@functools.cache
def _adapter() -> TypeAdapter[Config]:
    from pydantic import TypeAdapter  # deferred: a run with no settings never loads pydantic

    return TypeAdapter(Config)


def _unknown(raw_key: str, where: str) -> UsageError:
    close = difflib.get_close_matches(raw_key.replace("-", "_"), FIELDS, n=1)
    hint = f"did you mean {close[0]}?" if close else f"the known settings are in {KEYS_DOC}"
    return UsageError(f"{where}: unknown setting {raw_key!r}", hint)


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _validate(data: Mapping[str, Any], where: Mapping[str, str]) -> dict[str, Any]:
    from pydantic import ValidationError

    try:
        full = _adapter().validate_python(dict(data))
    except ValidationError as err:
        first = err.errors()[0]
        key, *rest = [str(part) for part in first["loc"]] or [""]
        place = ".".join([where.get(key, key), *rest])
        raise UsageError(f"{place}: {first['msg']} (got {_shown(first['input'])})") from None
    return {key: getattr(full, key) for key in data}


def check_url(value: str, where: str) -> None:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise UsageError(
            f"{where}: {value!r} is not a URL with a scheme",
            "write it in full, e.g. http://127.0.0.1:8080/v1",
        )


def _semantics(values: dict[str, Any], where: Mapping[str, str]) -> None:
    for key in ("coder", "reviewer"):
        if key in values:
            try:
                values[key] = parse_spec(values[key]).full
            except UsageError as err:
                raise UsageError(f"{where[key]}: {err.message}", err.fix) from None
    for key, least in _MINIMUM.items():
        if key in values and values[key] < least:
            raise UsageError(f"{where[key]}: must be at least {least} (got {values[key]})")
    for key in _POSITIVE:
        if key in values and values[key] <= 0:
            raise UsageError(f"{where[key]}: must be more than 0 (got {values[key]})")
    if values.get("openai_base_url"):
        check_url(values["openai_base_url"], where["openai_base_url"])
    if "prices" in values:
        values["prices"] = _price_table(values["prices"], where["prices"])


def _price_table(prices: Mapping[str, Price], where: str) -> dict[str, Price]:
    """Keys as full specs, as the ledger names models: ``qwen3-coder:30b`` -> ``ollama:...``."""
    out: dict[str, Price] = {}
    for spec, price in prices.items():
        try:
            out[parse_spec(spec).full] = price
        except UsageError as err:
            raise UsageError(f"{where}.{spec}: {err.message}", err.fix) from None
        if price.input < 0 or price.output < 0:
            raise UsageError(f"{where}.{spec}: prices cannot be negative")
    return out


def check(raw: Mapping[str, Any], where: Mapping[str, str]) -> dict[str, Any]:
    """Typed, validated values for the keys ``raw`` sets; ``where`` names each key's source."""
    data: dict[str, Any] = {}
    for raw_key, value in raw.items():
        key = raw_key.replace("-", "_")
        if key not in FIELDS:
            raise _unknown(raw_key, where.get("") or where.get(raw_key) or "configuration")
        if value == "" and FIELDS[key].default is None:
            value = None
        data[key] = value
    if not data:
        return {}
    where = {key.replace("-", "_"): place for key, place in where.items()}
    values = _validate(data, where)
    _semantics(values, where)
    return values


def _file_layer(table: Mapping[str, Any], label: str, repo: bool) -> Layer:
    if not isinstance(table, Mapping):
        raise UsageError(f"{label}: expected a table of settings")
    where = {"": label, **{key: f"{label}: {key}" for key in table}}
    values = check(table, where)
    return Layer(label, values, dict.fromkeys(values, label), repo)


def _flag_layer(flags: Mapping[str, Any]) -> Layer:
    given = {key: value for key, value in flags.items() if value is not None}
    where = {key: "--" + key.replace("_", "-") for key in given}
    values = check(given, where)
    return Layer("flags", values, {key: where[key] for key in values})


def _env_layer(environ: Mapping[str, str]) -> Layer:
    names = {var: key for var, key in _ALIASES.items() if environ.get(var)}
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
            layers.append(_file_layer(section, f"{pyproject} [tool.relay-git]", repo=True))
    own = root / trust.OWN_FILE
    if own.is_file():
        layers.append(_file_layer(_read_toml(own), str(own), repo=True))
    return layers


def _gate(layer: Layer, notices: list[str]) -> Layer:
    """An untrusted repository file without the gated keys; its secret patterns only add."""
    values, sources = dict(layer.values), dict(layer.sources)
    for key in GATED:
        if key in values and key != "secret_patterns":
            notices.append(trust.notice(key, layer.label))
            del values[key], sources[key]
    if "secret_patterns" in values:
        own = values["secret_patterns"]
        dropped = [p for p in DEFAULT_SECRET_PATTERNS if p not in own]
        if dropped:
            shown = ", ".join(dropped[:3]) + (", …" if len(dropped) > 3 else "")
            what = f"the removal of {len(dropped)} default secret_patterns ({shown})"
            notices.append(trust.notice(what, layer.label))
        extra = tuple(p for p in own if p not in DEFAULT_SECRET_PATTERNS)
        values["secret_patterns"] = DEFAULT_SECRET_PATTERNS + extra
        sources["secret_patterns"] = f"defaults + {layer.label}"
    return Layer(layer.label, values, sources, layer.repo)


def _has_templates(root: Path) -> bool:
    folder = root / trust.TEMPLATES
    return folder.is_dir() and any(p.is_file() for p in folder.rglob("*"))


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
    needs_trust = root is not None and (
        any(lay.values for lay in repo_layers) or _has_templates(root)
    )
    if trusted is None:
        trusted = not needs_trust or (root is not None and trust.is_trusted(root, environ))
    notices: list[str] = []
    if not trusted:
        repo_layers = [_gate(layer, notices) for layer in repo_layers]
        if root is not None and _has_templates(root):
            notices.append(trust.notice("prompt templates", str(root / trust.TEMPLATES)))
    user = user_config_path(environ)
    layers = list(repo_layers)
    if user.is_file():
        layers.append(_file_layer(_read_toml(user), str(user), repo=False))
    layers += [_env_layer(environ), _flag_layer(flags or {})]
    values: dict[str, Any] = {}
    sources = dict.fromkeys(FIELDS, "default")
    for layer in layers:
        values.update(layer.values)
        sources.update(layer.sources)
    return Resolved(Config(**values), sources, tuple(notices), trusted, root)


def load(root: Path | None, environ: Mapping[str, str], *, trusted: bool | None = None) -> Config:
    return resolve(root, environ, trusted=trusted).config


def describe() -> list[dict[str, Any]]:
    """Every key: name, default, environment variable, whether the repository needs trust, help."""
    out = []
    for name, f in FIELDS.items():
        default = f.default if f.default is not dataclasses.MISSING else {}
        env = f"RELAY_GIT_{name.upper()}" if f.metadata["env"] else None
        out.append(
            {"key": name, "default": default, "env": env, "gated": f.metadata["gated"]}
            | {"help": f.metadata["help"]}
        )
    return out
