"""Obvious secrets are redacted from text before it leaves the machine."""

from __future__ import annotations

import re

_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "private key",
        re.compile(
            r"-----BEGIN ([A-Z0-9 ]*)PRIVATE KEY-----.*?(-----END \1PRIVATE KEY-----|\Z)", re.DOTALL
        ),
    ),
    ("aws access key", re.compile(r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA)[A-Z0-9]{16}\b")),
    (
        "aws secret key",
        re.compile(r"(?i)(aws_?secret_?access_?key\s*[:=]\s*['\"]?)[A-Za-z0-9/+=]{40}"),
    ),
    (
        "github token",
        re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})\b"),
    ),
    ("slack token", re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}\b")),
    ("openai key", re.compile(r"\bsk-(?:proj-|ant-)?[A-Za-z0-9_-]{20,}\b")),
    ("google api key", re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b")),
)


def redact(text: str) -> tuple[str, int]:
    """``text`` with secrets replaced by ``[REDACTED <kind>]``, and how many were replaced."""
    total = 0
    for kind, pattern in _PATTERNS:

        def sub(match: re.Match[str], kind: str = kind) -> str:
            if kind == "aws secret key":
                return f"{match.group(1)}[REDACTED {kind}]"
            return f"[REDACTED {kind}]"

        text, count = pattern.subn(sub, text)
        total += count
    return text, total
