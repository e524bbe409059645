"""`relay-git init` on real temporary repositories, checked by the real pre-commit framework.

The end-to-end test runs the written hook through `pre-commit run`; its reviewer is
bench/standin.py, a local stand-in for the Ollama server on 127.0.0.1.
"""

from __future__ import annotations

import difflib
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml
from bench.standin import SPEC, error_at, reply, serve
from tests.conftest import git

from relay_git import config
from relay_git.cli import main
from relay_git.starter import files as starter

PRE_COMMIT = shutil.which("pre-commit") or str(Path(sys.executable).with_name("pre-commit"))
EXISTING = """\
# our hooks
repos:
# formatting first
-   repo: https://github.com/psf/black
    rev: 24.1.0
    hooks:
    -   id: black   # keep this comment
{extra}
# pre-commit.ci settings
ci:
    autofix_prs: false
"""


def init(repo: Path, *args: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    here = os.getcwd()
    os.chdir(repo)
    try:
        code = main(["init", *args])
    finally:
        os.chdir(here)
    out, err = capsys.readouterr()
    return code, out, err


def validate(repo: Path) -> None:
    proc = subprocess.run(
        [PRE_COMMIT, "validate-config", starter.PRECOMMIT_FILE],
        cwd=repo, capture_output=True, text=True,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr


def snapshot(repo: Path) -> dict[str, str]:
    files = [p for p in repo.rglob("*") if p.is_file() and ".git" not in p.relative_to(repo).parts]
    return {str(p.relative_to(repo)): p.read_text() for p in files}


def test_fresh_repo_gets_three_valid_files(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = init(repo, "--github", capsys=capsys)
    assert code == 0, err
    for name in (starter.CONFIG_FILE, starter.PRECOMMIT_FILE, starter.WORKFLOW_FILE):
        assert f"created {name}" in err
    validate(repo)
    workflow = yaml.safe_load((repo / starter.WORKFLOW_FILE).read_text())
    assert workflow["jobs"]["review"]["steps"][1]["uses"] == starter.ACTION_PLACEHOLDER
    assert "replace <YOUR-FORK> (the account you get relay-git from) and RELEASE_SHA" in err


def test_config_lists_every_key_with_its_default(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Uncommenting every line must give exactly the built-in defaults."""
    init(repo, capsys=capsys)
    text = (repo / starter.CONFIG_FILE).read_text()
    assert tomllib.loads(text) == {}  # everything commented out: the file changes nothing
    for key in starter.config_keys():
        assert re.search(rf"^# {key.name} =", text, re.MULTILINE), key.name
    valued = [m.group(1) for m in re.finditer(r"^# (\w+ = .+)$", text, re.MULTILINE)]
    uncommented = tomllib.loads("\n".join(valued))
    assert set(uncommented) == {k.name for k in starter.config_keys() if k.default is not None}
    (repo / starter.CONFIG_FILE).write_text("\n".join(valued) + "\n")
    assert config.load(repo, {}) == config.Config()


def test_second_run_changes_nothing(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    init(repo, "--github", capsys=capsys)
    before = snapshot(repo)
    code, out, err = init(repo, "--github", capsys=capsys)
    assert code == 0
    assert snapshot(repo) == before
    assert "nothing to do" in err and "created" not in err and out == ""


def test_dry_run_writes_nothing_and_its_diff_applies(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (repo / starter.PRECOMMIT_FILE).write_text(EXISTING.format(extra=""))
    twin = tmp_path / "twin"
    shutil.copytree(repo, twin)
    code, diff, err = init(repo, "--dry-run", "--github", capsys=capsys)
    assert code == 0
    assert snapshot(repo) == snapshot(twin)
    assert f"would update {starter.PRECOMMIT_FILE}" in err
    assert f"+++ b/{starter.CONFIG_FILE}" in diff
    _apply(repo, diff)
    init(twin, "--github", capsys=capsys)
    assert snapshot(repo) == snapshot(twin)


def _apply(repo: Path, diff: str) -> None:
    proc = subprocess.run(["git", "apply"], cwd=repo, input=diff, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


@pytest.mark.parametrize(
    "extra",
    ["", "-   repo: local\n    hooks:\n    -   id: mine\n        name: mine\n"
     "        entry: 'true'\n        language: system\n"],
)  # fmt: skip
def test_existing_config_is_appended_to_keeping_comments(
    repo: Path, extra: str, capsys: pytest.CaptureFixture[str]
) -> None:
    old = EXISTING.format(extra=extra)
    (repo / starter.PRECOMMIT_FILE).write_text(old)
    code, _, err = init(repo, capsys=capsys)
    assert code == 0, err
    new = (repo / starter.PRECOMMIT_FILE).read_text()
    matcher = difflib.SequenceMatcher(None, old.splitlines(), new.splitlines(), autojunk=False)
    edits = [op[0] for op in matcher.get_opcodes() if op[0] != "equal"]
    assert edits == ["insert"]  # one block added, not a line of the old text changed
    parsed = yaml.safe_load(new)
    assert parsed["ci"] == {"autofix_prs": False}
    assert parsed["repos"][:-1] == yaml.safe_load(old)["repos"]
    assert parsed["repos"][-1]["hooks"][0]["id"] == starter.HOOK_ID
    validate(repo)
    code, _, err = init(repo, capsys=capsys)
    assert "already runs relay-git-review" in err
    assert (repo / starter.PRECOMMIT_FILE).read_text() == new


def test_indented_list_style_is_followed(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (repo / starter.PRECOMMIT_FILE).write_text(
        "repos:\n  - repo: local\n    hooks:\n      - id: a\n        name: a\n"
        "        entry: 'true'\n        language: system\n"
    )
    assert init(repo, capsys=capsys)[0] == 0
    assert "\n  -   repo: local\n" in (repo / starter.PRECOMMIT_FILE).read_text()
    validate(repo)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("repos: []\n", "without rewriting it"),
        ("repos:\n- repo: x\n  hooks: [\n", "invalid YAML"),
        ("- just\n- a list\n", "without rewriting it"),
    ],
)
def test_unsafe_configs_are_left_alone(
    repo: Path, text: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    (repo / starter.PRECOMMIT_FILE).write_text(text)
    code, _, err = init(repo, capsys=capsys)
    assert code == 2
    assert message in err and "Traceback" not in err
    assert (repo / starter.PRECOMMIT_FILE).read_text() == text
    assert not (repo / starter.CONFIG_FILE).exists()


def test_existing_files_are_kept(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (repo / starter.CONFIG_FILE).write_text('reviewer = "anthropic:claude-sonnet-4-5"\n')
    code, _, err = init(repo, capsys=capsys)
    assert code == 0
    assert f"{starter.CONFIG_FILE}: exists, left as it is" in err
    assert (repo / starter.CONFIG_FILE).read_text() == 'reviewer = "anthropic:claude-sonnet-4-5"\n'


def test_outside_a_repository_is_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = init(tmp_path, capsys=capsys)
    assert code == 2 and "not inside a git repository" in err
    assert list(tmp_path.iterdir()) == []


BARE_PATH = os.pathsep.join(["/usr/bin", "/bin"])  # git, and no relay-git


def run_pre_commit(repo: Path, url: str, *args: str) -> subprocess.CompletedProcess[str]:
    """The real `pre-commit run` as a GUI client or an IDE starts it: a PATH with git on
    it but no relay-git (and no virtualenv active, no PYTHONPATH)."""
    assert shutil.which("relay-git", path=BARE_PATH) is None
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env.update(PATH=BARE_PATH, OLLAMA_HOST=url, RELAY_GIT_REVIEWER=SPEC,
               PRE_COMMIT_HOME=str(repo.parent / "pch"))  # fmt: skip
    return subprocess.run(
        [PRE_COMMIT, "run", starter.HOOK_ID, "--color", "never", *args],
        cwd=repo, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip


@pytest.mark.slow
def test_written_hook_runs_without_relay_git_on_path(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """init, then the real `pre-commit run` runs relay-git (this checkout's) as the hook,
    though no relay-git is on PATH (it was `Executable relay-git not found`, blocked).
    The reviewer is bench/standin.py, a local stand-in for the Ollama server."""
    init(repo, capsys=capsys)
    entry = yaml.safe_load((repo / starter.PRECOMMIT_FILE).read_text())["repos"][0]["hooks"][0]
    assert entry["entry"].startswith(sys.executable)
    (repo / "app.py").write_text("def add(a, b):\n    return a + b\n")
    git(repo, "add", "-A")
    with serve(reply()) as server:
        proc = run_pre_commit(repo, server.url)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert "relay-git: approve — staged changes" in proc.stdout
        assert len(server.chats) == 1


@pytest.fixture
def committed(repo: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """init, and two commits: the second brings a bug; nothing is staged."""
    init(repo, capsys=capsys)
    (repo / "app.py").write_text("def add(a, b):\n    return a + b\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "setup")
    (repo / "app.py").write_text("def add(a, b):\n    return a - b\n")
    git(repo, "commit", "-q", "-am", "bug")
    return repo


@pytest.mark.slow
def test_pre_commit_all_files_reviews_the_files(committed: Path) -> None:
    """`pre-commit run --all-files` (CI) with nothing staged reviews every file it names,
    whole; it said "nothing to review (staged changes: no changes)"."""
    with serve(error_at("app.py", 2)) as server:
        proc = run_pre_commit(committed, server.url, "--all-files")
        assert proc.returncode == 1, proc.stdout + proc.stderr
        assert "app.py:2: error: subtracts instead of adding" in proc.stdout
        assert "nothing to review" not in proc.stdout + proc.stderr
        sent = json.dumps(server.chats)
        assert "return a - b" in sent and "hello" in sent  # app.py and README.md, whole


@pytest.mark.slow
def test_pre_commit_from_ref_to_ref_reviews_the_range(committed: Path) -> None:
    """`pre-commit run --from-ref HEAD~1 --to-ref HEAD` reviews that range."""
    with serve(error_at("app.py", 2)) as server:
        proc = run_pre_commit(committed, server.url, "--from-ref", "HEAD~1", "--to-ref", "HEAD")
        assert proc.returncode == 1, proc.stdout + proc.stderr
        assert "app.py:2: error:" in proc.stdout
        sent = json.dumps(server.chats)
        assert "-    return a + b" in sent and "hello" not in sent  # the range's diff only


ROOT = Path(__file__).resolve().parents[2]
ZIZMOR = shutil.which("zizmor") or str(Path(sys.executable).with_name("zizmor"))
SHA = "0123456789abcdef0123456789abcdef01234567"


def zizmor(path: Path) -> list[object]:
    """zizmor (in the dev extra) audits a workflow offline; its JSON findings."""
    done = subprocess.run(
        [ZIZMOR, "--offline", "--no-progress", "--format", "json", str(path)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0 or 10 <= done.returncode <= 14, done.stderr  # 1x: findings
    found: list[object] = json.loads(done.stdout)
    return found


@pytest.mark.parametrize("action", [None, f"my-org/relay-git@{SHA}"])
def test_workflow_is_the_readme_workflow_and_zizmor_clean(
    repo: Path, action: str | None, capsys: pytest.CaptureFixture[str]
) -> None:
    """Pinned actions, `permissions: {}` with job permissions, the README's placeholder
    (it was `<YOUR-FORK>/relay-git@main`, `actions/checkout@v4` and write permissions for
    every job)."""
    code, _, err = init(repo, "--github", *(["--action", action] if action else []), capsys=capsys)
    assert code == 0, err
    text = (repo / starter.WORKFLOW_FILE).read_text()
    example = (ROOT / "examples" / "github-workflow.yml").read_text()
    if action is None:
        assert text == example
    else:
        assert text.replace(action, starter.ACTION_PLACEHOLDER) != example  # no ignore comment
        assert f"- uses: {action}\n" in text and "note:" not in err
    workflow = yaml.safe_load(text)
    assert workflow["permissions"] == {}
    assert workflow["jobs"]["review"]["permissions"] == {
        "contents": "read",
        "pull-requests": "write",
    }
    assert re.search(r"actions/checkout@[0-9a-f]{40} # v", text)
    assert zizmor(repo / starter.WORKFLOW_FILE) == []


def test_unpinned_action_is_said(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = init(repo, "--github", "--action", "my-org/relay-git@main", capsys=capsys)
    assert code == 0 and "not pinned to a full commit SHA" in err
    assert zizmor(repo / starter.WORKFLOW_FILE) != []  # zizmor says so too


def test_github_symlink_out_of_the_repository_is_refused(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (repo / ".github").symlink_to(outside)
    code, _, err = init(repo, "--github", capsys=capsys)
    assert code == 2 and err.count("\n") == 1, err
    assert ".github/workflows/relay-git.yml leads out of the repository" in err
    assert list(outside.iterdir()) == []
    assert not (repo / starter.CONFIG_FILE).exists()  # nothing written at all


def test_starter_config_marks_what_needs_trust(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    init(repo, capsys=capsys)
    lines = (repo / starter.CONFIG_FILE).read_text().splitlines()
    for key in starter.config_keys():
        help_line = lines[
            lines.index(next(ln for ln in lines if ln.startswith(f"# {key.name} ="))) - 1
        ]
        assert ("relay-git trust" in help_line) is (key.name in config.GATED), key.name
    assert "reviewer" in config.GATED and "fail_on" not in config.GATED


def test_readme_says_what_trust_confirms() -> None:
    readme = " ".join((ROOT / "README.md").read_text().split())
    assert "`relay-git trust` also confirms the test command scaffold auto-detects" in readme


def test_workflow_uses_only_inputs_the_action_declares(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    init(repo, "--github", "--action", "my-org/relay-git@0123abc", capsys=capsys)
    step = yaml.safe_load((repo / starter.WORKFLOW_FILE).read_text())["jobs"]["review"]["steps"][1]
    assert step["uses"] == "my-org/relay-git@0123abc"
    action = yaml.safe_load((Path(__file__).resolve().parents[2] / "action.yml").read_text())
    assert set(step["with"]) <= set(action["inputs"])


def test_from_a_subdirectory_writes_at_the_top(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (repo / "pkg").mkdir()
    assert init(repo / "pkg", capsys=capsys)[0] == 0
    assert (repo / starter.CONFIG_FILE).is_file() and not (
        repo / "pkg" / starter.CONFIG_FILE
    ).exists()


def test_entry_with_a_sys_path_entry_runs(
    repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """When relay_git is importable only through a path (not installed), the entry carries
    that path, as `hooks install` does, and the command it names runs relay-git."""
    src = str(Path(starter.__file__).resolve().parents[2])
    monkeypatch.setattr(starter.install, "interpreter", lambda: (sys.executable, src))
    init(repo, capsys=capsys)
    hook = yaml.safe_load((repo / starter.PRECOMMIT_FILE).read_text())["repos"][0]["hooks"][0]
    command = shlex.split(hook["entry"])
    assert command[:3] == [sys.executable, "-I", "-c"] and command[4] == src
    assert command[-3:] == list(starter.HOOK_ARGS)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run(
        [*command[:-3], "--version"], cwd="/", env=env, capture_output=True, text=True
    )
    assert done.returncode == 0 and "relay-git" in done.stdout, done.stderr
