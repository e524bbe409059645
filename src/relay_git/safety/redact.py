"""Secrets are redacted from text before it leaves the machine.

Two kinds of rule, applied in order:

- **token formats**, known by their fixed prefixes and alphabets: private keys (PEM, PGP),
  AWS, GitHub, GitLab, Slack (tokens and webhooks), Stripe, OpenAI, Anthropic, Google
  (API keys, OAuth client secrets, a service account's ``private_key``), Azure
  (``AccountKey=``/``SharedAccessKey=`` in connection strings, SAS ``sig=``), JWTs,
  ``Bearer`` headers and the password in ``scheme://user:password@host``;
- **assignments** of a name that says password, secret, token, credential or *key* (API,
  access, private...), in code, YAML, JSON, INI and .env: ``PASSWORD="…"``,
  ``password: …``, ``"token": "…"``, ``aws_secret_access_key: str = "…"``, ``--token=…``.
  Only a value that looks like a secret is replaced — a string literal or a bare value
  that ends the line and mixes letters with digits or symbols — so code survives:
  ``token_count = 3``, ``password_field = form.get("password")``, ``token_type = "Bearer"``,
  ``password = self.password``, ``api_key = os.environ["API_KEY"]``.

The redaction is a safety net for what a remote model is sent, not a scanner.
"""

from __future__ import annotations

import re

_ALNUM = "A-Za-z0-9"
# (kind, pattern): the whole match is replaced, except the named groups ``keep`` (before)
# and ``tail`` (after).
_TOKENS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "private key",
        re.compile(
            r"-----BEGIN ([A-Z0-9 ]{0,40})PRIVATE KEY( BLOCK|)-----.*?"
            r"(-----END \1PRIVATE KEY\2-----|\Z)",
            re.DOTALL,
        ),
    ),
    ("aws access key", re.compile(r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA)[A-Z0-9]{16}\b")),
    (
        "aws secret key",
        re.compile(
            r"(?i)(?P<keep>aws_?secret_?access_?key[\"']?\s*(?::\s*\w+\s*)?[:=]\s*[\"']?)"
            r"[A-Za-z0-9/+=]{40}"
        ),
    ),
    (
        "github token",
        re.compile(rf"\b(?:gh[pousr]_[{_ALNUM}]{{36,}}|github_pat_[{_ALNUM}_]{{22,}})"),
    ),
    (
        "gitlab token",
        re.compile(r"\bgl(?:pat|dt|rt|ptt|cbt|oas|soat|ft|imt|agent|ffct|wt)-[A-Za-z0-9_.-]{20,}"),
    ),
    ("slack token", re.compile(r"\b(?:xox[abposre]|xapp-\d)-[A-Za-z0-9-]{10,}")),
    (
        "slack webhook",
        re.compile(r"https://hooks\.slack\.com/(?:services|workflows|triggers)/[\w/-]+"),
    ),
    ("stripe key", re.compile(rf"\b(?:(?:sk|rk)_(?:live|test)|whsec)_[{_ALNUM}]{{16,}}")),
    ("anthropic key", re.compile(r"\bsk-ant-[A-Za-z0-9_-]{20,}")),
    ("openai key", re.compile(r"\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}")),
    ("google api key", re.compile(r"\bAIza[0-9A-Za-z_-]{35}")),
    ("google oauth secret", re.compile(r"\bGOCSPX-[A-Za-z0-9_-]{20,}")),
    (
        "azure key",
        re.compile(
            r"(?i)(?P<keep>\b(?:Account|SharedAccess)Key\s*=\s*|[?&]sig=)[A-Za-z0-9%+/]{16,}=*"
        ),
    ),
    ("jwt", re.compile(r"(?<![\w-])eyJ[\w-]{10,}+\.eyJ[\w-]{10,}+\.[\w-]{10,}")),
    ("bearer token", re.compile(r"(?i)(?P<keep>\bbearer\s+)[A-Za-z0-9._~+/-]{20,}=*")),
    (
        "url password",
        re.compile(r"(?P<keep>\b[a-z][a-z0-9+.-]{0,30}+://[^/\s:@'\"]++:)[^/\s@'\"]++(?P<tail>@)"),
    ),
)

