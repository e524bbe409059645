"""Malformed model output never crashes relay-git (issue 7, point 2).

Every reply a model can give -- random text, truncated JSON, wrong types, extra keys,
fences, empty replies, another language, a ``done_reason: length`` cut-off -- ends in
a validated value or a :class:`ModelOutputError` carrying the raw reply; the CLI turns
the latter into exit 3 with the raw reply saved for the user.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.conftest import git
from tests.fakes import FakeBackend, factory, review_reply

from relay_git.cli import main
from relay_git.errors import ModelOutputError
from relay_git.models.base import ChatRequest, ChatResult, OnToken
from relay_git.models.call import ask_json, extract_json
from relay_git.models.ledger import Ledger
from relay_git.reporters import json as json_rep
from relay_git.reporters import markdown, sarif, text
from relay_git.review.engine import Reviewer, ReviewSettings
from relay_git.review.schema import ReviewReply

REVIEWER = "ollama:fake-reviewer"
FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# -- strategies ---------------------------------------------------------------------------

scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30)
json_values = st.recursive(
    scalars,
    lambda kids: (
        st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=10), kids, max_size=4)
    ),
    max_leaves=20,
)
severities = st.sampled_from(["error", "warning", "info", "High", "nit", "", "fatal", 3, None])
finding_like = st.fixed_dictionaries(
    {
        "path": st.sampled_from(["app.py", "b/app.py", "./app.py", "", "/etc/passwd", 7])
        | st.text(max_size=20),
        "line": st.integers(-5, 10**12) | st.sampled_from(["2", "two", None, 2.5]),
        "severity": severities,
        "message": st.text(max_size=60) | json_values,
    },
    optional={
        "end_line": st.integers(-5, 10**6) | st.none() | st.text(max_size=3),
        "category": st.text(max_size=12) | json_values,
        "suggestion": st.text(max_size=60) | st.none() | st.integers(),
        "extra": json_values,
    },
)
review_like = st.fixed_dictionaries(
    {},
    optional={
        "verdict": st.sampled_from(["approve", "fix", "reject", "LGTM", "maybe", "", 1, None]),
        "summary": st.text(max_size=80) | json_values,
        "findings": st.lists(finding_like, max_size=4) | json_values,
        "unexpected": json_values,
    },
)


@st.composite
def mangled(draw: st.DrawFn, values: st.SearchStrategy[Any]) -> str:
    """A JSON document as a model might botch it: cut, fenced, chatted around, nested."""
    doc = json.dumps(draw(values), ensure_ascii=draw(st.booleans()))
    how = draw(st.sampled_from(["plain", "cut", "fence", "chatter", "deep", "junk"]))
    if how == "cut":
        doc = doc[: draw(st.integers(0, len(doc)))]
    elif how == "fence":
        lang = draw(st.sampled_from(["", "json", "JSON", "python"]))
        doc = f"```{lang}\n{doc}\n```"
    elif how == "chatter":
        doc = f"{draw(st.text(max_size=30))}{doc}{draw(st.text(max_size=30))}"
    elif how == "deep":
        depth = draw(st.integers(1, 200_000))
        doc = "[" * depth + doc + "]" * draw(st.integers(0, depth))
    elif how == "junk":
        doc = draw(st.text(max_size=200))
    return doc


replies = mangled(review_like) | mangled(json_values) | st.text(max_size=300)


class LengthBackend(FakeBackend):
    """A fake whose every reply was cut off at the token limit (``done_reason`` length)."""

    def chat(self, request: ChatRequest, on_token: OnToken | None = None) -> ChatResult:
        return dataclasses.replace(super().chat(request, on_token), done_reason="length")


def ask(fake: FakeBackend, retries: int = 2) -> ReviewReply:
    return ask_json(
        fake,
        [{"role": "user", "content": "review this"}],
        ReviewReply,
        stage="review",
        role="reviewer",
        ledger=Ledger(),
        max_tokens=200,
        retries=retries,
    )


# -- extract_json ------------------------------------------------------------------------


@pytest.mark.slow
@FUZZ
@given(replies)
def test_extract_json_returns_or_raises_value_error(reply: str) -> None:
    with contextlib.suppress(ValueError):
        extract_json(reply)


@pytest.mark.parametrize(
    "reply",
    [
        "[" * 100_000,
        '{"a":' * 50_000,
        "here you go: " + "[" * 100_000 + "]" * 100_000,
        "```json\n" + "[" * 5000 + "\n```",
        "9" * 10_000,  # beyond int's digit limit: ValueError, not JSONDecodeError
        '{"n": ' + "9" * 10_000 + "}",
    ],
    ids=[
        "deep-array",
        "deep-object",
        "deep-after-chatter",
        "deep-fenced",
        "huge-int",
        "huge-int-in",
    ],
)
def test_extract_json_survives_pathological_nesting(reply: str) -> None:
    with contextlib.suppress(ValueError):
        extract_json(reply)


# -- ask_json ----------------------------------------------------------------------------


@pytest.mark.slow
@FUZZ
@given(st.lists(replies, min_size=3, max_size=3))
def test_ask_json_validates_or_raises_model_output_error(texts: list[str]) -> None:
    fake = FakeBackend().enqueue(*texts)
    try:
        reply = ask(fake)
    except ModelOutputError as err:
        assert len(fake.history) == 3  # bounded: first try + 2 retries
        assert err.raw == texts[-1]  # the raw reply is kept for the user
        assert "\n" not in str(err)
        return
    assert isinstance(reply, ReviewReply)
    assert 1 <= len(fake.history) <= 3


@pytest.mark.parametrize(
    "reply",
    [
        "",
        "   \n",
        '{"verdict": "approve", "summary": "ok", "findings": [',  # truncated
        '{"verdict": 1, "findings": "none"}',  # wrong types
        '{"summary": "no verdict"}',  # missing field
        '{"verdict": "approve", "findings": [{"path": "a.py"}]}',  # finding missing fields
        "Das sieht gut aus, keine Probleme gefunden.",  # another language, no JSON
        "承認します。問題はありません。",
        "```\nnot json at all\n```",
        json.dumps(review_reply(findings=[{"path": "a", "line": 1, "severity": "info"}] * 150)),
    ],
    ids=[
        "empty",
        "blank",
        "truncated",
        "wrong-types",
        "missing-verdict",
        "finding-missing-fields",
        "german",
        "japanese",
        "fenced-prose",
        "too-many-findings",
    ],
)
def test_hopeless_replies_end_in_model_output_error(reply: str) -> None:
    fake = FakeBackend().enqueue(reply, reply, reply)
    with pytest.raises(ModelOutputError) as info:
        ask(fake)
    assert info.value.raw == reply
    assert info.value.exit_code == 3
    assert len(fake.history) == 3


@pytest.mark.parametrize(
    "reply",
    [
        '```json\n{"verdict": "approve", "summary": "ok", "findings": []}\n```',
        'Sure!\n{"verdict": "LGTM", "summary": "ok", "findings": [], "confidence": 0.9}\nBye',
        '{"verdict": "approve", "findings": [{"path": "a.py", "line": 1, "severity": "High", '
        '"message": "m", "category": "made-up", "cwe": 79}]}',
    ],
    ids=["fenced", "chatter-and-extra-key", "aliases-and-extra-keys"],
)
def test_recoverable_replies_validate_first_time(reply: str) -> None:
    fake = FakeBackend().enqueue(reply)
    assert isinstance(ask(fake), ReviewReply)
    assert len(fake.history) == 1


def test_length_cut_off_is_retried_then_reported() -> None:
    valid = json.dumps(review_reply())
    fake = LengthBackend().enqueue(valid, valid, valid)
    with pytest.raises(ModelOutputError) as info:
        ask(fake)
    assert "token limit" in str(info.value)
    assert len(fake.history) == 3
    # each retry tells the model why its reply was refused
    assert "token limit" in fake.history[1].messages[-1]["content"]


# -- the whole review, then every reporter -------------------------------------------------

DIFF = """\
diff --git a/app.py b/app.py
index 0000001..0000002 100644
--- a/app.py
+++ b/app.py
@@ -1,2 +1,3 @@
 def add(a, b):
