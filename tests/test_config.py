from __future__ import annotations

from pathlib import Path

import pytest

from relay_git.config import DEFAULT_CODER, Config, load
from relay_git.errors import UsageError


def test_defaults_without_repo() -> None:
    cfg = load(None, {})
    assert cfg.coder == DEFAULT_CODER
    assert cfg.fail_on == "error"


def test_precedence_pyproject_toml_env(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.relay-git]\nreviewer = "openai:from-pyproject"\njobs = 4\nfail-on = "warning"\n'
    )
    (tmp_path / ".relay-git.toml").write_text('reviewer = "openai:from-toml"\n')
    cfg = load(tmp_path, {"RELAY_GIT_JOBS": "7"})
    assert cfg.reviewer == "openai:from-toml"  # .relay-git.toml beats pyproject
    assert cfg.fail_on == "warning"  # pyproject still applies where the toml is silent
    assert cfg.jobs == 7  # environment beats both
    assert cfg.replace(jobs=3).jobs == 3  # a flag beats everything
    assert cfg.replace(jobs=None).jobs == 7  # an absent flag changes nothing


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("nope = 1\n", "unknown setting 'nope'"),
        ('fail_on = "sometimes"\n', "fail_on must be one of"),
        ('jobs = "many"\n', "setting 'jobs' has a bad value"),
        ("jobs = [\n", "invalid TOML"),
    ],
)
def test_bad_config_is_a_usage_error(tmp_path: Path, content: str, message: str) -> None:
    (tmp_path / ".relay-git.toml").write_text(content)
    with pytest.raises(UsageError, match=message):
        load(tmp_path, {})


def test_list_settings_from_env_and_openai_base_url() -> None:
    cfg = load(None, {"RELAY_GIT_EXCLUDE": "*.md, docs/*", "OPENAI_BASE_URL": "http://x/v1"})
    assert cfg.exclude == ("*.md", "docs/*")
    assert cfg.openai_base_url == "http://x/v1"
    assert isinstance(cfg, Config)