_WORDS = r"passw(?:or)?d|pwd|secret|token|credentials?|(?:api|access|private|signing|auth)[_-]?key"
_CAMEL = r"Password|Passwd|Pwd|Secret|Token|Credentials?|(?:Api|Access|Private|Signing)Key"
_KEYWORD = re.compile(rf"(?:(?<![A-Za-z])(?i:{_WORDS})|(?<=[a-z])(?:{_CAMEL}))(?![a-z])")
# A name, then =, :, := or => (a type annotation may sit between), then a value. Every
# repetition is possessive or bounded, so a hostile line costs linear time; the name is
# checked for a keyword (_KEYWORD) and the value for a secret's look in _assignment.
_ASSIGNMENT = re.compile(
    r"(?P<q>[\"']?)(?<![\w.-])(?P<name>[\w.-]++)(?P=q)"
    r"(?P<sep>[ \t]*+(?::[ \t]*+[A-Za-z_][\w\[\]., |]{0,60}?[ \t]*+)?(?:=>|:=|==|=|:)[ \t]*+)"
    r"(?P<val>\"(?:[^\"\\\n]|\\.)*+\"|'(?:[^'\\\n]|\\.)*+'"
    r"|[^\s'\"`,;#(){}\[\]<>=][^\s'\"`,;#(){}\[\]<>]*+(?=[ \t]*+(?:[#;,}\]]|$)))",
    re.MULTILINE,
)
_PLACEHOLDER = re.compile(r"\$\{?\w+\}?|\{\{.*\}\}|<.*>|%\(\w+\)s|\*+|x+|none|null|true|false")
_URL = re.compile(r"[a-z][a-z0-9+.-]*://[^@\s]*")


def _looks_secret(value: str) -> bool:
    """A value of letters mixed with digits, or of letters, digits and symbols together."""
    if len(value) < 6 or any(c.isspace() for c in value) or value.startswith("[REDACTED"):
        return False
    if _PLACEHOLDER.fullmatch(value.lower()) or _URL.fullmatch(value):
        return False
    lower = any(c.islower() for c in value)
    upper = any(c.isupper() for c in value)
    digit = any(c.isdigit() for c in value)
    symbol = any(not c.isalnum() for c in value)
    if digit and (lower or upper):
        return True
    return lower + upper + digit + symbol >= 3


def _kind(name: str) -> str:
    lowered = name.lower()
    if "pass" in lowered or "pwd" in lowered:
        return "password"
    return "token" if "token" in lowered else "secret"


def _assignment(match: re.Match[str]) -> str:
    value = match["val"]
    if not _KEYWORD.search(match["name"]):
        return match[0]
    quote = value[0] if value[0] in "\"'" else ""
    inner = value[1:-1] if quote else value
    if not _looks_secret(inner):
        return match[0]
    head = match[0][: match.start("val") - match.start()]
    return f"{head}{quote}[REDACTED {_kind(match['name'])}]{quote}"


def redact(text: str) -> tuple[str, int]:
    """``text`` with secrets replaced by ``[REDACTED <kind>]``, and how many were replaced."""
    total = 0
    for kind, pattern in _TOKENS:

        def sub(match: re.Match[str], kind: str = kind) -> str:
            groups = match.groupdict()
            return f"{groups.get('keep') or ''}[REDACTED {kind}]{groups.get('tail') or ''}"

        text, count = pattern.subn(sub, text)
        total += count
    redacted = _ASSIGNMENT.sub(_assignment, text)
    total += redacted.count("[REDACTED ") - text.count("[REDACTED ")
    return redacted, total
