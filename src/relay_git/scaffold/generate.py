"""The generate stage: the coder writes code and tests as an edit set, applied safely.

Also home of ``ask_edits``, shared by the fix rounds: edits that are malformed or do not
apply are sent back to the model with the precise reason, a bounded number of times.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from relay_git.backends.base import Message
from relay_git.edits import Edit, EditFailed, apply_edits
from relay_git.errors import ModelOutputError, UnsafeEdit
from relay_git.ledger import ParseOutcome
from relay_git.scaffold.env import EDIT_RETRIES, EDIT_TOKENS, Seat, StageEnv
from relay_git.scaffold.plan import Plan
from relay_git.scaffold.schema import EditsReply

CONTEXT_CAP_TOKENS = 6000  # existing files shown to the coder, at most
MAX_CONTEXT_FILES = 12
MAX_CONTEXT_FILE_BYTES = 40_000
_WORD = re.compile(r"[a-z0-9]{3,}")


@dataclass(frozen=True)
class SourceFile:
    path: str
    text: str


@dataclass(frozen=True)
class Applied:
    edits: tuple[Edit, ...]
    written: tuple[str, ...]
    summary: str


def _readable(root: Path, path: str) -> str | None:
    target = root / path
    try:
        if target.is_symlink() or not target.is_file():
            return None
        if target.stat().st_size > MAX_CONTEXT_FILE_BYTES:
            return None
        data = target.read_bytes()
    except OSError:
        return None
    if b"\0" in data:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def select_context(
    root: Path,
    listing: Sequence[str],
    first: Sequence[str],
    words_from: str,
    budget: int,
    count: Callable[[str], int],
) -> list[SourceFile]:
    """Files named by the plan first, then small files whose path shares a word with the task."""
    words = set(_WORD.findall(words_from.lower()))
    known = set(listing)
    named = [p for p in first if p in known]
    matched = sorted(
        (p for p in listing if p not in named and words & set(_WORD.findall(p.lower()))),
        key=lambda p: ((root / p).stat().st_size if (root / p).is_file() else 0, p),
    )
    chosen: list[SourceFile] = []
    used = 0
    for path in [*named, *matched]:
        if len(chosen) >= MAX_CONTEXT_FILES:
            break
        text = _readable(root, path)
        if text is None:
            continue
        cost = count(text) + 16
        if used + cost > budget:
            continue
        chosen.append(SourceFile(path, text))
        used += cost
    return chosen


def context_budget(env: StageEnv, seat: Seat, fixed_prompt: str) -> int:
    backend = env.backend(seat)
    room = (
        backend.context_length()
        - env.budget(EDIT_TOKENS)
        - backend.count_tokens(fixed_prompt)
        - 512
    )
    return max(0, min(CONTEXT_CAP_TOKENS, room))


def ask_edits(
    env: StageEnv, seat: Seat, stage: str, messages: list[Message], root: Path
) -> Applied:
    """Ask for an edit set and apply it; send failures back with the reason, boundedly."""
    convo = list(messages)
    problem = ""
    model = env.backend(seat).spec.full
    for attempt in range(1, EDIT_RETRIES + 2):
        reply = env.ask(seat, stage, convo, EditsReply, env.budget(EDIT_TOKENS))
        edits = reply.to_edits()
        try:
            written = apply_edits(root, edits, env.allow_paths)
        except (EditFailed, UnsafeEdit) as err:
            problem = str(err)
            convo = [
                *messages,
                {"role": "assistant", "content": json.dumps(reply.model_dump())[:6000]},
                {
                    "role": "user",
                    "content": f"Those edits could not be applied: {problem}. Nothing was "
                    "changed. Reply again with a corrected JSON edit set.",
                },
            ]
            continue
        env.ledger.record_outcome(ParseOutcome(f"{stage}:apply", model, attempt, True))
        return Applied(tuple(edits), tuple(written), reply.summary.strip())
    env.ledger.record_outcome(ParseOutcome(f"{stage}:apply", model, EDIT_RETRIES + 1, False))
    raise ModelOutputError(f"{stage}: the edits never applied ({problem})")


def generate(env: StageEnv, spec: Plan, root: Path, listing: Sequence[str]) -> Applied:
    skeleton = env.render("generate.user.j2", spec=spec.text(), files=[])
    budget = context_budget(env, env.coder, skeleton)
    count = env.backend(env.coder).count_tokens
    shown = env.readable(env.coder, listing)
    files = select_context(
        root, shown, env.readable(env.coder, spec.paths), spec.text(), budget, count
    )
    messages = env.messages("generate.system.j2", "generate.user.j2", spec=spec.text(), files=files)
    return ask_edits(env, env.coder, "generate", messages, root)
