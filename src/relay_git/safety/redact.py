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

import base64
import re
from collections.abc import Iterable, Mapping
from pathlib import Path

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
    ("sendgrid key", re.compile(r"\bSG\.[\w-]{16,}\.[\w-]{16,}")),
    ("hugging face token", re.compile(r"\bhf_[A-Za-z0-9]{30,}")),
    ("npm token", re.compile(r"\bnpm_[A-Za-z0-9]{36,}")),
    ("google oauth secret", re.compile(r"\bGOCSPX-[A-Za-z0-9_-]{20,}")),
    (
        "azure key",
        re.compile(
            r"(?i)(?P<keep>\b(?:Account|SharedAccess)Key\s*=\s*|[?&]sig=)[A-Za-z0-9%+/]{16,}=*"
        ),
    ),
    ("jwt", re.compile(r"(?<![\w-])eyJ[\w-]{10,}+\.eyJ[\w-]{10,}+\.[\w-]{10,}")),
    ("bearer token", re.compile(r"(?i)(?P<keep>\bbearer\s+)[A-Za-z0-9._~+/-]{20,}=*")),
    (  # a key's base64 body without its BEGIN line: DER (MII…) or OpenSSH, or 3+ long lines
        "private key",
        re.compile(
            r"(?m)^(?P<keep>[ \t+\-\"'>]*+)(?:(?:MII|b3BlbnNzaC1rZXktdjE)[A-Za-z0-9+/]{36,}+"
            r"(?:\n[ \t+\-\"'>]*+[A-Za-z0-9+/=]{16,}+[\"',]*+$)*+"
            r"|[A-Za-z0-9+/]{56,}+[\"',]*+(?:\n[ \t+\-\"'>]*+[A-Za-z0-9+/]{56,}+=*+[\"',]*+$){2,}+)"
        ),
    ),
    (
        "url password",
        re.compile(r"(?P<keep>\b[a-z][a-z0-9+.-]{0,30}+://[^/\s:@'\"]++:)[^/\s@'\"]++(?P<tail>@)"),
    ),
)

