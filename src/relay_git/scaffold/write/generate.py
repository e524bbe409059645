"""The generate stage, in the form a small model writes best: one file per call, a fenced
code block, several drafts at rising temperature.

Each code draft is merged into its file by definition (``blocks.merge``); drafts that do
not parse, change nothing, or leave out the names the task asks for are dropped. Test
drafts are cut into single assertions (``testsmith``). Which code goes forward, and with
which tests, is decided by running them against each other (``select``), in the pipeline.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from relay_git.models.call import ask
from relay_git.models.ledger import ParseOutcome
from relay_git.models.stops import for_code_block
from relay_git.scaffold.draft.blocks import code_block, copied_from, merge
from relay_git.scaffold.draft.validate import parseable_prefix
from relay_git.scaffold.plan.spec import TaskPlan
from relay_git.scaffold.relay import CODE_TOKENS, TEST_TOKENS, Relay, Seat
from relay_git.scaffold.write.testsmith import TestFn, extract, unique

CONTEXT_CAP_TOKENS = 3000  # existing files shown to the coder, at most
MAX_CONTEXT_FILES = 4
MAX_CONTEXT_FILE_BYTES = 40_000
DRAFT_TEMPERATURES = (0.0, 0.6, 0.8, 0.9, 1.0, 1.0)
_WORD = re.compile(r"[a-z0-9]{3,}")
_LANGS = {
    ".py": "python",
    ".pyi": "python",
    ".md": "markdown",
    ".rst": "rst",
    ".toml": "toml",
    ".json": "json",
    ".sh": "bash",
    ".yaml": "yaml",
    ".yml": "yaml",
    ".cfg": "ini",
    ".ini": "ini",
    ".txt": "text",
    ".js": "javascript",
    ".ts": "typescript",
}


@dataclass(frozen=True)
class SourceFile:
    path: str
    text: str

    @property
    def lang(self) -> str:
        return _LANGS.get(PurePosixPath(self.path).suffix, "")


def read_text(root: Path, path: str) -> str | None:
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
        text = read_text(root, path)
        if text is None or not text.strip():
            continue
        cost = count(text) + 16
        if used + cost > budget:
            continue
        chosen.append(SourceFile(path, text))
        used += cost
    return chosen


def context_budget(relay: Relay, seat: Seat) -> int:
    backend = relay.backend(seat)
    room = backend.context_length() - relay.budget(CODE_TOKENS) - 1024
    return max(0, min(CONTEXT_CAP_TOKENS, room))


def drafts(
    relay: Relay,
    seat: Seat,
    stage: str,
    variants: Sequence[list[dict[str, str]]],
    count: int,
    cap: int,
    offset: int = 0,
    python: bool = True,
) -> list[str]:
    """Up to ``count`` fenced blocks. Draft n asks variant n mod len(variants) (different
    framings of the same ask), each framing greedy first, then hotter, each with its seed.
    A block for a file that is not Python (``python=False``) is kept whole."""
    backend = relay.backend(seat)
    found: list[str] = []
    for n in range(offset, offset + count):
        relay.progress(stage, backend.spec.full, 0)
        heat = min(n // len(variants), len(DRAFT_TEMPERATURES) - 1)
        result = ask(
            backend,
            variants[n % len(variants)],
            stage=stage,
            role=seat.role,
            ledger=relay.ledger,
            max_tokens=cap,
            temperature=DRAFT_TEMPERATURES[heat],
            seed=n,
            stop_when=for_code_block,
            on_token=lambda k: relay.progress(stage, backend.spec.full, k),
        )
        block = code_block(result.text, python)
        # A draft is one sample, not a reply to retry: its outcome is recorded apart (":draft")
        # from the structured replies that must validate after retries.
        usable = block is not None
        relay.ledger.record_outcome(ParseOutcome(f"{stage}:draft", backend.spec.full, 1, usable))
        if block is not None:
            found.append(block)
    return found


def _code_only(block: str, names: Sequence[str] = ()) -> str:
    """A code draft without the tests a small model likes to add to it.

    A tiny model told to add ``word_count(text)`` "with a test" often names the function
    itself ``test_word_count(text)``: a ``test_NAME`` that takes arguments, in a draft that
    does not define NAME, is renamed to NAME before the tests are dropped.
    """
    for name in names:
        if not re.search(rf"^(async\s+)?def {re.escape(name)}\(", block, re.M):
            block = re.sub(
                rf"^((?:async\s+)?def )test_{re.escape(name)}\((?=\s*\w)",
                rf"\g<1>{name}(",
                block,
                count=1,
                flags=re.M,
            )
    lines = block.splitlines()
    out: list[str] = []
    skipping = False
    for line in lines:
        if re.match(r"(async\s+)?def test_|class Test", line):
            skipping = True
            continue
        if skipping and (not line.strip() or line.startswith((" ", "\t"))):
            continue
        skipping = False
        out.append(line)
    return "\n".join(out).strip("\n") + "\n"


_TEST_CLAUSE = re.compile(
    r",?\s*\b(with|and|plus)\s+(a\s+|some\s+|unit\s+|its\s+|new\s+)*tests?\b.*$", re.I | re.S
)


def code_task(task: str) -> str:
    """The task as the code drafts see it: without its "with a test in …" clause, which the
    tests stage handles (a tiny model otherwise writes the test in place of the code)."""
    trimmed = _TEST_CLAUSE.sub("", task).strip()
    return trimmed or task


def file_drafts(
    relay: Relay,
    seat: Seat,
    stage: str,
    spec: TaskPlan,
    path: str,
    root: Path,
    context: Sequence[SourceFile],
    count: int,
    failure: str = "",
    offset: int = 0,
    names: Sequence[str] = (),
    seen: list[str] | None = None,
) -> list[str]:
    """Whole new contents of ``path``, one per usable draft (duplicates kept: they are votes).
    Each Python block as written goes to ``seen``: the tests a draft carries are drafts too."""
    existing = read_text(root, path)
    shown = [f for f in context if f.path != path]
    if existing is not None:
        shown.append(SourceFile(path, existing))
    variables = {
        "task": code_task(spec.task),
        "notes": spec.review,
        "path": path,
        "lang": SourceFile(path, "").lang or "text",
        "existing": bool(existing and existing.strip()),
        "failure": failure,
    }
    in_context = relay.messages("code.system.j2", "code.user.j2", files=shown, **variables)
    variants = [in_context]
    if path.endswith(".py") and not failure:  # the same ask without the file: another view
        variants.append(relay.messages("code.system.j2", "code.user.j2", files=[], **variables))
    out = []
    python = path.endswith(".py")
    cap = relay.budget(CODE_TOKENS)
    for block in drafts(relay, seat, stage, variants, count, cap, offset, python):
        if python and seen is not None:
            seen.append(block)
        code = _code_only(block, names) if python else block.rstrip("\n") + "\n"
        content = _merged(existing, code, names) if python else code
        if content is None or content == existing:
            continue
        if existing and python and copied_from(existing, content, names):
            continue  # the asked-for function is an existing one under a new name
        out.append(content)
    return out


def _merged(existing: str | None, block: str, names: Sequence[str]) -> str | None:
    if not existing or not existing.strip():
        return block
    try:
        return merge(existing, block, names or None)
    except (SyntaxError, ValueError, RecursionError):
        return None


def test_drafts(
    relay: Relay, seat: Seat, spec: TaskPlan, where: dict[str, str], count: int, path: str = ""
) -> list[TestFn]:
    names = sorted(where)
    imports = sorted({f"from {where[n]} import {n}" for n in names})
    messages = relay.messages(
        "tests.system.j2",
        "tests.user.j2",
        task=spec.task,
        names=names,
        imports=imports,
        path=path,
    )
    found: list[TestFn] = []
    for block in drafts(relay, seat, "tests", [messages], count, relay.budget(TEST_TOKENS)):
        found += extract(block, names)
    return unique(found)


def carried_tests(blocks: Sequence[str], names: Sequence[str]) -> list[TestFn]:
    """The tests code drafts wrote beside the code (cut off where a block stops parsing):
    drafts like the tests stage's, judged the same way."""
    found: list[TestFn] = []
    for block in blocks:
        found += extract(parseable_prefix(block), names)
    return unique(found)
