"""``relay-git review`` in odd repositories (issue 7, point 7).

No commits yet, detached HEAD, a shallow clone, submodules, LFS pointer files, CRLF and
non-UTF-8 content, file names with spaces, unicode and newlines, and a 100k-file
repository -- each reviewed end to end with the fake reviewer (and the non-UTF-8 case
also over HTTP to a loopback OpenAI-compatible server, to check what goes on the wire).
"""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import pytest
from tests.conftest import git
from tests.fakes import FakeBackend, factory, review_reply
from tests.loopback import serve

from relay_git.cli import main

REVIEWER = "ollama:fake-reviewer"


def review(
    repo: Path,
    capsys: pytest.CaptureFixture[str],
    *args: str,
    reply: dict[str, object] | None = None,
) -> tuple[int, dict[str, object], FakeBackend]:
    fake = FakeBackend(REVIEWER)
    fake.default = reply or review_reply()
    code = main(
        ["review", "--reviewer", REVIEWER, "--format", "json", "--no-cache", *args],
        obj={"make_backend": factory(fake)},
    )
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, (json.loads(out) if out.strip() else {}), fake


def prompt(fake: FakeBackend) -> str:
    return "\n".join(m["content"] for r in fake.history for m in r.messages)


def finding(path: str, line: int) -> dict[str, object]:
    return {"path": path, "line": line, "severity": "error", "message": "bad"}


