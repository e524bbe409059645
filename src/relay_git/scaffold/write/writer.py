"""Writing requests as a capable model reads them: one request per file (the test file
as one whole), or one for every file a fix touches; caps from the work; a reply cut at
its cap continued, not redone.

Every writing request ends with ``Files to write: a.py, tests/test_a.py`` and states its
token bound. A reply is read into files by ``replies.apply_reply``; what could not be
used is said to the model in the next request.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field

from relay_git.models.base import Message
from relay_git.models.call import ask
from relay_git.models.ledger import ParseOutcome
from relay_git.models.stops import for_code_block, for_json, repeated_run
from relay_git.scaffold.draft.validate import parseable_prefix
from relay_git.scaffold.plan.scope import Scope, is_test_path, module_of
from relay_git.scaffold.plan.spec import TaskPlan
from relay_git.scaffold.relay import Relay, Seat
from relay_git.scaffold.verify.evidence import keep_existing_tests
from relay_git.scaffold.write import replies
from relay_git.scaffold.write.generate import SourceFile

NEW_FILE_TOKENS = 1024  # a new file of up to ~150 lines
CHANGE_ROOM_TOKENS = 512  # beyond twice the file's own size, for what the change adds
CONTINUATIONS = 3  # a reply cut at its cap is continued this often at most
CONTINUE = (
    "Your reply was cut off at the token limit. Continue exactly where it stopped: do not "
    "repeat anything and do not open a new block."
)


LOOP_TAIL = 4000  # characters of a cut reply judged for progress


def looping(text: str) -> bool:
    """A cut reply that has stopped saying anything new, so continuing it only costs time:
    its tail compresses far better than any code or test table does (a tiny model growing
    one name, or echoing the prompt line after line), or repeats its lines (one, or a run of
    them nested ever deeper)."""
    tail = text[-LOOP_TAIL:]
    raw = tail.encode("utf-8", "surrogateescape")
    if len(raw) >= 800 and len(zlib.compress(raw)) * 16 < len(raw):
        return True
    lines = [ln.strip() for ln in tail.splitlines() if ln.strip()][-24:]
    return (len(lines) >= 12 and len(set(lines)) * 3 < len(lines)) or repeated_run(tail)


def progress(text: str) -> int:
    """How far a cut reply's open block has got: the characters of it that parse, for
    Python (a continuation that adds no complete code is not getting anywhere), else its
    length. -1 when the reply was cut outside any block."""
    if text.count("```") % 2 == 0:
        return -1
    opened = text[text.rfind("```") + 3 :]
    info, _, body = opened.partition("\n")
    if info.strip().lower() in ("python", "py", "python3"):
        return len(parseable_prefix(body))
    return len(body)


@dataclass(frozen=True)
class Ask:
    """What one writing request says beyond the task: why it is asked again, if it is."""

    stage: str
    failure: str = ""  # the failing test output
    findings: str = ""  # the reviewer's findings
    diff: str = ""  # the change so far
    problems: tuple[str, ...] = ()  # why the last reply could not be used
    repairs: tuple[str, ...] = ()  # what the plan check changed
    temperature: float = 0.0
    seed: int = 0


@dataclass
class Drafted:
    files: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def file_cap(relay: Relay, seat: Seat, existing: str | None) -> int:
    """A file's output cap: twice its current tokens plus room for the change."""
    if not existing or not existing.strip():
        return NEW_FILE_TOKENS
    return 2 * relay.backend(seat).count_tokens(existing) + CHANGE_ROOM_TOKENS


def fit(relay: Relay, seat: Seat, messages: Sequence[Message], want: int) -> int:
    """``want`` bounded by --max-tokens and by what the model's context leaves."""
    backend = relay.backend(seat)
    prompt = sum(backend.count_tokens(m["content"]) + 4 for m in messages)
    room = backend.context_length() - prompt - 32
    return max(16, min(relay.budget(want), room))


