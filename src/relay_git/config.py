"""Configuration: CLI flag > environment > .relay-git.toml > [tool.relay-git] > defaults.

``load`` takes the repository root and the environment as arguments; nothing here
reads ``os.environ`` on its own.
"""

from __future__ import annotations

import dataclasses
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from relay_git.errors import UsageError

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
FAIL_ON = ("error", "warning", "info", "never")


@dataclass(frozen=True)
class Config:
    coder: str = DEFAULT_CODER
    reviewer: str = DEFAULT_REVIEWER
    planner: str = "coder"  # "coder" | "reviewer": which role writes the plan
    openai_base_url: str | None = None
    exclude: tuple[str, ...] = ()
    protected: tuple[str, ...] = ("main", "master", "trunk", "develop", "release/*")
    test_command: str | None = None
    test_timeout: float = 300.0
    fail_on: str = "error"
    jobs: int = 2
    timeout: float = 600.0  # per model call
    max_rounds: int = 3
    max_context: int = 32768
    max_files: int = 200
    secret_patterns: tuple[str, ...] = DEFAULT_SECRET_PATTERNS
    templates_dir: str | None = None  # per-repository prompt overrides

    def replace(self, **changes: Any) -> Config:
        clean = {k: v for k, v in changes.items() if v is not None}
        return dataclasses.replace(self, **_coerce(clean))


_FIELDS = {f.name: f for f in dataclasses.fields(Config)}
_ENV = {
    "RELAY_GIT_CODER": "coder",
    "RELAY_GIT_REVIEWER": "reviewer",
    "RELAY_GIT_PLANNER": "planner",
    "RELAY_GIT_OPENAI_BASE_URL": "openai_base_url",
    "RELAY_GIT_EXCLUDE": "exclude",
    "RELAY_GIT_PROTECTED": "protected",
    "RELAY_GIT_TEST_COMMAND": "test_command",
    "RELAY_GIT_TEST_TIMEOUT": "test_timeout",
    "RELAY_GIT_FAIL_ON": "fail_on",
    "RELAY_GIT_JOBS": "jobs",
    "RELAY_GIT_TIMEOUT": "timeout",
    "RELAY_GIT_MAX_ROUNDS": "max_rounds",
    "RELAY_GIT_MAX_CONTEXT": "max_context",
    "RELAY_GIT_MAX_FILES": "max_files",
}


def _coerce(values: Mapping[str, Any], source: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for raw_key, value in values.items():
        key = raw_key.replace("-", "_")
        if key not in _FIELDS:
            where = f" in {source}" if source else ""
            raise UsageError(f"unknown setting {raw_key!r}{where}", f"known: {', '.join(_FIELDS)}")
        default = getattr(Config(), key)
        try:
            if isinstance(default, tuple):
                items = value.split(",") if isinstance(value, str) else list(value)
                out[key] = tuple(str(i).strip() for i in items if str(i).strip())
            elif isinstance(default, bool):
                out[key] = value if isinstance(value, bool) else str(value).lower() in ("1", "true")
            elif isinstance(default, int):
                out[key] = int(value)
            elif isinstance(default, float):
                out[key] = float(value)
            else:
                out[key] = None if value in ("", None) else str(value)
        except (TypeError, ValueError):
            raise UsageError(f"setting {raw_key!r} has a bad value {value!r}") from None
    _validate(out)
    return out


def _validate(values: Mapping[str, Any]) -> None:
    if "fail_on" in values and values["fail_on"] not in FAIL_ON:
        raise UsageError(f"fail_on must be one of {', '.join(FAIL_ON)}, not {values['fail_on']!r}")
    if "planner" in values and values["planner"] not in ("coder", "reviewer", "small", "large"):
        raise UsageError("planner must be 'coder' or 'reviewer'")
    if "jobs" in values and values["jobs"] < 1:
        raise UsageError("jobs must be at least 1")


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as err:
        raise UsageError(f"{path.name}: invalid TOML: {err}") from None
    except OSError as err:
        raise UsageError(f"{path}: cannot read: {err.strerror}") from None


def load(root: Path | None, environ: Mapping[str, str]) -> Config:
    layers: dict[str, Any] = {}
    if root is not None:
        pyproject = root / "pyproject.toml"
        if pyproject.is_file():
            section = _read_toml(pyproject).get("tool", {}).get("relay-git", {})
            layers.update(_coerce(section, "pyproject.toml [tool.relay-git]"))
        own = root / ".relay-git.toml"
        if own.is_file():
            layers.update(_coerce(_read_toml(own), ".relay-git.toml"))
    env_values = {field: environ[var] for var, field in _ENV.items() if environ.get(var)}
    if "openai_base_url" not in env_values and environ.get("OPENAI_BASE_URL"):
        env_values.setdefault("openai_base_url", environ["OPENAI_BASE_URL"])
    layers.update(_coerce(env_values, "the environment"))
    return Config(**layers)
