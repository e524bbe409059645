"""``relay-git init``: starter files for a repository, from ``templates/starter/``.

Every change is planned first (path, text before, text after), so ``--dry-run`` can show
the diff and a second run can say there is nothing left to do. Existing files are never
replaced: a present ``.relay-git.toml`` or workflow is kept, and the pre-commit hook is
appended to an existing ``.pre-commit-config.yaml`` as text, so its comments survive.
"""

from __future__ import annotations

import difflib
import json
import re
import shlex
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from relay_git.config.schema import describe
from relay_git.errors import UsageError
from relay_git.hooks import COMMIT_HOOK_ID as HOOK_ID
from relay_git.hooks import install
from relay_git.models import prompts
from relay_git.util.fs import atomic_write

CONFIG_FILE = ".relay-git.toml"
PRECOMMIT_FILE = ".pre-commit-config.yaml"
WORKFLOW_FILE = ".github/workflows/relay-git.yml"
ACTION_PLACEHOLDER = "<YOUR-FORK>/relay-git@RELEASE_SHA"
# The starter's relay-git line: the placeholder, which zizmor is told to skip until the user
# names a release; a name given with --action replaces the whole line and is audited.
ACTION_LINE = re.compile(r"^(\s*- uses: )<YOUR-FORK>/relay-git@RELEASE_SHA\b.*$", re.MULTILINE)
FULL_SHA = re.compile(r"@[0-9a-f]{40}$")

# One line per key for the commented config; a key without one still gets its default.
HELP = {
    "coder": "The small, fast model: writes plans, code, tests and fix-ups.",
    "reviewer": "The large model: reviews the plan and the diff.",
    "planner": 'Who writes the plan: "coder" (fast) or "reviewer" (precise).',
    "openai_base_url": "Base URL of an OpenAI-compatible server (ends in /v1); not set by default.",
    "exclude": "Glob patterns of files never sent to a model.",
    "protected": "Branches relay-git never commits to.",
    "test_command": "The test command for scaffold; not set by default (no tests are run).",
    "test_timeout": "Seconds the test command may run.",
    "fail_on": 'Lowest severity that fails a review: "error", "warning", "info" or "never".',
    "jobs": "Review chunks sent to the model at once.",
    "timeout": "Seconds one model call may take.",
    "max_rounds": "Test-and-fix rounds before scaffold gives up.",
    "max_context": "Upper bound on the context (tokens) requested from a model.",
    "max_files": "Files reviewed at most; the summary names the rest.",
    "secret_patterns": "Files whose content never leaves the machine.",
    "templates_dir": "Prompt template overrides; not set: .relay-git/templates/.",
}


NEEDS_TRUST = "[needs `relay-git trust`]"
# A gated key an untrusted file may still set in part (config: its secret patterns only add).
TRUST_NOTES = {"secret_patterns": "[until `relay-git trust`: these only add to the defaults]"}


@dataclass(frozen=True)
class ConfigKey:
    name: str
    default: Any
    help: str
    gated: bool = False  # from a repository's file only once it is trusted


@dataclass(frozen=True)
class Change:
    path: str  # relative to the repository root, with /
    old: str | None  # None: the file does not exist
    new: str
    what: str  # what the change holds, or why there is none

    @property
    def changed(self) -> bool:
        return self.old != self.new

    def describe(self, dry_run: bool) -> str:
        if not self.changed:
            return f"{self.path}: {self.what}"
        verb = "create" if self.old is None else "update"
        return f"{'would ' + verb if dry_run else verb + 'd'} {self.path}: {self.what}"


def config_keys() -> list[ConfigKey]:
    """Every configuration key and its built-in default, read from the Config schema."""
    return [
        ConfigKey(d["key"], d["default"], HELP.get(d["key"], "") or d["help"], bool(d["gated"]))
        for d in describe()
    ]


