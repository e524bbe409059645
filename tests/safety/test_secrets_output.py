"""Test output is redacted where it is made (issue 18, first Medium item).

``testrun.run`` returns the output every later step quotes: prompts to the fix and
escalation models, the run's saved state, and the body of a fix round's commit
(``Failing: CMD`` and the output's tail). Here a real test command prints a secret of the
main checkout's ``.env`` and one of the user's environment, plain, base64 and hex; none of
those forms may be in the outcome, under either sandbox or unsandboxed (where the test
reads the ``.env`` itself, as the review's probe did).
"""

from __future__ import annotations

import base64
import os
import secrets
import shlex
from pathlib import Path

import pytest
from tests.safety.test_sandbox import _relay_worktree, _usable

from relay_git.safety.redact import encodings
from relay_git.safety.sandbox import Kind
from relay_git.scaffold.verify.testrun import run


def _forms(value: str) -> list[str]:
    raw = value.encode()
    line = b"PROD_DB_PASSWORD=" + raw + b"\n"
    return [value, base64.b64encode(raw).decode(), raw.hex(), base64.b64encode(line).decode()]


@pytest.mark.parametrize("kind", [Kind.BWRAP, Kind.UNSHARE, Kind.NONE])
def test_printed_secrets_leave_the_test_run_redacted(
    repo: Path, tmp_path: Path, kind: Kind
) -> None:
    _usable(kind)
    dotenv_secret = "Pr0d-" + secrets.token_hex(12)
    env_secret = "Env-" + secrets.token_urlsafe(18)
    (repo / ".env").write_text(f"PROD_DB_PASSWORD={dotenv_secret}\n")
    wt = _relay_worktree(repo, "under-git-dir", tmp_path)
    printed = _forms(dotenv_secret) + _forms(env_secret)
    command = "; ".join(f"echo {shlex.quote('got ' + p)}" for p in printed)
    if kind is Kind.NONE:  # the review's probe: find the main checkout, read and encode
        command += '; base64 "$(dirname "$(git rev-parse --path-format=absolute'
        command += ' --git-common-dir)")/.env"; exit 1'
    else:
        command += "; exit 1"
    environ = {**os.environ, "DEPLOY_TOKEN": env_secret}
    outcome = run(command, wt.path, 60, environ, sandbox=kind)
    assert outcome.status == "failed"
    got = [line for line in outcome.output.splitlines() if line.startswith("got ")]
    assert len(got) == len(printed) and all("[REDACTED known secret]" in g for g in got), got
    for value in (dotenv_secret, env_secret):
        assert [f for f in encodings(value) if f in outcome.output] == []
    if kind is Kind.NONE:
        dotenv_line = f"PROD_DB_PASSWORD={dotenv_secret}\n".encode()
        assert base64.b64encode(dotenv_line).decode() not in outcome.output
        assert "[REDACTED known secret]" in outcome.output.splitlines()[-1]
