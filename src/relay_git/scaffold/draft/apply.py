"""``apply_reply``: every file a model's reply changes or creates, and what could not be applied.

The reply is read into fenced blocks and SEARCH/REPLACE edits (``fences``); each is given a
path (its label; else, with one path asked for, that path; else, with several, the one asked
path of the block's language) and applied on top of what the earlier ones made of that path.
An unsafe path is refused (``paths.safe_path``); a bare name (``store.py``) that is no file
stands for the one asked path it ends (``src/store.py``). By kind:

- a unified diff (```` ```diff ````) hunk by hunk, placed by its context (``udiff``);
- a Python block as the whole module or merged by qualified name (``pyfile``); a block cut
  off mid-line (a truncated reply) keeps its longest prefix that parses;
- a TOML block holding only some tables of an existing file, table by table (``tomlmerge``),
  a markdown block holding only some sections, section by section (``textmerge``); another
  text block that looks like a fragment of its file is refused, not written whole;
- any other block as the whole file, checked to parse (TOML, JSON, YAML);
- a SEARCH/REPLACE edit by finding its SEARCH lines (``replace``).

Nothing here raises on model text: what cannot be applied becomes one line in ``problems``,
addressed to the model, saying what, where, why and what to write instead.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from relay_git.scaffold.draft.fences import Edit, Fenced, Piece, scan
from relay_git.scaffold.draft.paths import safe_path
from relay_git.scaffold.draft.placeholder import is_placeholder
from relay_git.scaffold.draft.pyfile import WHOLE, apply_python
from relay_git.scaffold.draft.replace import Miss, replace_lines
from relay_git.scaffold.draft.routing import route
from relay_git.scaffold.draft.textmerge import looks_partial, merge_markdown
from relay_git.scaffold.draft.tomlmerge import merge_toml
from relay_git.scaffold.draft.udiff import FilePatch, Hunk, is_diff_block, parse_diff
from relay_git.scaffold.draft.validate import parse_error, parseable_prefix, python_error

NOTHING = (
    "the reply holds no file to apply; write each file in a fenced block with its path alone "
    "on the line just above the fence"
)
SEARCH_REPLACE = "search-replace"
TOML_MERGE = "toml-merge"
MARKDOWN_MERGE = "markdown-merge"
_MERGES: tuple[tuple[str, Callable[[str, str], str | None], str], ...] = (
    (".toml", merge_toml, TOML_MERGE),
    (".md", merge_markdown, MARKDOWN_MERGE),
)
_CODE_STARTS = ("def ", "class ", "import ", "from ", "async ", "@")
UNIFIED_DIFF = "unified-diff"


@dataclass(frozen=True)
class Applied:
    """What a reply does to the files: ``files`` maps each changed or created path to its
    full new content; ``problems`` says, one line each and addressed to the model, what could
    not be applied; ``forms`` names the edit forms seen (whole-file, python-merge,
    search-replace, unified-diff)."""

    files: dict[str, str]
    problems: tuple[str, ...]
    forms: tuple[str, ...] = ()  # in the order first seen, applied or not


@dataclass
class _Run:
    """What the reply has made of each file so far. Files are edited with ``\n`` line ends;
    a file that had ``\r\n`` gets them back at the end."""

    read: Callable[[str], str | None]
    asked: Sequence[str] = ()
    files: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    forms: list[str] = field(default_factory=list)
    originals: dict[str, str | None] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)

    def current(self, path: str) -> str | None:
        if path in self.files:
            return self.files[path]
        if path not in self.originals:
            self.originals[path] = self.read(path)
        found = self.originals[path]
        return found.replace("\r\n", "\n") if found is not None else None

    def changed(self) -> dict[str, str]:
        out = {}
        for path, text in self.files.items():
            old = self.originals.get(path)
            if old is not None and "\r\n" in old:
                text = text.replace("\n", "\r\n")
            if text != old:
                out[path] = text
        return out

    def resolve(self, path: str) -> str:
        """An asked path a bare file name stands for (``store.py`` for ``src/store.py``)."""
        if path in self.asked or self.current(path) is not None:
            return path
        matches = [a for a in self.asked if a.endswith(f"/{path}")]
        return matches[0] if len(matches) == 1 else path

    def write(self, path: str, text: str, form: str) -> None:
        self.current(path)
        self.files[path] = text
        self.saw(form)

    def saw(self, form: str) -> None:
        if form not in self.forms:
            self.forms.append(form)

    def say(self, problem: str) -> None:
        if problem not in self.problems:
            self.problems.append(problem)

    def number(self, path: str) -> int:
        self.counts[path] = self.counts.get(path, 0) + 1
        return self.counts[path]


def apply_reply(reply: str, read: Callable[[str], str | None], asked: Sequence[str]) -> Applied:
    """Apply every edit in ``reply`` to the files ``read`` gives (None: not there yet).

    ``asked``: the paths the request asked for (an unlabelled block goes to the only one)."""
    run = _Run(read, asked)
    pieces, notes = route(_pieces(reply, asked), asked)
    for note in notes:
        run.say(note)
    for piece in pieces:
        _apply_piece(run, piece)
    if not run.files and not run.problems:
        run.say(NOTHING)
    return Applied(run.changed(), tuple(run.problems), tuple(run.forms))


def _pieces(reply: str, asked: Sequence[str]) -> list[Piece]:
    """The reply's pieces; an unfenced reply that is plainly Python, for one asked .py path,
    is one block (a tiny model's bare code)."""
    pieces = scan(reply)
    if pieces or len(asked) != 1 or not asked[0].endswith(".py"):
        return pieces
    prefix = parseable_prefix(reply.strip("\n"))
    if not prefix.lstrip().startswith(_CODE_STARTS):
        return pieces
    return [Fenced("python", None, reply.strip("\n") + "\n", 1, closed=False)]


def _apply_piece(run: _Run, piece: Piece) -> None:
    if isinstance(piece, Fenced) and is_diff_block(piece.lang, piece.body):
        _apply_diff(run, piece)
        return
    if piece.path is None:
        return
    path, why = safe_path(piece.path)
    if path is None:
        run.say(_refused(piece.path, why))
        return
    path = run.resolve(path)
    if isinstance(piece, Edit):
        _apply_edit(run, path, piece)
    else:
        _apply_block(run, path, piece)


def _refused(raw: str, why: str) -> str:
    return (
        f"`{_short(raw)}`: refused, the path {why}; nothing was written there - name files by "
        "their path inside the repository"
    )


def _short(text: str, size: int = 70) -> str:
    text = text.strip().replace("`", "'")
    return text if len(text) <= size else text[: size - 3] + "..."


def _apply_edit(run: _Run, path: str, edit: Edit) -> None:
    n = run.number(path)
    run.saw(SEARCH_REPLACE)
    where = f"{path}: SEARCH/REPLACE block {n}"
    if not edit.complete:
        run.say(
            f"{where} is cut off (no `=======` or `>>>>>>> REPLACE` line); it was not "
            "applied - write it again complete"
        )
        return
    old = run.current(path)
    if not edit.search.strip():  # Aider: an empty SEARCH creates the file, or appends to it
        joined = old if not old or old.endswith("\n") else old + "\n"
        _checked_write(
            run, path, (joined or "") + edit.replace, SEARCH_REPLACE, f"{where} was not applied"
        )
        return
    if old is None:
        run.say(
            f"{where} was not applied: {path} does not exist; to create it, leave the "
            "SEARCH section empty or write the whole file in a fenced block"
        )
        return
    result = replace_lines(old, edit.search, edit.replace)
    if isinstance(result, Miss) and _already(old, edit):
        run.write(path, old, SEARCH_REPLACE)  # sent again after it was applied: nothing to do
    elif isinstance(result, Miss):
        run.say(_miss(where, edit.search, result))
    else:
        _checked_write(run, path, result, SEARCH_REPLACE, f"{where} was not applied")


def _already(old: str, edit: Edit) -> bool:
    """The file holds the REPLACE lines once and the SEARCH nowhere: applied before."""
    if not edit.replace.strip():
        return False
    return not isinstance(replace_lines(old, edit.replace, edit.replace), Miss)


def _miss(where: str, search: str, miss: Miss) -> str:
    first = _short(next((line for line in search.splitlines() if line.strip()), ""))
    if miss.kind == "many":
        return (
            f"{where} was not applied: its SEARCH (starting `{first}`) matches "
            f"{miss.count} places; add surrounding lines so that it matches exactly one"
        )
    near = ""
    if miss.closest is not None:
        near = f"; the closest line is {miss.closest[0]}: `{_short(miss.closest[1])}`"
    return (
        f"{where} was not applied: its SEARCH (starting `{first}`) matches nothing in "
        f"the file{near}; a SEARCH must copy the file's current lines exactly, "
        "indentation and comments included"
    )


def _checked_write(run: _Run, path: str, text: str, form: str, failed: str) -> bool:
    """Write ``text`` unless it does not parse (a file that did not parse before is not
    judged: this Python may be older than the project's)."""
    error = parse_error(path, text)
    old = run.current(path)
    if error is not None and (old is None or parse_error(path, old) is None):
        run.say(
            f"{failed}: the result would not parse ({_short(error, 120)}); write the whole "
            "file again, complete and valid"
        )
        return False
    run.write(path, text, form)
    return True


def _apply_block(run: _Run, path: str, block: Fenced) -> None:
    if path.endswith((".py", ".pyi")):
        _apply_python(run, path, block)
        return
    old = run.current(path)
    held = next((line for line in block.body.splitlines() if is_placeholder(line)), None)
    if old is not None and held is not None:
        run.say(
            f"{path}: not applied, the block holds a placeholder (`{_short(held)}`) instead "
            "of the file's lines; write the whole file, or SEARCH/REPLACE blocks"
        )
        return
    if old is not None:
        for suffix, merge, form in _MERGES:
            merged = merge(old, block.body) if path.endswith(suffix) else None
            if merged is not None:
                _checked_write(run, path, merged, form, f"{path}: not applied")
                return
        if looks_partial(old, block.body):
            run.say(
                f"{path}: not applied, the block keeps little of the file and looks like a part "
                "of it; write the whole file, or SEARCH/REPLACE blocks"
            )
            return
    _checked_write(run, path, block.body, WHOLE, f"{path}: not applied")


def _apply_python(run: _Run, path: str, block: Fenced) -> None:
    body = block.body
    error = python_error(body)
    if error is not None:
        body = _truncated(run, path, block, error)
        if not body:
            return
    text, problems, form = apply_python(run.current(path), body)
    for problem in problems:
        run.say(f"{path}: {problem}")
    if text is not None:
        _checked_write(run, path, text, form, f"{path}: not applied")


def _truncated(run: _Run, path: str, block: Fenced, error: str) -> str:
    """The longest prefix of a block cut off at its end (and a problem saying where), or ''
    with a problem when the block is broken elsewhere."""
    lines = block.body.splitlines()
    prefix = parseable_prefix(block.body)
    kept = len(prefix.splitlines())
    tail = [line for line in lines[kept:] if line.strip()]
    cut_at_end = not block.closed or len(tail) <= 2
    if not prefix.strip() or not cut_at_end:
        run.say(
            f"{path}: not applied, the block does not parse ({_short(error, 120)}); "
            "write it again, complete and valid Python"
        )
        return ""
    while kept < len(lines) and not lines[kept].strip():
        kept += 1  # the cut definition starts at the next line with text
    where = _short(lines[kept]) if kept < len(lines) else "the end"
    run.say(
        f"{path}: the block was cut off at its line {kept + 1} (`{where}`); the complete "
        "code before it was applied - write the rest in full"
    )
    return prefix


def _apply_diff(run: _Run, block: Fenced) -> None:
    run.saw(UNIFIED_DIFF)
    patches = parse_diff(block.body)
    if not any(p.hunks for p in patches):
        run.say(
            f"the diff at reply line {block.line} has no hunks; write the whole file or "
            "SEARCH/REPLACE blocks"
        )
    for patch in patches:
        raw = patch.path or block.path
        if raw is None:
            run.say(
                f"the diff at reply line {block.line} names no file; put `--- a/PATH` and "
                "`+++ b/PATH` lines before its hunks"
            )
            continue
        path, why = safe_path(raw)
        if path is None:
            run.say(_refused(raw, why))
            continue
        _apply_patch(run, run.resolve(path), patch)


def _place_hunk(text: str, hunk: Hunk) -> str | Miss:
    """``text`` with the hunk applied by its context, then by less and less of it."""
    if not hunk.old.strip():
        return text + hunk.new
    result = replace_lines(text, hunk.old, hunk.new, hunk.line)
    for old, new in hunk.narrowed():
        if not isinstance(result, Miss):
            break
        result = replace_lines(text, old, new, hunk.line)
    return result


def _apply_patch(run: _Run, path: str, patch: FilePatch) -> None:
    if patch.deletes:
        run.say(f"{path}: the diff deletes the file, which an edit cannot do; say so in prose")
        return
    text = "" if patch.creates else run.current(path)
    if text is None:
        run.say(
            f"could not apply the diff for {path}: the file does not exist; write it whole "
            "in a fenced block"
        )
        return
    for n, hunk in enumerate(patch.hunks, 1):
        result = _place_hunk(text, hunk)
        if isinstance(result, Miss):
            run.say(
                f"could not apply hunk {n} of the diff for {path}: its context and removed "
                "lines do not match the file; write the whole file or SEARCH/REPLACE blocks"
            )
            return
        text = result
    _checked_write(run, path, text, UNIFIED_DIFF, f"could not apply the diff for {path}")
