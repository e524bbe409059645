"""OLLAMA_HOST pointed at a server that is not Ollama: one accurate hint, from review and doctor.

The servers are loopback HTTP servers on 127.0.0.1 (tests/loopback.py) answering the way
real non-Ollama servers do: an empty 404, Go's plain "404 page not found" (what Ollama
itself sends for a path it does not serve), an HTML page with 200. The control case is
Ollama's real missing-model 404 body, ``{"error": "model 'x' not found"}`` (/api/show).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.loopback import Reply, serve

from relay_git.cli import main

PATHS = (("POST", "/api/show"), ("GET", "/api/tags"), ("POST", "/api/chat"))
DIFF = "diff --git a/a.py b/a.py\n--- a/a.py\n+++ b/a.py\n@@ -1 +1 @@\n-x\n+y\n"


def errors(
    url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> tuple[str, str]:
    """The one-line error of `review` and of `doctor`'s reviewer line, against ``url``."""
    monkeypatch.setenv("OLLAMA_HOST", url)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.diff").write_text(DIFF)
    capsys.readouterr()
    assert main(["review", "--reviewer", "gpt-oss:120b", "--diff-file", "a.diff"]) == 3
    review = capsys.readouterr().err.strip().removeprefix("relay-git: error: ")
    assert main(["doctor"]) == 3
    [doctor] = [ln for ln in capsys.readouterr().out.splitlines() if ln.startswith("reviewer")]
    return review, doctor.partition(" — ")[2]


@pytest.mark.parametrize(
    "reply",
    [
        Reply(404, b""),
        Reply(404, "404 page not found"),
        Reply(200, "<html><body>It works!</body></html>"),
    ],
    ids=["empty-404", "go-404", "html-200"],
)
def test_one_accurate_hint_from_review_and_doctor(
    reply: Reply,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    with serve() as server:
        for method, path in PATHS:
            server.route(method, path, reply)
        review, doctor = errors(server.url, tmp_path, monkeypatch, capsys)
    for said in (review, doctor):
        assert f"{server.url} (OLLAMA_HOST) does not answer like an Ollama server (" in said
        assert "point OLLAMA_HOST at an Ollama server" in said
        assert "()" not in said and "ollama pull" not in said and "\n" not in said
    assert review == doctor  # whichever endpoint each command happened to ask first


def test_a_real_missing_model_still_says_pull_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with serve() as server:
        server.route("POST", "/api/show", Reply(404, {"error": "model 'gpt-oss:120b' not found"}))
        server.route("GET", "/api/tags", {"models": []})
        monkeypatch.setenv("OLLAMA_HOST", server.url)
        monkeypatch.chdir(tmp_path)
        (tmp_path / "a.diff").write_text(DIFF)
        assert main(["review", "--reviewer", "gpt-oss:120b", "--diff-file", "a.diff"]) == 3
    err = capsys.readouterr().err
    assert (
        f"model gpt-oss:120b not found on Ollama at {server.url} (`ollama pull gpt-oss:120b`)"
        in err
    )
