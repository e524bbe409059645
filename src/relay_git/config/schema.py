"""The configuration schema: every key, its type, default, help, and whether the repository
needs the user's trust to set it. The one definition that pydantic validates every source
against (``relay_git.config.validation``) and that the docs and ``config show`` describe."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, get_args

from relay_git.types import Price

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
class Config:
    """Every setting relay-git reads (docs/configuration.md describes each key)."""

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


FIELDS = {f.name: f for f in dataclasses.fields(Config)}
GATED = tuple(name for name, f in FIELDS.items() if f.metadata["gated"])
ENV = {f"RELAY_GIT_{name.upper()}": name for name, f in FIELDS.items() if f.metadata["env"]}
ALIASES = {"OPENAI_BASE_URL": "openai_base_url"}  # read when RELAY_GIT_* is not set
MINIMUM = {"jobs": 1, "max_rounds": 0, "max_context": 512, "max_files": 1}
POSITIVE = ("timeout", "test_timeout")


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