def toml_value(value: Any) -> str:
    """A default as TOML; '' for None (TOML has no null: the key stays unset)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, tuple | list):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    if isinstance(value, dict):
        inner = ", ".join(f"{json.dumps(str(k))} = {toml_value(v)}" for k, v in value.items())
        return "{" + (f" {inner} " if inner else "") + "}"
    return json.dumps(str(value))  # a TOML basic string accepts JSON's escapes


def _starter(name: str) -> str:
    folder = prompts.template_dir().joinpath("starter")  # one part per joinpath: 3.11's
    return folder.joinpath(name).read_text(encoding="utf-8")  # Traversables take only one


def config_text() -> str:
    keys = [
        {
            "name": k.name,
            "value": toml_value(k.default),
            "help": k.help or k.name,
            "trust": TRUST_NOTES.get(k.name, NEEDS_TRUST) if k.gated else "",
        }
        for k in config_keys()
    ]
    return prompts.render(_starter("relay-git.toml.j2"), "relay-git.toml.j2", keys=keys)


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as err:
        raise UsageError(f"{path}: cannot read: {err}") from None


def _keep_or_create(root: Path, rel: str, text: str, what: str) -> Change:
    old = _read(root / rel)
    if old is None:
        return Change(rel, None, text, what)
    return Change(rel, old, old, "exists, left as it is")


def workflow_text(action: str) -> str:
    """The README's workflow; ``action`` (OWNER/relay-git@REF) replaces the placeholder line."""
    text = _starter("github-workflow.yml")
    if action == ACTION_PLACEHOLDER:
        return text
    if not re.fullmatch(r"[\w.-]+/[\w.-]+(/[\w./-]+)?@[\w./-]+", action):
        raise UsageError(f"--action {action!r}: not OWNER/REPO@REF", "e.g. my-org/relay-git@<sha>")
    return ACTION_LINE.sub(lambda m: m.group(1) + action, text, count=1)


def inside(root: Path, rel: str) -> None:
    """Refuse a path that a symlink (``.github`` -> elsewhere) leads out of the repository."""
    target = (root / rel).resolve()
    if not target.is_relative_to(root.resolve()):
        raise UsageError(
            f"{rel} leads out of the repository (to {target}): a symlink on the way",
            "replace the symlink with a folder, or write the file yourself",
        )


def plan(root: Path, *, github: bool = False, action: str = ACTION_PLACEHOLDER) -> list[Change]:
    """What ``relay-git init`` would do in the repository at ``root``; writes nothing."""
    for rel in (CONFIG_FILE, PRECOMMIT_FILE, *([WORKFLOW_FILE] if github else [])):
        inside(root, rel)
    changes = [
        _keep_or_create(root, CONFIG_FILE, config_text(), "every setting with its default"),
        precommit_change(root),
    ]
    if github:
        workflow = workflow_text(action)
        changes.append(_keep_or_create(root, WORKFLOW_FILE, workflow, "reviews pull requests"))
    return changes


def apply(root: Path, changes: Iterable[Change]) -> None:
    for change in changes:
        if not change.changed:
            continue
        target = root / change.path
        target.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(target, change.new)


def unified_diff(changes: Iterable[Change]) -> str:
    parts: list[str] = []
    for c in changes:
        if c.changed:
            before = "/dev/null" if c.old is None else f"a/{c.path}"
            old_lines = (c.old or "").splitlines(keepends=True)
            lines = difflib.unified_diff(old_lines, c.new.splitlines(True), before, f"b/{c.path}")
            parts.append("".join(lines))
    return "".join(parts)


# --- .pre-commit-config.yaml -------------------------------------------------------------


def _yaml(text: str, where: str) -> Any:
    import yaml  # deferred: only init reads YAML

    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as err:
        raise UsageError(f"{where}: invalid YAML: {err}".splitlines()[0]) from None


def has_hook(config: Any) -> bool:
    """Whether a parsed pre-commit config already runs relay-git's review hook."""
    repos = config.get("repos") if isinstance(config, dict) else None
    for repo in repos if isinstance(repos, list) else []:
        hooks = repo.get("hooks") if isinstance(repo, dict) else None
        for hook in hooks if isinstance(hooks, list) else []:
            if isinstance(hook, dict) and hook.get("id") == HOOK_ID:
                return True
    return False