def test_no_commits_yet(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = tmp_path / "empty"
    git(tmp_path, "init", "-q", "-b", "main", str(repo))
    monkeypatch.chdir(repo)
    (repo / "first.py").write_text("x = 1\n")
    git(repo, "add", "first.py")
    code, data, fake = review(
        repo, capsys, reply=review_reply("fix", "s", [finding("first.py", 1)])
    )
    assert code == 1 and data["coverage"]["reviewed"] == ["first.py"]  # type: ignore[index]
    assert "+x = 1" in prompt(fake)
    # ranges need commits: a clear usage error, not a crash
    code = main(
        ["review", "--reviewer", REVIEWER, "HEAD~1..HEAD"], obj={"make_backend": factory(fake)}
    )
    err = capsys.readouterr().err
    assert code == 2 and "unknown revision" in err


def test_detached_head(
    repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(repo)
    (repo / "a.py").write_text("a = 1\n")
    git(repo, "add", "a.py")
    git(repo, "commit", "-q", "-m", "a")
    git(repo, "checkout", "-q", "--detach", "HEAD")
    (repo / "a.py").write_text("a = 2\n")
    git(repo, "add", "a.py")
    code, data, _ = review(repo, capsys)
    assert code == 0 and data["coverage"]["reviewed"] == ["a.py"]  # type: ignore[index]
    code, data, _ = review(repo, capsys, "--base", "main")
    assert code == 0
    assert git(repo, "rev-parse", "--abbrev-ref", "HEAD").strip() == "HEAD"  # still detached


def test_shallow_clone(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for n in range(3):
        (repo / f"f{n}.py").write_text(f"n = {n}\n")
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "-m", f"c{n}")
    clone = tmp_path / "shallow"
    git(tmp_path, "clone", "-q", "--depth", "1", f"file://{repo}", str(clone))
    monkeypatch.chdir(clone)
    (clone / "f2.py").write_text("n = 22\n")
    git(clone, "add", "f2.py")
    code, data, _ = review(clone, capsys)
    assert code == 0 and data["coverage"]["reviewed"] == ["f2.py"]  # type: ignore[index]
    code = main(
        ["review", "--reviewer", REVIEWER, "HEAD~1..HEAD"],
        obj={"make_backend": factory(FakeBackend(REVIEWER))},
    )
    err = capsys.readouterr().err
    assert code == 2 and "unknown revision 'HEAD~1'" in err  # history is cut: said, not crashed


def test_submodule_change_is_named_not_reviewed_as_code(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    lib = tmp_path / "lib"
    git(tmp_path, "init", "-q", "-b", "main", str(lib))
    (lib / "lib.py").write_text("v = 1\n")
    git(lib, "add", "-A")
    git(lib, "commit", "-q", "-m", "lib")
    monkeypatch.chdir(repo)
    git(repo, "-c", "protocol.file.allow=always", "submodule", "add", "-q", str(lib), "vendor/lib")
    (repo / "app.py").write_text("import lib\n")
    git(repo, "add", "-A")
    code, data, _fake = review(repo, capsys)
    assert code == 0
    coverage = data["coverage"]
    assert "app.py" in coverage["reviewed"]  # type: ignore[index]
    named = set(coverage["reviewed"]) | {s["path"] for s in coverage["skipped"]}  # type: ignore[index]
    assert "vendor/lib" in named and ".gitmodules" in named


def test_lfs_pointer_files(
    repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(repo)
    (repo / ".gitattributes").write_text("*.bin filter=lfs diff=lfs merge=lfs -text\n")
    (repo / "model.bin").write_text(
        "version https://git-lfs.github.com/spec/v1\n"
        "oid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\n"
        "size 12345\n"
    )
    git(repo, "add", "-A")  # no lfs filter installed here: the pointer is committed as text
    code, data, _ = review(repo, capsys)
    assert code == 0
    cov = data["coverage"]
    assert {"model.bin", ".gitattributes"} <= set(cov["reviewed"]) | {
        s["path"] for s in cov["skipped"]
    }  # type: ignore[index]


def test_crlf_content_anchors_findings(
    repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(repo)
    (repo / "win.py").write_bytes(b"a = 1\r\nb = 2\r\nc = 3\r\n")
    git(repo, "add", "win.py")
    code, data, fake = review(repo, capsys, reply=review_reply("fix", "s", [finding("win.py", 2)]))
    assert code == 1
    [f] = data["findings"]  # type: ignore[misc]
    assert (f["path"], f["line"]) == ("win.py", 2)
    assert "\r" not in prompt(fake)


NON_UTF8 = "caf\xe9 = 'na\xefve'\n".encode("latin-1") + b"bad = b'\xff\xfe'\n"


def test_non_utf8_content_is_reviewed(
    repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(repo)
    (repo / "latin.py").write_bytes(NON_UTF8)
    git(repo, "add", "latin.py")
    code, data, _fake = review(
        repo, capsys, reply=review_reply("fix", "s", [finding("latin.py", 2)])
    )
    assert code == 1 and data["findings"][0]["line"] == 2  # type: ignore[index]


def test_non_utf8_content_goes_over_the_wire(
    repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The diff holds bytes that are not UTF-8; the request must still be valid JSON."""
    monkeypatch.chdir(repo)
    (repo / "latin.py").write_bytes(NON_UTF8)
    git(repo, "add", "latin.py")
    content = json.dumps(review_reply())
    with serve() as server:
        server.route("GET", "/v1/models", {"data": [{"id": "m"}]})
        server.route(
            "POST",
            "/v1/chat/completions",
            {"choices": [{"message": {"content": content}, "finish_reason": "stop"}]},
        )
        monkeypatch.setenv("RELAY_GIT_OPENAI_BASE_URL", server.url + "/v1")
        code = main(["review", "--reviewer", "openai:m"])
        err = capsys.readouterr().err
        [request] = server.received("/v1/chat/completions")
    assert code == 0, err
    body = request.json()  # valid JSON, strict UTF-8
    assert "caf" in body["messages"][-1]["content"]


NAMES = [
    "with space.py",
    "ünïcödé/naïve.py",
    "日本語.py",
    "new\nline.py",
    'quote"and\\slash.py',
    "tab\there.py",
    "-dash-first.py",
]


@pytest.mark.parametrize("name", NAMES)
def test_odd_file_names_round_trip(
    repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    monkeypatch.chdir(repo)
    path = repo / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("x = 1\ny = 2\n")
    git(repo, "add", "--", name)
    code, data, _fake = review(repo, capsys, reply=review_reply("fix", "s", [finding(name, 2)]))
    assert data["coverage"]["reviewed"] == [name]  # type: ignore[index]
    assert code == 1
    [f] = data["findings"]  # type: ignore[misc]
    assert f["path"] == name  # anchored to the unquoted name


def fast_import(repo: Path, count: int) -> None:
    """Commit ``count`` small files in one ``git fast-import`` stream (seconds, not minutes)."""
    lines = [
        "blob",
        "mark :1",
        "data 6",
        "x = 1",
        "commit refs/heads/main",
        "committer Test User <test@example.com> 1767225600 +0000",
        "data 4",
        "many",
        "from refs/heads/main^0",
    ]
    lines += [f"M 100644 :1 pkg{n // 1000}/mod{n}.py" for n in range(count)]
    stream = "\n".join(lines) + "\n\n"
    subprocess.run(["git", "fast-import", "--quiet"], cwd=repo, input=stream.encode(), check=True)
    git(repo, "read-tree", "main")  # the index follows; no need to write 100k files to disk


@pytest.mark.slow
def test_100k_file_repository_stays_bounded(
    repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(repo)
    start = time.monotonic()
    fast_import(repo, 100_000)
    made = time.monotonic() - start
    (repo / "app.py").write_text("print('hi')\n")
    git(repo, "add", "app.py")
    start = time.monotonic()
    code, data, fake = review(repo, capsys)
    assert code == 0 and data["coverage"]["reviewed"] == ["app.py"]  # type: ignore[index]
    assert time.monotonic() - start < 10, "a one-file review must not scale with the repo"
    # the commit that added 100k files, reviewed whole: bounded by --max-files and context
    start = time.monotonic()
    code, data, fake = review(repo, capsys, "--max-files", "50", "HEAD~1..HEAD")
    took = time.monotonic() - start
    cov = data["coverage"]
    assert len(cov["reviewed"]) == 50  # type: ignore[index,arg-type]
    assert sum(1 for s in cov["skipped"] if s["limit"]) == 100_000 - 50  # type: ignore[index,union-attr]
    assert all(len(prompt_of(r)) < 8192 * 4 for r in fake.history)
    assert took < 30, (made, took)


def prompt_of(request: object) -> str:
    return "".join(m["content"] for m in request.messages)  # type: ignore[attr-defined]