_WORDS = (
    r"passw(?:or)?d|pass(?:[_-]?phrase)?|pwd|secret|token|credentials?"
    r"|(?:api|access|private|signing|auth)[_-]?key"
)
_CAMEL = (
    r"Password|Passwd|Pass(?:phrase)?|Pwd|Secret|Token|Credentials?"
    r"|(?:Api|Access|Private|Signing)Key"
)
# A bare "key" names a secret only when its value is a long hex or base64 token.
_KEY = re.compile(r"(?:(?<![A-Za-z])(?i:key)|(?<=[a-z])Key)(?![a-z])")
_TOKENISH = re.compile(r"[0-9a-fA-F]{32,}|[A-Za-z0-9+/_.=-]{24,}")
_KEYWORD = re.compile(rf"(?:(?<![A-Za-z])(?i:{_WORDS})|(?<=[a-z])(?:{_CAMEL}))(?![a-z])")
# A name, then =, :, := or => (a type annotation may sit between), then a value. Every
# repetition is possessive or bounded, so a hostile line costs linear time; the name is
# checked for a keyword (_KEYWORD) and the value for a secret's look in _assignment.
_ASSIGNMENT = re.compile(
    r"(?P<q>[\"']?)(?<![\w.-])(?P<name>[\w.-]++)(?P=q)"
    r"(?P<sep>[ \t]*+(?::[ \t]*+[A-Za-z_][\w\[\]., |]{0,60}?[ \t]*+)?(?:=>|:=|==|=|:)[ \t]*+)"
    r"(?P<val>[bBrRuU]{0,2}+(?:\"(?:[^\"\\\n]|\\.)*+\"|'(?:[^'\\\n]|\\.)*+')"
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


_PASS_LAST = re.compile(r"(?i)pass(?:w(?:or)?d|[_-]?phrase)?$|pwd$")


def _secret_value(name: str, inner: str, quoted: bool) -> bool:
    """Whether ``inner``, assigned to ``name``, is a secret to redact."""
    if _KEYWORD.search(name):
        if _looks_secret(inner):
            return True
        # a quoted passphrase may be words with spaces: "correct horse battery staple"
        spoken = quoted and len(inner) >= 8 and not _PLACEHOLDER.fullmatch(inner.lower())
        return spoken and bool(_PASS_LAST.search(name)) and not inner.startswith("[REDACTED")
    return bool(_KEY.search(name)) and bool(_TOKENISH.fullmatch(inner)) and _looks_secret(inner)


def _assignment(match: re.Match[str]) -> str:
    value = match["val"]
    prefix = value[: len(value) - len(value.lstrip("bBrRuU"))] if value[-1:] in "\"'" else ""
    body = value[len(prefix) :]
    quote = body[0] if body[:1] in ('"', "'") else ""
    inner = body[1:-1] if quote else body
    if not _secret_value(match["name"], inner, bool(quote)):
        return match[0]
    head = match[0][: match.start("val") - match.start()]
    kind = "secret" if not _KEYWORD.search(match["name"]) else _kind(match["name"])
    return f"{head}{prefix}{quote}[REDACTED {kind}]{quote}"


# A long hex or base64 blob a few characters after a secret's name, on the same line:
# ``token is d41d8cd9…``, ``PASSWORD (base64): UFJP…``, ``assert api_key == 'c2st…'``.
_NEAR = re.compile(
    rf"(?P<keep>(?:(?<![A-Za-z])(?i:{_WORDS}|key)|(?<=[a-z])(?:{_CAMEL}|Key))(?![a-z])"
    r"[^\n]{0,24}?)(?<![\w+/-])(?P<blob>[A-Za-z0-9+/_-]{24,}+=*+)"
)


def _near(match: re.Match[str]) -> str:
    blob = match["blob"].rstrip("=")
    hexlike = len(blob) >= 32 and all(c in "0123456789abcdefABCDEF" for c in blob)
    mixed = any(c.isdigit() for c in blob) and any(c.islower() for c in blob)
    if not (hexlike and mixed) and not (mixed and any(c.isupper() for c in blob)):
        return match[0]
    return f"{match['keep']}[REDACTED secret]"


def encodings(value: str) -> frozenset[str]:
    """``value`` and how it may show up encoded: hex, and base64 (standard and URL-safe) at
    each of the three alignments it can have inside a longer encoded text."""
    raw = value.encode("utf-8", "surrogateescape")
    found = {value, raw.hex(), raw.hex().upper()}
    for shift in range(3):
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            text = encode(b"\0" * shift + raw).decode("ascii")
            start = 4 if shift else 0
            end = 4 * ((shift + len(raw)) // 3)
            found.add(text[start:end])
    return frozenset(f for f in found if len(f) >= MIN_KNOWN)


MIN_KNOWN = 8


def known_values(environ: Mapping[str, str], *, by_look: bool = False) -> tuple[str, ...]:
    """Values of variables whose name says secret (OPENAI_API_KEY, DB_PASSWORD, MAILGUN_KEY…),
    or with ``by_look`` that look like one: the redactor then knows them, and their
    encodings, verbatim."""
    found = []
    for name, raw in environ.items():
        value = raw.strip().strip("\"'")
        if len(value) < MIN_KNOWN or any(c.isspace() for c in value):
            continue
        named = _KEYWORD.search(name) or _KEY.search(name)
        path_or_url = value.startswith("/") or _URL.fullmatch(value)
        if (named or (by_look and _looks_secret(value))) and not path_or_url:
            found.append(value)
    return tuple(found)


def dotenv_values(path: Path) -> tuple[str, ...]:
    """``known_values`` of a ``.env`` file's ``NAME=value`` lines (unreadable: none)."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ()
    pairs = {}
    for line in text.splitlines():
        name, sep, value = line.removeprefix("export ").partition("=")
        if sep and name.strip() and not name.lstrip().startswith("#"):
            pairs[name.strip()] = value.split(" #")[0]
    return known_values(pairs, by_look=True)


def redact(text: str, known: Iterable[str] = ()) -> tuple[str, int]:
    """``text`` with secrets replaced by ``[REDACTED <kind>]``, and how many were replaced.

    ``known`` are secret values to replace wherever they appear, hex- or base64-encoded too.
    """
    total = 0
    for value in sorted({e for k in known for e in encodings(k)}, key=len, reverse=True):
        total += text.count(value)
        text = text.replace(value, "[REDACTED known secret]")
    for kind, pattern in _TOKENS:

        def sub(match: re.Match[str], kind: str = kind) -> str:
            groups = match.groupdict()
            return f"{groups.get('keep') or ''}[REDACTED {kind}]{groups.get('tail') or ''}"

        text, count = pattern.subn(sub, text)
        total += count
    redacted = _NEAR.sub(_near, _ASSIGNMENT.sub(_assignment, text))
    total += redacted.count("[REDACTED ") - text.count("[REDACTED ")
    return redacted, total