def ask_whole(
    relay: Relay,
    seat: Seat,
    stage: str,
    messages: list[Message],
    cap: int,
    how: Ask,
    single: bool = True,
) -> str:
    """The whole reply: one call, continued while it is cut at its cap. ``single``: the
    reply is one fenced block, so it ends when the block closes."""
    backend = relay.backend(seat)
    text, reached = "", -1
    convo = list(messages)
    for turn in range(1 + CONTINUATIONS):
        relay.progress(stage, backend.spec.full, 0)
        result = ask(
            backend,
            convo,
            stage=stage,
            role=seat.role,
            ledger=relay.ledger,
            max_tokens=fit(relay, seat, convo, cap),
            temperature=how.temperature,
            seed=how.seed,
            stop_when=for_code_block if turn == 0 and single else for_json,
            on_token=lambda k: relay.progress(stage, backend.spec.full, k),
        )
        text += result.text
        if result.done_reason != "length" or looping(text):  # a loop is not continued
            break
        now = progress(text)
        if turn and now <= reached:  # the last continuation added no complete code
            break
        reached = now
        files = next((ln for ln in reversed(messages[-1]["content"].splitlines())), "")
        more = f"{CONTINUE}\n{files}" if files.startswith("Files to write:") else CONTINUE
        convo = [
            *messages,
            {"role": "assistant", "content": text},
            {"role": "user", "content": more},
        ]
    return text


def _asks(paths: Sequence[str], existing: dict[str, str | None], target: Scope) -> list[str]:
    lines = []
    modules = ", ".join(f"`{module_of(p)}` ({p})" for p in target.python if module_of(p))
    for path in paths:
        lang = SourceFile(path, "").lang or "text"
        there = bool((existing.get(path) or "").strip())
        if is_test_path(path):
            if there:
                lines.append(
                    f"Write the new tests for `{path}` in one ```{lang} block (its existing "
                    "tests stay; repeat none of them)."
                )
            else:
                lines.append(
                    f"Write the whole test file `{path}` in one ```{lang} block: pytest tests "
                    "that together cover every behaviour the task and the plan name (the "
                    "command line too, if there is one), each behaviour once."
                )
            if modules:
                lines.append(f"Import the code under test from {modules}.")
        elif there and path.endswith(".py"):
            lines.append(
                f"Write the new or corrected code of `{path}` in one ```{lang} block: the "
                "whole file, or only the functions and classes that change (a class may hold "
                "only its new or changed methods). Write no tests in it."
            )
        else:
            lines.append(f"Write the whole file `{path}` in one ```{lang} block.")
    return lines


def write(
    relay: Relay,
    seat: Seat,
    spec: TaskPlan,
    target: Scope,
    paths: Sequence[str],
    shown: Sequence[SourceFile],
    current: dict[str, str | None],
    how: Ask,
) -> Drafted:
    """One request for ``paths``; the files its reply writes, and what could not be used."""
    want = sum(file_cap(relay, seat, current.get(p)) for p in paths)
    formats = replies.edit_formats(paths, any(current.get(p) for p in paths))
    variables = {
        "files": [f for f in shown if f.path not in paths]
        + [SourceFile(p, t) for p in paths if (t := current.get(p))],
        "task": spec.task,
        "plan": spec.text(),
        "repairs": list(how.repairs),
        "failure": how.failure,
        "findings": how.findings,
        "diff": how.diff,
        "problems": list(how.problems),
        "asks": _asks(paths, current, target),
        "formats": formats,
        "paths": list(paths),
    }
    messages = relay.messages("write.system.j2", "write.user.j2", cap=want, **variables)
    cap = fit(relay, seat, messages, want)
    if cap < want:
        messages = relay.messages("write.system.j2", "write.user.j2", cap=cap, **variables)
    reply = ask_whole(relay, seat, how.stage, messages, cap, how, single=not formats)
    applied = replies.apply_reply(reply, current.get, list(paths))
    usable = bool(applied.files)
    relay.ledger.record_outcome(ParseOutcome(f"{how.stage}:draft", seat.spec, 1, usable))
    files = {
        p: keep_existing_tests(current.get(p), c) if is_test_path(p) else c
        for p, c in applied.files.items()
    }
    files = {p: c for p, c in files.items() if c != current.get(p)}
    return Drafted(files, list(applied.problems))


def test_names(base: dict[str, str | None], files: dict[str, str]) -> tuple[str, ...]:
    """The tests ``files`` add to their test files."""
    from relay_git.scaffold.verify.evidence import new_tests

    return tuple(new_tests(base, {p: c for p, c in files.items() if is_test_path(p)}))
