"""What the review CLI tests share: ``relay-git review`` with a scripted reviewer."""

from __future__ import annotations

import pytest
from tests.fakes import FakeBackend, factory

from relay_git.cli import main

REVIEWER = "ollama:fake-reviewer"


def run(
    args: list[str], fake: FakeBackend, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str, str]:
    code = main(["review", "--reviewer", REVIEWER, *args], obj={"make_backend": factory(fake)})
    out, err = capsys.readouterr()
    return code, out, err