def _entry_lines(starter: str) -> list[str]:
    """The starter's repos entry (its lines below ``repos:``), with its comments."""
    lines = starter.splitlines(keepends=True)
    return lines[next(i for i, line in enumerate(lines) if line.startswith("repos:")) + 1 :]


def _insert_at(lines: list[str]) -> tuple[int, str] | None:
    """Where the repos block ends (before the next top-level key) and its items' indent."""
    start = next(
        (i for i, line in enumerate(lines) if re.match(r"repos\s*:\s*(#.*)?$", line)), None
    )
    if start is None:
        return None
    end, indent = len(lines), None
    for i in range(start + 1, len(lines)):
        if re.match(r"[^\s#-]", lines[i]):
            end = i
            break
        if indent is None and (item := re.match(r"(\s*)-", lines[i])):
            indent = item.group(1)  # the first item's: nested lists indent further
    while end > start + 1 and (not lines[end - 1].strip() or lines[end - 1].startswith("#")):
        end -= 1  # blank lines and comments before the next key stay with it
    return end, indent or ""


def _appended(old: str, starter: str) -> str | None:
    lines = old.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    found = _insert_at(lines)
    if found is None:
        return None
    end, indent = found
    entry = [indent + line if line.strip() else line for line in _entry_lines(starter)]
    return "".join(lines[:end] + entry + lines[end:])


ENTRY_PLACEHOLDER = "RELAY_GIT_ENTRY"
HOOK_ARGS = ("review", "--hook", "--files")  # pre-commit appends the staged file names


def hook_entry() -> str:
    """The hook's command line with the interpreter that runs relay-git now, as ``hooks
    install`` writes it: a hook runs with whatever PATH git got, which may have no
    relay-git on it. ``-I``: a relay_git/ folder in the repository never stands in."""
    python, path = install.interpreter()
    if path:
        start = "import sys; sys.path.insert(0, sys.argv.pop(1)); import relay_git.cli as c; "
        command = [python, "-I", "-c", start + "sys.exit(c.main())", path, *HOOK_ARGS]
    else:
        command = [python, "-I", "-m", "relay_git", *HOOK_ARGS]
    return json.dumps(shlex.join(command))  # a JSON string is a YAML double-quoted scalar


def precommit_text() -> str:
    return _starter("pre-commit-config.yaml").replace(ENTRY_PLACEHOLDER, hook_entry())


def precommit_change(root: Path) -> Change:
    starter = precommit_text()
    old = _read(root / PRECOMMIT_FILE)
    if old is None:
        return Change(PRECOMMIT_FILE, None, starter, f"the {HOOK_ID} hook")
    parsed = _yaml(old, PRECOMMIT_FILE)
    if has_hook(parsed):
        return Change(PRECOMMIT_FILE, old, old, f"already runs {HOOK_ID}, left as it is")
    if parsed is None:  # empty, or only comments
        new: str | None = old + ("\n" if old and not old.endswith("\n") else "") + starter
    else:
        new = _appended(old, starter)
    if new is None or not _only_adds_entry(parsed, _yaml(new, PRECOMMIT_FILE), starter):
        raise UsageError(
            f"cannot add the hook to {PRECOMMIT_FILE} without rewriting it",
            f"add this under repos: yourself:\n{''.join(_entry_lines(starter))}",
        )
    return Change(PRECOMMIT_FILE, old, new, f"the {HOOK_ID} hook appended to repos")


def _only_adds_entry(before: Any, after: Any, starter: str) -> bool:
    """The text-level append must parse to the old config plus exactly our entry."""
    (entry,) = _yaml(starter, "starter")["repos"]
    if before is not None and not isinstance(before, dict):
        return False
    if not isinstance(after, dict) or not isinstance(after.get("repos"), list):
        return False
    expected = dict(before or {}, repos=[*((before or {}).get("repos") or []), entry])
    return bool(after == expected)
