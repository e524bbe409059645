"""What the stand-in model makes of a request, and what it answers.

It reads a request the way a model does, not by our prompts' exact wording:

- its role from the model name (``...review...`` is the reviewer, anything else the coder);
- the stage from the ``response_format`` schema: a schema with ``files`` (or ``steps``) asks
  for a plan (from the reviewer: the corrected plan), one with ``verdict`` or ``findings``
  for a judgement (of the diff when the request shows one, else of the plan), one with
  only ``comments`` for a plan correction; without a schema, a request showing a diff to
  the reviewer asks for a review, anything else for code;
- which files to write from the last user message: a ``Files to write: a.py, b.py`` line,
  else the last instruction line outside code fences (one with a verb such as write,
  create, update) and the paths it names; a file shown only as context is not rewritten;
  an instruction naming no file but asking for tests gets the task's test files;
- a fix round from failing test output, or the reviewer's finding, in the request;
- a continuation: a conversation ending with (or just after) its own cut-off reply gets
  the rest of that reply.

A request it cannot place gets prose saying so, and ``Answer.unclear`` says why: those
are prompt bugs, counted in the figures.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from bench.capable import forms
from bench.capable.script import Edit, Script, solution
from bench.checker import is_test_path

FILES_LINE = re.compile(
    r"^[\s*_#>-]*files?\s+to\s+(?:write|create|change|edit)[\s*_]*:\s*(.+)$", re.I | re.M
)
WRITE_VERB = re.compile(
    r"\b(write|create|add|update|change|edit|modify|fix|rewrite|implement|produce|output"
    r"|return|give|reply|make)\b",
    re.I,
)
FAILURE = re.compile(
    r"\bFAILED\b|AssertionError|Traceback \(most recent call last\)|\b\d+ failed\b|^E\s{2,}",
    re.M,
)
# "continue", "go on", "where you left off" ... but not a retry ("reply again", "not valid")
CONTINUE = re.compile(
    r"\b(continue|go on|carry on|keep going|keep writing|resume|left off|rest of)\b", re.I
)
RETRY = re.compile(
    r"\b(reply again|answer again|try again|start over|not valid|invalid|shorter)\b", re.I
)
DIFF = re.compile(r"^(?:```diff|diff --git|@@ -\d|\+\+\+ b/)", re.M)
PATHLIKE = re.compile(r"`([\w./-]+\.(?:py|toml|md|ya?ml|cfg|ini|json|txt|rst))`")
TESTS = re.compile(r"\btests?\b", re.I)
NO_TESTS = re.compile(r"\b(no|not|without|never)\s+(any\s+)?tests?\b", re.I)
JUDGE_KEYS = frozenset({"verdict", "findings", "approved", "decision"})
SEARCH_REPLACE = re.compile(r"<<<<<<< SEARCH\n(.*?)^=======\n(.*?)^>>>>>>> REPLACE", re.M | re.S)
UNCLEAR = (
    "I'm not sure what you want me to write here: {why}. Could you say which file(s) "
    "to write, or what the reply should contain?"
)


@dataclass(frozen=True)
class Answer:
    text: str
    role: str  # coder or reviewer
    stage: str  # plan, plan-review, review, write, tests, continue, unclear
    paths: tuple[str, ...] = ()
    fix_round: bool = False
    unclear: str = ""  # why the request could not be placed ("" when it could)
    verdict: str = ""
    details: dict[str, Any] = field(default_factory=dict)


def content(message: Mapping[str, Any]) -> str:
    """A message's text: a string, or the text parts of a list of content parts."""
    value = message.get("content")
    if isinstance(value, list):
        return "".join(str(p.get("text", "")) for p in value if isinstance(p, Mapping))
    return value if isinstance(value, str) else ""


def _lang(path: str) -> str:
    suffix = path.rsplit(".", 1)[-1]
    return {"py": "python", "md": "markdown", "yml": "yaml"}.get(suffix, suffix)


def role_of(model: str) -> str:
    return "reviewer" if re.search(r"review|large|flagship", model, re.I) else "coder"


def schema_of(body: Mapping[str, Any]) -> dict[str, Any] | None:
    fmt = body.get("response_format")
    if not isinstance(fmt, Mapping) or fmt.get("type") == "text":
        return None
    schema = fmt.get("schema") or (fmt.get("json_schema") or {}).get("schema")
    return dict(schema) if isinstance(schema, Mapping) else {}


def outside_fences(text: str) -> list[str]:
    """The lines of ``text`` that are not inside a fenced block."""
    out, fenced = [], False
    for line in text.splitlines():
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
            continue
        if not fenced:
            out.append(line)
    return out


def mentions(text: str, path: str) -> bool:
    return re.search(rf"(?<![\w/.-]){re.escape(path)}(?![\w/-])", text) is not None


