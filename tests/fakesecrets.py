"""Fake secrets of every format relay-git redacts, generated at run time.

No realistic-looking secret is written in the source (it would trip secret scanners):
each value is built from random characters of the format's alphabet and length, around
its fixed prefix. ``planted()`` gives (name, line of code/config holding it, the value
that must never leave the machine) for each format, in the contexts people write them.
"""

from __future__ import annotations

import json
import random
import string
from typing import NamedTuple

UPPER = string.ascii_uppercase
LOWER = string.ascii_lowercase
DIGITS = string.digits
ALNUM = UPPER + LOWER + DIGITS
URLSAFE = ALNUM + "-_"
BASE64 = ALNUM + "+/"


class Planted(NamedTuple):
    name: str
    line: str  # the text that holds it, as written in a file
    value: str  # must not appear in anything sent to a remote model


def chars(rng: random.Random, alphabet: str, n: int) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


def mixed(rng: random.Random, n: int = 20) -> str:
    """Letters of both cases and digits, like a generated password or token."""
    core = [rng.choice(UPPER), rng.choice(LOWER), rng.choice(DIGITS)]
    core += [rng.choice(ALNUM) for _ in range(n - 3)]
    rng.shuffle(core)
    return "".join(core)


def pem(rng: random.Random, label: str, joiner: str = "\n") -> tuple[str, str]:
    """A private-key block and its first body line (the part that must not leak)."""
    body = [chars(rng, BASE64, 64) for _ in range(3)]
    head = "-----BEGIN " + label + "PRIVATE KEY-----"
    tail = "-----END " + label + "PRIVATE KEY-----"
    return joiner.join([head, *body, tail]), body[0]


def _tokens(rng: random.Random) -> list[Planted]:
    def p(name: str, line: str, value: str) -> Planted:
        return Planted(name, line.replace("{}", value), value)

    return [
        p("stripe secret", 'STRIPE = "{}"', "sk_" + "live_" + chars(rng, ALNUM, 24)),
        p("stripe restricted", "stripe_rk = '{}'", "rk_" + "live_" + chars(rng, ALNUM, 24)),
        p("stripe test", "STRIPE_TEST={}", "sk_" + "test_" + chars(rng, ALNUM, 24)),
        p("gitlab", 'CI = "{}"', "glpat" + "-" + chars(rng, URLSAFE, 20)),
        p("slack bot", "bot = '{}'", "xoxb" + f"-{chars(rng, DIGITS, 11)}-{mixed(rng, 24)}"),
        p("slack user", "user = '{}'", "xoxp" + f"-{chars(rng, DIGITS, 11)}-{mixed(rng, 32)}"),
        p(
            "slack webhook",
            'HOOK = "{}"',
            "https://hooks.slack.com/services/"
            + f"T{chars(rng, UPPER + DIGITS, 8)}/B{chars(rng, UPPER + DIGITS, 8)}/"
            + chars(rng, ALNUM, 24),
        ),
        p("gcp api key", "maps = '{}'", "AI" + "za" + chars(rng, URLSAFE, 35)),
        p("openai", 'OPENAI = "{}"', "sk" + "-" + chars(rng, ALNUM, 48)),
        p("openai project", 'OPENAI = "{}"', "sk-" + "proj-" + chars(rng, URLSAFE, 80)),
        p("anthropic", 'CLAUDE = "{}"', "sk-" + "ant-api03-" + chars(rng, URLSAFE, 93)),
        p("github classic", "GH = '{}'", "gh" + "p_" + chars(rng, ALNUM, 36)),
        p("github oauth", "GH = '{}'", "gh" + "o_" + chars(rng, ALNUM, 36)),
        p(
            "github fine-grained",
            "GH = '{}'",
            "github_" + "pat_" + chars(rng, ALNUM, 22) + "_" + chars(rng, ALNUM, 59),
        ),
        p("aws access key", 'AWS_ID = "{}"', "AK" + "IA" + chars(rng, UPPER + DIGITS, 16)),
    ]


def _cloud(rng: random.Random) -> list[Planted]:
    aws = chars(rng, BASE64, 40)
    account = chars(rng, BASE64, 86) + "=="
    bus = chars(rng, BASE64, 43) + "="
    block, body = pem(rng, "", "\\n")
    service_account = json.dumps({"type": "service_account", "private_key_id": "k"})[:-1]
    service_account += f', "private_key": "{block}\\n"}}'
    return [
        Planted("aws secret, python", f'aws_secret_access_key = "{aws}"', aws),
        Planted("aws secret, typed", f'    aws_secret_access_key: str = "{aws}"', aws),
        Planted("aws secret, yaml", f"  aws_secret_access_key: {aws}", aws),
        Planted("aws secret, ini", f"aws_secret_access_key = {aws}", aws),
        Planted(
            "azure storage",
            "CONN = 'DefaultEndpointsProtocol=https;AccountName=acct;"
            f"AccountKey={account};EndpointSuffix=core.windows.net'",
            account[:40],
        ),
        Planted(
            "azure service bus",
            f'BUS = "Endpoint=sb://x.servicebus.windows.net/;SharedAccessKeyName=Root;'
            f'SharedAccessKey={bus}"',
            bus[:40],
        ),
        Planted("gcp service account", service_account, body),
    ]


def _keys_and_assignments(rng: random.Random) -> list[Planted]:
    rsa, rsa_body = pem(rng, "RSA ")
    ec, ec_body = pem(rng, "EC ")
    ssh, ssh_body = pem(rng, "OPENSSH ")
    values = [mixed(rng, rng.randint(12, 28)) for _ in range(8)]
    return [
        Planted("rsa private key", f'KEY = """{rsa}"""', rsa_body),
        Planted("ec private key", f"key: |\n  {ec.replace(chr(10), chr(10) + '  ')}", ec_body),
        Planted("openssh private key", ssh, ssh_body),
        Planted("PASSWORD=", f'PASSWORD="{values[0]}"', values[0]),
        Planted("yaml password", f"  password: {values[1]}", values[1]),
        Planted("json token", f'  "token": "{values[2]}",', values[2]),
        Planted("python secret", f"DB_SECRET = '{values[3]}'", values[3]),
        Planted(".env token", f"API_TOKEN={values[4]}", values[4]),
        Planted("ini password", f"password = {values[5]}", values[5]),
        Planted("camelCase key", f'const apiKey: string = "{values[6]}";', values[6]),
        Planted("url password", f'DSN = "postgres://app:{values[7]}@db:5432/app"', values[7]),
    ]


def planted(seed: int | None = None) -> list[Planted]:
    """One fake secret of every format, in a fresh random draw (``seed`` to repeat one)."""
    rng = random.Random(seed)
    return [*_tokens(rng), *_cloud(rng), *_keys_and_assignments(rng)]


# Ordinary code that names secrets without holding one: redaction must leave it alone.
ORDINARY = (
    "token_count = 3",
    'password_field = form.get("password")',
    'token_type = "Bearer"',
    "password = self.password",
    'api_key = os.environ["API_KEY"]',
    'tokenizer = "gpt2-tokenizer"',
    "db_password = get_password()",
    "password: Optional[str] = None",
    "secret: SecretStr",
    'token_url = "https://oauth2.googleapis.com/token"',
    "if not token:",
    'def login(user: str, password: str) -> "Session":',
    "    return check(password, stored.password_hash)",
    "password: ${DB_PASSWORD}",
    "token: null",
    "def skip(self):",
    "    return 'ghp_short' + AKIA_PREFIX",
    "sig = inspect.signature(func)",
)
