"""A misspelled RELAY_GIT_* variable is an error with did-you-mean, as an unknown key in a
config file is (it was silently ignored)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from relay_git.cli import main
from relay_git.config.envnames import OTHER
from relay_git.config.schema import ENV

ROOT = Path(__file__).resolve().parents[2]


def test_misspelled_variable_is_an_error_with_did_you_mean(
    repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(repo)
    monkeypatch.setenv("RELAY_GIT_REVIEWR", "ollama:x")
    assert main(["config", "show"]) == 2
    err = capsys.readouterr().err
    assert err == (
        "relay-git: error: the environment: unknown variable RELAY_GIT_REVIEWR "
        "(did you mean RELAY_GIT_REVIEWER?)\n"
    )


def test_a_file_key_misspelled_is_the_same_kind_of_error(
    repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(repo)
    user = Path.home() / ".config" / "relay-git" / "config.toml"
    user.parent.mkdir(parents=True)
    user.write_text('reviewr = "ollama:x"\n')
    assert main(["config", "show"]) == 2
    assert "did you mean reviewer?" in capsys.readouterr().err


def test_every_variable_relay_git_reads_is_known() -> None:
    """Each RELAY_GIT_* name in the code, CI, the Action and the hooks is a setting or in OTHER:
    a new variable must be added there, or every command would refuse it."""
    texts = [p.read_text() for p in (ROOT / "src").rglob("*.py")]
    texts += [p.read_text() for p in (ROOT / ".ci").iterdir() if p.is_file()]
    texts += [(ROOT / name).read_text() for name in ("action.yml", "hooks/pre-commit")]
    names = {m for text in texts for m in re.findall(r"(?<![A-Z_])RELAY_GIT_[A-Z_]+\b", text)}
    names -= {"RELAY_GIT_ENTRY"}  # the starter's placeholder, never read from the environment
    assert names - set(ENV) - OTHER == set()
