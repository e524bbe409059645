from __future__ import annotations

import pytest

from relay_git.redact import redact

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