class Brain:
    def __init__(self, script: Script) -> None:
        self.script = script
        self.known = script.paths()
        self.base = {p for p, _ in script.task.files}

    # -- the request ---------------------------------------------------------------------

    def answer(self, body: Mapping[str, Any]) -> Answer:
        messages = [m for m in body.get("messages") or [] if isinstance(m, Mapping)]
        role = role_of(str(body.get("model", "")))
        cont = self._continuation(body, messages)
        if cont is not None:
            return cont
        return self._fresh(role, messages, schema_of(body))

    def _continuation(
        self, body: Mapping[str, Any], messages: Sequence[Mapping[str, Any]]
    ) -> Answer | None:
        """The rest of a reply cut off before, when the conversation ends with it."""
        last = max((i for i, m in enumerate(messages) if m.get("role") == "assistant"), default=-1)
        after = messages[last + 1 :]
        said = content(after[0]) if after else ""
        if (
            last < 0
            or len(after) > 1
            or (after and not (CONTINUE.search(said) and not RETRY.search(said)))
        ):
            return None
        partial = content(messages[last])
        earlier = self._fresh(role_of(str(body.get("model", ""))), messages[:last], schema_of(body))
        full = earlier.text
        if not partial.strip() or len(partial) >= len(full):
            return None
        if full.startswith(partial) or full.startswith(partial.rstrip()):
            rest = (
                full[len(partial) :] if full.startswith(partial) else full[len(partial.rstrip()) :]
            )
            return Answer(rest, earlier.role, "continue", earlier.paths, earlier.fix_round)
        return None

    def _fresh(
        self, role: str, messages: Sequence[Mapping[str, Any]], schema: dict[str, Any] | None
    ) -> Answer:
        users = [content(m) for m in messages if m.get("role") == "user"]
        asked = "\n".join(content(m) for m in messages if m.get("role") != "system")
        if schema is not None:
            return self._structured(role, schema, asked)
        if role == "reviewer" and DIFF.search(asked):
            return self._judge(role, None, asked)
        return self._write(role, users, asked)

    # -- structured stages ---------------------------------------------------------------

    def _structured(self, role: str, schema: dict[str, Any], asked: str) -> Answer:
        props = forms._resolve(schema, schema).get("properties") or {}
        if "files" in props or "steps" in props:
            stage = "plan-review" if role == "reviewer" else "plan"
            data = forms.fill(schema, self._plan())
            return Answer(forms.as_json(data, self.script.json_style, "plan"), role, stage)
        if JUDGE_KEYS & set(props):
            return self._judge(role, schema, asked)
        if "comments" in props:
            data = forms.fill(schema, {"comments": "No correction: the plan is sound."})
            return Answer(forms.as_json(data, self.script.json_style, "note"), role, "plan-review")
        if not props:  # JSON with no schema ("json_object"): what the words ask for
            if DIFF.search(asked):
                return self._judge(role, None, asked)
            if re.search(r"\bplan\b", asked, re.I):
                plan = {k: v for k, v in self._plan().items() if k in ("summary", "files", "tests")}
                text = forms.as_json(plan, self.script.json_style, "plan")
                return Answer(text, role, "plan-review" if role == "reviewer" else "plan")
        why = f"a reply shaped as {sorted(props)} is asked for, with no task I can place"
        data = forms.fill(schema, {})
        return Answer(forms.as_json(data, "plain", "reply"), role, "unclear", unclear=why)

    def _plan(self) -> dict[str, Any]:
        s = self.script
        files = [
            {
                "path": p,
                "change": s.change_of(p),
                "action": "modify" if p in self.base else "create",
            }
            for p in s.paths()
        ]
        return {
            "summary": s.summary,
            "files": files,
            "tests": list(s.tests),
            "steps": list(s.steps),
            "verdict": "approve",  # a schema asking for a corrected plan and a verdict
            "approved": True,
            "comments": "",
        }

    def _judge(self, role: str, schema: dict[str, Any] | None, asked: str) -> Answer:
        if not DIFF.search(asked):  # a plan to judge: the coder's plan is the stand-in's own
            hints = {
                "verdict": "approve",
                "approved": True,
                "decision": "approve",
                "summary": "The plan is sound.",
                "comments": "",
            }
            data = forms.fill(schema, hints) if schema is not None else hints
            text = forms.as_json(data, self.script.json_style, "verdict")
            return Answer(text, role, "plan-review", verdict="approve")
        findings = self._findings(asked)
        verdict = "fix" if findings else "approve"
        summary = (
            "The change does the task and its tests cover it."
            if not findings
            else " ".join(f["message"] for f in findings)
        )
        said: dict[str, Any] = {
            "verdict": verdict,
            "approved": verdict == "approve",
            "decision": verdict,
            "summary": summary,
            "findings": findings,
            "comments": summary,
        }
        data = forms.fill(schema, said) if schema is not None else said
        style = self.script.json_style if schema is not None else "fence"
        return Answer(forms.as_json(data, style, "review"), role, "review", verdict=verdict)

    def _findings(self, asked: str) -> list[dict[str, Any]]:
        """What a careful reviewer finds in the diff: a missing part, missing tests, and the
        task's own finding until the diff addresses it."""
        first = self.known[0] if self.known else ""
        out = [
            self._finding(first, 1, say)
            for needle, say in self.script.expect
            if needle not in asked
        ]
        if "def test_" not in asked:
            tests = next((p for p in self.known if is_test_path(p)), first)
            say = "The task asks for tests, but the change adds none."
            out.append(self._finding(tests, 1, say, "warning", "tests"))
        f = self.script.finding
        if f is not None and f.addressed_by not in asked:
            out.append(self._finding(f.path, f.line, f.message, f.severity, f.category))
        return out

    @staticmethod
    def _finding(
        path: str, line: int, message: str, severity: str = "error", category: str = "bug"
    ) -> dict[str, Any]:
        return {
            "path": path,
            "line": line,
            "end_line": line,
            "severity": severity,
            "category": category,
            "message": message,
        }

    # -- writing files -------------------------------------------------------------------

    def _write(self, role: str, users: Sequence[str], asked: str) -> Answer:
        """The files the last user message asks for (or, for a retry that names none, the
        message it retries), as this model writes them."""
        paths, unknown, why = self._asked_paths(users[-1] if users else "")
        for earlier in reversed(users[:-1]):
            if paths or unknown:
                break
            paths, unknown, _ = self._asked_paths(earlier)
        if not paths and not unknown:
            return Answer(UNCLEAR.format(why=why), role, "unclear", unclear=why)
        edits = self._edits_for(paths)
        fixing = [self._fixing(e, asked) for e in edits]
        parts = []
        for edit, fix in zip(edits, fixing, strict=True):
            text = self._as_it_stands(edit.fixed if fix else edit.reply, edit, asked)
            single = len(paths) > 1 and len(edit.paths) == 1
            parts.append(forms.label(text, edit.paths[0], self.script.label) if single else text)
        unclear = ""
        if unknown:
            unclear = f"asked to write {', '.join(unknown)}, which the task does not need"
            parts.append(f"I have no change for {', '.join(unknown)}: the task does not need it.")
        stage = "tests" if paths and all(is_test_path(p) for p in paths) else "write"
        return Answer("\n\n".join(parts), role, stage, tuple(paths), any(fixing), unclear=unclear)

    def _as_it_stands(self, text: str, edit: Edit, asked: str) -> str:
        """``text``, or, when it is SEARCH/REPLACE blocks the request shows already applied,
        the whole file as it now stands (a model does not send an edit that cannot apply)."""
        replaced = SEARCH_REPLACE.findall(text)
        if not replaced or not all(r.strip() in asked for _s, r in replaced):
            return text
        files = solution(self.script)
        whole = [f"```{_lang(p)}\n{files[p]}```" for p in edit.paths if p in files]
        intro = "That change is already in the file; here is the whole file as it stands:"
        return "\n\n".join([intro, *whole]) if whole else text

    def _asked_paths(self, last: str) -> tuple[list[str], list[str], str]:
        """(known paths asked for, unknown paths asked for, why nothing could be found)."""
        listed = FILES_LINE.findall(last)
        if listed:
            names = [n.strip(" `'\"*:;()") for n in re.split(r"[,\s]+", listed[-1])]
            names = [n for n in names if "." in n or "/" in n]
            return (
                [n for n in names if n in self.known],
                [n for n in names if n not in self.known],
                "",
            )
        why = "the request has no instruction naming a file to write"
        for line in reversed(outside_fences(last)):  # the last instruction that names a file
            stripped = line.strip()
            if not WRITE_VERB.search(stripped) or stripped.lower().startswith("task:"):
                continue
            known = [p for p in self.known if mentions(stripped, p)]
            unknown = [p for p in PATHLIKE.findall(stripped) if p not in self.known]
            if known or unknown:
                return known, unknown, ""
            if why.startswith("the request") and TESTS.search(NO_TESTS.sub("", stripped)):
                return [p for p in self.known if is_test_path(p)], [], ""
            why = f"the instruction ({stripped[:80]!r}) names no file"
        return [], [], why

    def _edits_for(self, paths: Sequence[str]) -> list[Edit]:
        wanted = set(paths)
        whole = [e for e in self.script.edits if len(e.paths) > 1 and set(e.paths) == wanted]
        if whole:
            return whole[:1]
        out: list[Edit] = []
        for path in paths:
            single = [e for e in self.script.edits if e.paths == (path,)]
            edit = single[0] if single else next(e for e in self.script.edits if path in e.paths)
            if edit not in out:
                out.append(edit)
        return out

    def _fixing(self, edit: Edit, asked: str) -> bool:
        if edit.fix_on == "failure":
            return FAILURE.search(asked) is not None
        if edit.fix_on == "finding" and self.script.finding is not None:
            said = " ".join(self.script.finding.message.split())[:60].lower()
            return said in " ".join(asked.split()).lower()
        return False
