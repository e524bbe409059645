"""The redaction misses the outside review found (issue 18, Low), as a table.

Each sample is built at run time from random characters of the format's alphabet (no
realistic secret sits in the source); each must lose its secret, and ordinary code that
merely names one must pass unchanged.
"""

from __future__ import annotations

import base64
import random
import string

import pytest

from relay_git.safety.redact import dotenv_values, encodings, known_values, redact

RNG = random.Random(18)
ALNUM = string.ascii_letters + string.digits
B64 = ALNUM + "+/"


def draw(alphabet: str, n: int) -> str:
    core = [RNG.choice(string.ascii_uppercase), RNG.choice(string.ascii_lowercase), "7"]
    return "".join(core + [RNG.choice(alphabet) for _ in range(n - 3)])


HEX32 = "".join(RNG.choice("0123456789abcdef") for _ in range(31)) + "a"
PASSWORD = draw(ALNUM, 14)
SENDGRID = "SG" + "." + draw(ALNUM + "-_", 22) + "." + draw(ALNUM + "-_", 43)
HUGGING = "hf" + "_" + draw(string.ascii_letters, 34)
NPM = "npm" + "_" + draw(ALNUM, 36)
PEM_LINES = [draw(B64, 64) for _ in range(3)]
DER_BODY = "MII" + "EvQIBADANBgkqhkiG9w0BAQEFAASC" + draw(B64, 30)
PHRASE = "correct horse battery staple"

MISSES = [
    ("db_pass", f'db_pass = "{PASSWORD}"', PASSWORD),
    ("DB_PASS env", f"DB_PASS={PASSWORD}", PASSWORD),
    ("camel dbPass", f'dbPass: "{PASSWORD}"', PASSWORD),
    ("sendgrid", f"SENDGRID = '{SENDGRID}'", SENDGRID),
    ("sendgrid bare", f"mail with {SENDGRID} now", SENDGRID),
    ("hugging face", f"HF = '{HUGGING}'", HUGGING),
    ("npm", f"//registry.npmjs.org/:_authToken={NPM}", NPM),
    ("npm bare", f"using {NPM}", NPM),
    ("bytes literal", f'password = b"{PASSWORD}"', PASSWORD),
    ("raw literal", f"secret = rb'{PASSWORD}'", PASSWORD),
    ("32-hex beside key", f'MAILGUN_KEY = "{HEX32}"', HEX32),
    ("32-hex beside key word", f"license key: {HEX32}", HEX32),
    ("32-hex in prose", f"your token is {HEX32}", HEX32),
    ("passphrase", f'passphrase = "{PHRASE}"', PHRASE),
    ("pass phrase flag", f"--pass-phrase='{PHRASE}'", PHRASE),
    ("bare pem body", "\n".join(PEM_LINES), PEM_LINES[1]),
    ("bare pem body in a diff", "".join(f"+{line}\n" for line in PEM_LINES), PEM_LINES[0]),
    ("bare der body", f"    {DER_BODY}\n", DER_BODY),
]


@pytest.mark.parametrize(("text", "secret"), [m[1:] for m in MISSES], ids=[m[0] for m in MISSES])
def test_each_miss_is_redacted(text: str, secret: str) -> None:
    out, count = redact(text)
    assert secret not in out, out
    assert count >= 1 and "[REDACTED " in out


SURVIVES = [
    "bypass = True",
    "passed = 3",
    'compass = "north-north-west"',
    'key = "name"',
    "sort(key=lambda x: x.name)",
    'cache_key = f"{user}:{page}"',
    'password_help = "Enter your password"',
    "pass",
    "PASS_COUNT = 12",
    "sha = 'deadbeefdeadbeefdeadbeefdeadbeef'",  # a hash, named as one
    "token_count_for_the_longest_prompt_we_saw = 4",
    "assert tokenizer.decode(ids) == 'hello world'",
]


@pytest.mark.parametrize("line", SURVIVES)
def test_ordinary_code_survives(line: str) -> None:
    assert redact(line) == (line, 0)


SECRET = "hunter2-" + draw(ALNUM, 20)


@pytest.mark.parametrize(
    "encoded",
    [
        SECRET,
        base64.b64encode(SECRET.encode()).decode(),
        base64.b64encode(b"PROD_DB_PASSWORD=" + SECRET.encode()).decode(),
        base64.b64encode(b"x=" + SECRET.encode() + b"\n").decode(),
        base64.urlsafe_b64encode(b"pw:" + SECRET.encode()).decode(),
        SECRET.encode().hex(),
    ],
    ids=["plain", "base64", "base64 of a line", "base64 shifted", "urlsafe", "hex"],
)
def test_a_known_secret_is_redacted_however_encoded(encoded: str) -> None:
    known = known_values({"PROD_DB_PASSWORD": SECRET, "HOME": "/root", "TERM": "xterm-256color"})
    assert known == (SECRET,)
    out, count = redact(f"E   AssertionError: got {encoded!r}\n", known)
    assert count >= 1
    assert not any(e in out for e in encodings(SECRET)), out


def test_base64_beside_a_secret_word_is_redacted_unknown() -> None:
    blob = base64.b64encode(b"PROD_DB_PASSWORD=" + SECRET.encode()).decode()
    out, _ = redact(f"password (base64): {blob}")
    assert blob not in out


def test_dotenv_values_are_known(tmp_path) -> None:  # type: ignore[no-untyped-def]
    env = tmp_path / ".env"
    env.write_text(f'export PROD_DB_PASSWORD="{SECRET}"\nDEBUG=true\nSESSION={HEX32}\n# x=1\n')
    assert set(dotenv_values(env)) == {SECRET, HEX32}
    assert dotenv_values(tmp_path / "missing") == ()