-    return a + b
+    return a - b
+print(add(1, 2))
"""


@pytest.mark.slow
@FUZZ
@given(mangled(review_like))
def test_review_and_every_reporter_survive_any_reply(reply: str) -> None:
    fake = FakeBackend(REVIEWER).enqueue(reply, reply, reply)
    reviewer = Reviewer(ReviewSettings(reviewer=REVIEWER, local=True), lambda: fake, Ledger(), None)
    try:
        review = reviewer.review(DIFF)
    except ModelOutputError:
        return
    for module in (text, json_rep, markdown, sarif):
        out = module.render(review)
        out.encode("utf-8")  # printable: no lone surrogates reach the terminal


@pytest.mark.parametrize(
    "reply", ["", '{"verdict": "approve", "summ', "```\nok\n```"], ids=["empty", "cut", "prose"]
)
def test_cli_exit_3_and_raw_reply_saved(
    repo: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    reply: str,
) -> None:
    monkeypatch.chdir(repo)
    (repo / "app.py").write_text("print('hi')\n")
    git(repo, "add", "app.py")
    fake = FakeBackend(REVIEWER).enqueue(reply, reply, reply)
    code = main(["review", "--reviewer", REVIEWER], obj={"make_backend": factory(fake)})
    err = capsys.readouterr().err
    assert code == 3
    lines = [ln for ln in err.splitlines() if ln.startswith("relay-git: error:")]
    assert len(lines) == 1 and "no valid reply after 3 tries" in lines[0]
    saved = repo / ".git" / "relay-git" / "last-invalid-reply.txt"
    if reply:
        assert saved.read_text(encoding="utf-8") == reply
        assert str(saved) in err
