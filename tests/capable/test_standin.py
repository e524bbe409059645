"""The capable stand-in itself: its wire format, how it reads requests, and its tasks.

The stand-in (bench/capable/server.py) is a loopback OpenAI-compatible server, since no
capable model can run here; these tests hold it to the documented Chat Completions format
(read back with relay-git's own OpenAI client and with plain httpx), to answering by
meaning rather than by our prompts' wording, and each task to being passable: its
reference files pass the hidden check and the test command, and its tests fail on the base.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from bench.capable import script as scripts
from bench.capable.brain import Brain
from bench.capable.server import CODER, REVIEWER, CapableServer, count, serve, tokens
from bench.tasks import write_files

from bench import checker
from relay_git.models.base import BackendOptions, ChatRequest, parse_spec
from relay_git.models.openai import OpenAIBackend

TASKS = scripts.load_all()
STORE = scripts.load(scripts.TASKS_DIR / "store_methods.toml")
PLAN_SCHEMA = {
    "$defs": {
        "PlanFile": {
            "type": "object",
            "properties": {"path": {"type": "string"}, "change": {"type": "string"}},
            "required": ["path"],
        }
    },
    "type": "object",
    "properties": {
        "summary": {"type": "string", "maxLength": 40},
        "files": {"type": "array", "items": {"$ref": "#/$defs/PlanFile"}},
        "tests": {"type": "array", "items": {"type": "string"}, "maxItems": 2},
    },
    "required": ["files"],
}
VERDICT_SCHEMA = {
    "type": "object",
    "properties": {
        "verdict": {"enum": ["approve", "fix", "reject"]},
        "summary": {"type": "string"},
        "findings": {"type": "array", "items": {"type": "object"}},
    },
    "required": ["verdict"],
}
DIFF = "```diff\n--- a/store.py\n+++ b/store.py\n@@ -1,2 +1,3 @@\n+    def low_stock(self):\n```"


@pytest.fixture
def server() -> Iterator[CapableServer]:
    with serve(Brain(STORE)) as running:
        yield running


def body(model: str, user: str, **extra: Any) -> dict[str, Any]:
    messages = [{"role": "system", "content": "You are a programmer."}]
    return {"model": model, "messages": [*messages, {"role": "user", "content": user}], **extra}


def with_schema(schema: dict[str, Any]) -> dict[str, Any]:
    return {"type": "json_schema", "json_schema": {"name": "reply", "schema": schema}}


# -- the wire format -----------------------------------------------------------------------


def test_tokens_join_back_and_count_code_at_a_few_characters_each() -> None:
    text = "def f(x):\n    return x * 2  # twice\n"
    assert "".join(tokens(text)) == text
    assert 8 <= count(text) <= len(text) // 2


def test_plain_completion_has_the_documented_shape(server: CapableServer) -> None:
    ask = body(CODER, "Files to write: store.py", max_tokens=4000)
    reply = httpx.post(f"{server.url}/chat/completions", json=ask).json()
    assert reply["object"] == "chat.completion"
    choice = reply["choices"][0]
    assert choice["finish_reason"] == "stop" and choice["message"]["role"] == "assistant"
    assert "def low_stock" in choice["message"]["content"]
    usage = reply["usage"]
    assert usage["completion_tokens"] == count(choice["message"]["content"])
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"] > 0


def test_a_reply_over_max_tokens_is_cut_there_with_length(server: CapableServer) -> None:
    ask = body(CODER, "Files to write: store.py", max_tokens=10)
    reply = httpx.post(f"{server.url}/chat/completions", json=ask).json()
    assert reply["choices"][0]["finish_reason"] == "length"
    assert reply["usage"]["completion_tokens"] == 10
    assert server.exchanges[-1].cut and server.exchanges[-1].reply_tokens > 10


def test_stream_is_sse_chunks_then_usage_then_done(server: CapableServer) -> None:
    ask = body(CODER, "Files to write: store.py", stream=True, max_tokens=12)
    ask["stream_options"] = {"include_usage": True}
    with httpx.stream("POST", f"{server.url}/chat/completions", json=ask) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        lines = [ln for ln in response.iter_lines() if ln]
    assert lines[-1] == "data: [DONE]"
    chunks = [json.loads(ln.removeprefix("data: ")) for ln in lines[:-1]]
    assert all(c["object"] == "chat.completion.chunk" for c in chunks)
    text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks if c["choices"])
    assert count(text) == 12
    assert chunks[-2]["choices"][0]["finish_reason"] == "length"
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]["completion_tokens"] == 12


def test_models_lists_both_with_context_and_unknown_models_are_404(server: CapableServer) -> None:
    listed = httpx.get(f"{server.url}/models").json()["data"]
    assert {m["id"] for m in listed} == {CODER, REVIEWER}
    assert all(m["context_length"] > 0 for m in listed)
    missing = httpx.post(f"{server.url}/chat/completions", json=body("gpt-x", "hi"))
    assert missing.status_code == 404 and "error" in missing.json()
    bad = httpx.post(f"{server.url}/chat/completions", json={"model": CODER})
    assert bad.status_code == 400


@pytest.mark.parametrize("stream", [False, True])
def test_relay_gits_own_client_reads_it(server: CapableServer, stream: bool) -> None:
    options = BackendOptions(environ={"RELAY_GIT_OPENAI_BASE_URL": server.url})
    backend = OpenAIBackend(parse_spec(f"openai:{CODER}"), options)
    backend.check()
    messages = ({"role": "user", "content": "Files to write: store.py"},)
    stop = (lambda _text: None) if stream else None
    result = backend.chat(ChatRequest(messages, max_tokens=20, stop_when=stop))
    assert result.done_reason == "length" and result.output_tokens == 20
    assert server.exchanges[-1].stream is stream
    assert backend.context_length() > 4096


# -- reading requests by meaning -------------------------------------------------------------


def test_plan_follows_the_schema_and_its_bounds() -> None:
    answer = Brain(STORE).answer(body(CODER, "Plan it.", response_format=with_schema(PLAN_SCHEMA)))
    plan = json.loads(answer.text)
    assert answer.stage == "plan" and answer.role == "coder"
    assert [f["path"] for f in plan["files"]] == ["store.py", "tests/test_store.py"]
    assert len(plan["summary"]) <= 40 and len(plan["tests"]) == 2


def test_the_reviewer_fixes_a_diff_missing_the_task_and_approves_a_whole_one() -> None:
    brain = Brain(STORE)
    fmt = with_schema(VERDICT_SCHEMA)
    partial = json.loads(brain.answer(body(REVIEWER, DIFF, response_format=fmt)).text)
    assert partial["verdict"] == "fix"
    said = [f["message"] for f in partial["findings"]]
    assert any("ValueError" in m for m in said) and any("tests" in m for m in said)
    whole = DIFF.replace(
        "low_stock(self):", "low_stock(self):\n+        raise ValueError\n+def test_low_stock():"
    )
    assert json.loads(brain.answer(body(REVIEWER, whole, response_format=fmt)).text) == {
        "verdict": "approve",
        "summary": "The change does the task and its tests cover it.",
        "findings": [],
    }
    plan = brain.answer(body(REVIEWER, "Review this plan: ...", response_format=fmt))
    assert plan.stage == "plan-review" and json.loads(plan.text)["verdict"] == "approve"


def test_several_files_in_one_reply_each_labelled() -> None:
    answer = Brain(STORE).answer(body(CODER, "Files to write: store.py, tests/test_store.py"))
    assert answer.paths == ("store.py", "tests/test_store.py") and not answer.unclear
    assert "### store.py" in answer.text and "### tests/test_store.py" in answer.text


def test_a_file_shown_as_context_is_not_rewritten() -> None:
    ask = (
        "File `store.py`:\n```python\nclass Store: ...\n```\n\nTask: add low_stock.\n\n"
        "Write the tests in `tests/test_store.py` as one ```python block."
    )
    answer = Brain(STORE).answer(body(CODER, ask))
    assert answer.paths == ("tests/test_store.py",) and "def test_low_stock" in answer.text
    assert "def low_stock(self" not in answer.text


def test_an_unplaceable_request_is_answered_in_prose_and_counted(server: CapableServer) -> None:
    reply = httpx.post(f"{server.url}/chat/completions", json=body(CODER, "Task: do it.")).json()
    assert "not sure" in reply["choices"][0]["message"]["content"]
    assert server.exchanges[-1].unclear
    unknown = Brain(STORE).answer(body(CODER, "Files to write: store.py, notes.md"))
    assert unknown.paths == ("store.py",) and "notes.md" in unknown.unclear


def test_continuation_gets_the_rest_and_a_retry_gets_a_new_reply() -> None:
    brain = Brain(STORE)
    first = brain.answer(body(CODER, "Files to write: store.py")).text
    cut = first[:100]
    prefill = body(CODER, "Files to write: store.py")
    prefill["messages"].append({"role": "assistant", "content": cut})
    rest = brain.answer(prefill)
    assert rest.stage == "continue" and cut + rest.text == first
    asked = {"role": "user", "content": "Please continue where you left off."}
    assert brain.answer({**prefill, "messages": [*prefill["messages"], asked]}).text == rest.text
    again = {"role": "user", "content": "That reply was not valid: cut off. Reply again."}
    retry = brain.answer({**prefill, "messages": [*prefill["messages"], again]})
    assert retry.stage == "write" and retry.text == first


def test_a_fix_round_is_told_by_the_failing_output() -> None:
    repair = next(s for s in TASKS if any(e.fix_on == "failure" for e in s.edits))
    edit = next(e for e in repair.edits if e.fix_on == "failure")
    ask = f"Files to write: {edit.paths[0]}"
    first = Brain(repair).answer(body(CODER, ask))
    failing = f"{ask}\n\nThe tests fail:\n```\nFAILED tests/test_x.py::test_y - AssertionError\n```"
    fixed = Brain(repair).answer(body(CODER, failing))
    assert not first.fix_round and first.text == edit.reply
    assert fixed.fix_round and fixed.text == edit.fixed


# -- the tasks are fair ------------------------------------------------------------------------


def _run(command: str, tree: Path) -> bool:
    return checker.run_tests(command, tree)[0]


@pytest.mark.parametrize("task", TASKS, ids=[t.name for t in TASKS])
def test_task_reference_passes_and_its_tests_fail_on_the_base(
    task: scripts.Script, tmp_path: Path
) -> None:
    base = write_files(task.task, tmp_path / "base")
    done = tmp_path / "done"
    shutil.copytree(base, done)
    written = scripts.solution(task)
    for path, text in written.items():
        (done / path).parent.mkdir(parents=True, exist_ok=True)
        (done / path).write_text(text)
    ok, detail = checker.run_check(task.task.check, done)
    assert ok, detail
    assert _run(task.task.test_command or "false", done)
    assert not checker.run_check(task.task.check, base)[0]
    for path in (p for p in written if checker.is_test_path(p)):
        (base / path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(done / path, base / path)
    assert not _run(task.task.test_command or "true", base)


def test_bench_capable_is_a_bench_command() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "bench", "capable", "--tasks", "nope"],
        capture_output=True, text=True, check=False, cwd=Path(__file__).parents[2],
    )  # fmt: skip
    assert proc.returncode == 2 and "unknown capable task" in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize("task", TASKS, ids=[t.name for t in TASKS])
def test_the_reviewer_judges_by_the_change_alone(task: scripts.Script) -> None:
    """What the reviewer looks for in a diff is in the change, not in the task or plan
    text a request may also show, so an empty diff is never approved by accident."""
    brain = Brain(task)
    plan = brain.answer(body(CODER, "Plan it.", response_format=with_schema(PLAN_SCHEMA)))
    told = f"{task.task.task}\n{plan.text}\n{json.dumps(brain._plan())}"
    wanted = [needle for needle, _ in task.expect]
    if task.finding is not None:
        wanted.append(task.finding.addressed_by)
    assert wanted and not [w for w in wanted if w in told]
    empty = brain.answer(body(REVIEWER, f"Task: {task.task.task}\n\n```diff\n```"))
    assert empty.verdict == "fix"


def test_stop_sequences_end_the_reply_before_them(server: CapableServer) -> None:
    ask = body(CODER, "Files to write: store.py", stop=["def low_stock"])
    reply = httpx.post(f"{server.url}/chat/completions", json=ask).json()
    text = reply["choices"][0]["message"]["content"]
    assert reply["choices"][0]["finish_reason"] == "stop"
    assert "def remove" in text and "low_stock(self" not in text


def test_json_without_a_schema_is_read_from_the_words() -> None:
    fmt = {"type": "json_object"}
    plan = Brain(STORE).answer(body(CODER, "Write the plan as JSON.", response_format=fmt))
    assert plan.stage == "plan" and "store.py" in plan.text
    review = Brain(STORE).answer(body(REVIEWER, DIFF, response_format=fmt))
    assert review.stage == "review" and review.verdict == "fix"


def test_files_to_write_may_carry_remarks() -> None:
    ask = "Task: ...\n\n**Files to write:** `store.py` (changed), `tests/test_store.py` (new)"
    answer = Brain(STORE).answer(body(CODER, ask))
    assert answer.paths == ("store.py", "tests/test_store.py") and not answer.unclear


def test_a_search_replace_edit_already_applied_comes_back_as_the_whole_file() -> None:
    bug = scripts.load(scripts.TASKS_DIR / "duration_bug.toml")
    first = Brain(bug).answer(body(CODER, "Files to write: durations.py"))
    assert "<<<<<<< SEARCH" in first.text
    fixed = scripts.solution(bug)["durations.py"]
    ask = f"File `durations.py`:\n```python\n{fixed}```\n\nFiles to write: durations.py"
    again = Brain(bug).answer(body(CODER, ask))
    assert "<<<<<<< SEARCH" not in again.text and fixed in again.text


@pytest.mark.parametrize(
    ("said", "continued"),
    [
        ("Continue exactly where you stopped; do not start again.", True),
        ("Keep writing from where the reply was cut.", True),
        ("That reply was not valid: continue is not enough, reply again.", False),
        ("Now write the tests.", False),
    ],
)
def test_what_counts_as_asking_to_continue(said: str, continued: bool) -> None:
    ask = body(CODER, "Files to write: store.py")
    first = Brain(STORE).answer(ask).text
    ask["messages"] += [
        {"role": "assistant", "content": first[:80]},
        {"role": "user", "content": said},
    ]
    assert (Brain(STORE).answer(ask).stage == "continue") is continued


@pytest.mark.parametrize(
    ("ask", "paths"),
    [
        (
            "Update `store.py` as the task says.\nReply with each file in a fenced block.",
            ["store.py"],
        ),
        (
            "Now write tests for low_stock. Import with:\n```python\nfrom store import Store\n```",
            ["tests/test_store.py"],
        ),
        ("Write the code in store.py.\nWrite no tests.", ["store.py"]),
        ("Write it well.", []),
    ],
)
def test_the_last_instruction_naming_a_file_is_the_one_followed(ask: str, paths: list[str]) -> None:
    answer = Brain(STORE).answer(body(CODER, ask))
    assert list(answer.paths) == paths and bool(answer.unclear) is (not paths)


def _applied(task: scripts.Script, tmp: Path, told: str) -> Path:
    """The base tree with every file the stand-in writes applied by relay-git's applier,
    asked one file at a time (``told``: failing output or findings shown to the model)."""
    draft = pytest.importorskip("relay_git.scaffold.draft", reason="the edit applier (issue 17)")
    files = dict(task.task.all_files())
    brain = Brain(task)
    for path in task.paths():
        reply = brain.answer(body(CODER, f"{told}\nFiles to write: {path}")).text
        applied = draft.apply_reply(reply, files.get, [path])
        assert not applied.problems, (path, applied.problems)
        files.update(applied.files)
    tree = write_files(task.task, tmp)
    for path, text in files.items():
        (tree / path).parent.mkdir(parents=True, exist_ok=True)
        (tree / path).write_text(text)
    return tree


@pytest.mark.parametrize("task", TASKS, ids=[t.name for t in TASKS])
def test_the_replies_applied_by_the_relays_applier_do_the_task(
    task: scripts.Script, tmp_path: Path
) -> None:
    """Every reply form the stand-in writes is one relay-git can apply; a first draft meant
    to be repaired (by failing tests or a review finding) does not pass the check."""
    shown = "FAILED tests/test_x.py::test_y - AssertionError\n"
    if task.finding is not None:
        shown += task.finding.message
    done = _applied(task, tmp_path / "final", shown)
    ok, detail = checker.run_check(task.task.check, done)
    assert ok, detail
    if any(e.fix_on for e in task.edits):
        first = _applied(task, tmp_path / "first", "")
        assert not checker.run_check(task.task.check, first)[0]
