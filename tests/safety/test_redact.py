from __future__ import annotations

import pytest
from tests.fakesecrets import ORDINARY, Planted, planted

from relay_git.safety.redact import redact

AWS = "AKIA" + "ABCDEFGHIJKLMNOP"
GH = "ghp_" + "a" * 36


@pytest.mark.parametrize(
    ("text", "leak", "kind"),
    [
        (f"key = '{AWS}'", AWS, "aws access key"),
        (f"token: {GH}", GH, "github token"),
        ("aws_secret_access_key = " + "a" * 40, "a" * 40, "aws secret key"),
        (
            "-----BEGIN RSA PRIVATE KEY-----\nMIIEow\nabc\n-----END RSA PRIVATE KEY-----",
            "MIIEow",
            "private key",
        ),
        ("-----BEGIN OPENSSH PRIVATE KEY-----\nb3Blbn\n(truncated diff)", "b3Blbn", "private key"),
        ("OPENAI=sk-proj-" + "x" * 30, "x" * 30, "openai key"),
    ],
)
def test_redacts(text: str, leak: str, kind: str) -> None:
    out, count = redact(text)
    assert leak not in out
    assert f"[REDACTED {kind}]" in out
    assert count == 1


def test_leaves_ordinary_code_alone() -> None:
    code = "def skip(self):\n    return 'ghp_short' + AKIA_PREFIX\n"
    assert redact(code) == (code, 0)


@pytest.mark.parametrize("fake", planted(), ids=lambda p: p.name)
def test_redacts_every_generated_format(fake: Planted) -> None:
    out, count = redact(fake.line)
    assert fake.value not in out
    assert count >= 1 and "[REDACTED " in out


def test_many_fresh_draws_of_every_format_are_redacted_in_a_diff() -> None:
    """Random values can hit an edge of a pattern; 200 draws, as added diff lines."""
    for seed in range(200):
        fakes = planted(seed)
        diff = "".join(f"+{line}\n" for p in fakes for line in p.line.splitlines())
        out, count = redact(diff)
        leaked = [p.name for p in fakes if p.value in out]
        assert not leaked, (seed, leaked)
        assert count >= len(fakes) - 1  # the three PEM blocks may merge with nothing else


@pytest.mark.parametrize("line", ORDINARY)
def test_code_that_names_secrets_survives(line: str) -> None:
    assert redact(line) == (line, 0)
    assert redact(f"+{line}\n") == (f"+{line}\n", 0)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('PASSWORD="Hunter2xyz"', 'PASSWORD="[REDACTED password]"'),
        ("  password: Hunter2xyz  # prod", "  password: [REDACTED password]  # prod"),
        ('{"token": "abcDEF123456"}', '{"token": "[REDACTED token]"}'),
        ("aws_secret_access_key: str = " + '"' + "A1" * 20 + '"', None),
        ("--api-key=Zq8xY7wv6u", "--api-key=[REDACTED secret]"),
        ('clientSecret: "k3Y9pQ2mZ8"', 'clientSecret: "[REDACTED secret]"'),
    ],
)
def test_assignments_keep_their_shape(text: str, expected: str | None) -> None:
    """Only the value goes: the name, quotes and comments stay, so the code still reads."""
    out, count = redact(text)
    assert count == 1
    if expected is not None:
        assert out == expected
    assert "[REDACTED " in out


def test_redacting_twice_changes_nothing() -> None:
    once, _ = redact("\n".join(p.line for p in planted(7)))
    assert redact(once) == (once, 0)


@pytest.mark.parametrize(
    "piece", ["-token-", "eyJ-", "password: x.", "https://a:", "a://", "token=\\", "sk-"]
)
def test_hostile_input_costs_linear_time(piece: str) -> None:
    """Each of these took seconds to minutes before the patterns were made possessive."""
    import time

    text = piece * 20000
    start = time.perf_counter()
    redact(text)
    assert time.perf_counter() - start < 1.5
