"""Trying candidates in the relay worktree: write the files, run, read the result, reset.

Every test-command run of a relay goes through ``Workbench.run`` (then ``testrun.run``, the
sandbox); every write through ``edits.apply_edits`` (confined to the worktree, protected
paths refused). After each try the worktree returns to its last commit, so candidates
never see each other.
"""

from __future__ import annotations

import hashlib
import itertools
import os
import re
import secrets
import shlex
import stat
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from relay_git.errors import UnsafeEdit
from relay_git.git import worktree as wtmod
from relay_git.git.edits import Edit, EditFailed, apply_edits
from relay_git.safety.sandbox import Kind
from relay_git.scaffold.plan.scope import is_test_path, module_of
from relay_git.scaffold.verify import evidence as ev
from relay_git.scaffold.verify.select import parse_report
from relay_git.scaffold.verify.testrun import Status, TestOutcome, run

_ASSIGNMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*=")


def pytest_runner(command: str | None) -> str | None:
    """How to start pytest the way the project's test command does, or None (not pytest).

    Variables the command sets first (``PYTHONPATH=src pytest``) are kept in front."""
    if not command:
        return None
    try:
        words = shlex.split(command)
    except ValueError:
        return None
    settings = list(itertools.takewhile(_ASSIGNMENT.match, words))
    words = words[len(settings) :]
    if not words:
        return None
    first = words[0]
    env = "".join(f"{shlex.quote(s)} " for s in settings)
    if PurePosixPath(first).name.startswith("pytest"):
        return f"{env}{shlex.quote(first)}"
    if PurePosixPath(first).name.startswith("python") and words[1:3] == ["-m", "pytest"]:
        return f"{env}{shlex.quote(first)} -m pytest"
    return None


# A draft that loops forever must not cost the project's whole test timeout once per test
# file: a scratch test of single assertions, or the values probe, gets this long.
PROBE_TIMEOUT = 30.0


@dataclass
class Workbench:
    wt: wtmod.RelayWorktree
    environ: Mapping[str, str]
    sandbox: Kind
    timeout: float
    allow: tuple[str, ...] = ()
    command: str | None = None  # the project's test command (None: there is none to run)
    test_seconds: float = 0.0
    discarded: set[str] = field(default_factory=set)  # protected paths a test run wrote
    results: dict[tuple[str, str, float], TestOutcome] = field(default_factory=dict)

    @property
    def runner(self) -> str | None:
        """pytest, as the project's test command starts it (None: not pytest)."""
        return pytest_runner(self.command)

    def write(self, files: Mapping[str, str]) -> list[str]:
        """Write ``files`` into the worktree; the paths refused, if any (nothing written then)."""
        edits = [Edit(p, "write", content=c) for p, c in files.items()]
        try:
            apply_edits(self.wt.path, edits, self.allow)
        except (EditFailed, UnsafeEdit) as err:
            return [str(err)]
        return []

    def reset(self) -> None:
        wtmod.reset_clean(self.wt)

    def run(self, command: str, timeout: float | None = None) -> TestOutcome:
        limit = self.timeout if timeout is None else min(timeout, self.timeout)
        key = (tree_key(self.wt), command, limit) if self.sandbox is not Kind.NONE else None
        outcome = self.results.get(key) if key else None
        if outcome is None:
            outcome = run(command, self.wt.path, limit, self.environ, sandbox=self.sandbox)
            self.test_seconds += outcome.seconds
            if key and outcome.status is not Status.TIMEOUT and tree_key(self.wt) == key[0]:
                self.results[key] = outcome  # the run changed nothing: its result is the tree's
        self.discarded.update(wtmod.discard_protected(self.wt, self.allow))  # now, not later
        return outcome

    def remove(self, paths: Sequence[str]) -> None:
        """Delete ``paths`` (files the change creates) from the worktree, for a base run."""
        root = self.wt.path.resolve()
        for path in paths:
            target = (root / path).resolve()
            if target.is_relative_to(root) and target.is_file() and not target.is_symlink():
                target.unlink()

    def evidence(
        self, base: ev.Tree, head: ev.Tree, code: Sequence[str], command: str | None
    ) -> ev.Evidence:
        """The change's new tests run on the change and on the base code; the change stays
        written after."""
        written = {p: c for p, c in head.items() if c is not None and base.get(p) != c}
        tests = [p for p in written if is_test_path(p) and p.endswith(".py")]
        if command is None:
            return ev.unmeasured(base, head)
        project: dict[str, str] = {}
        if self.runner is not None:  # a test the project had that calls the code may witness
            words = {m for p in code for m in module_of(p).split(".") if m}
            words |= {
                q.rsplit(".", 1)[-1]
                for p in code
                for q in ev.changed_functions(base.get(p), head.get(p))
            }
            found, project = self._project_tests(written, words)
            if not tests and not found:  # nothing to run: no witness
                return ev.from_runs("", "", base, head, code)
            paths = " ".join(shlex.quote(p) for p in [*tests, *found])
            command = f"{self.runner} -q -rA --tb=no -p no:cacheprovider {paths}"
        try:
            self.reset()
            self.write(written)
            after = self.run(command)
            self.reset()
            self.write({p: c for p, c in written.items() if p in tests})
            without = ev.without_change(base, head, code)
            self.write({p: c for p, c in without.items() if c is not None})
            self.remove([p for p, c in without.items() if c is None])
            before = self.run(command)
        finally:
            self.reset()
            self.write(written)
        if self.runner is None:
            return ev.from_command(before.failed, after.status is Status.PASSED, base, head)
        return ev.from_runs(before.output, after.output, base, head, code, project)

    def _project_tests(
        self, written: Mapping[str, str], words: set[str]
    ) -> tuple[list[str], dict[str, str]]:
        """The test files the tree already has that name the changed code, and their tests'
        sources (name -> source)."""
        listed = self.wt.git("ls-files", "-z").split("\0")
        paths: list[str] = []
        out: dict[str, str] = {}
        for path in listed:
            if not path or path in written or not is_test_path(path) or not path.endswith(".py"):
                continue
            target = self.wt.path / path
            if target.is_file() and not target.is_symlink():
                text = target.read_text(encoding="utf-8", errors="replace")
                if words & set(re.findall(r"[A-Za-z_]\w*", text)):
                    paths.append(path)
                    out |= ev.test_sources(text)
        return paths, out

    def outcomes(self, files: Mapping[str, str], test_path: str, source: str) -> dict[str, str]:
        """Per-test results of ``source`` (written at ``test_path``) against ``files``."""
        if self.runner is None:
            return {}
        try:
            if self.write({**files, test_path: source}):
                return {}
            command = f"{self.runner} -q -rA --tb=no -p no:cacheprovider {test_path}"
            report = self.run(command, PROBE_TIMEOUT)
            return parse_report(report.output)
        finally:
            self.reset()

    def script(self, files: Mapping[str, str], source: str) -> str:
        """The output of a Python script run with ``files`` in place (the values probe)."""
        if self.runner is None:
            return ""
        name = f"relay_probe_{secrets.token_hex(4)}.py"
        python = _python(self.runner)
        try:
            if self.write({**files, name: source}):
                return ""
            return self.run(f"{python} {name}", PROBE_TIMEOUT).output
        finally:
            self.reset()


def _python(runner: str) -> str:
    """The Python a runner starts pytest with (``A=1 /venv/bin/python -m pytest``: all but
    ``-m pytest``), or ``python`` after the variables a ``pytest`` runner sets first."""
    words = shlex.split(runner)
    return shlex.join(words[: words.index("-m")] if "-m" in words else [*words[:-1], "python"])


def tree_key(wt: wtmod.RelayWorktree) -> str:
    """A hash of the files in the worktree (all but ``.git``; ignored ones too): each path,
    its mode, and its bytes or a link's target. Two runs on one key saw the same tree."""
    digest = hashlib.sha256()
    root = wt.path
    for folder, dirs, files in os.walk(root):
        here = Path(folder)
        if here == root:
            dirs[:] = [d for d in dirs if d != ".git"]
            files = [f for f in files if f != ".git"]
        dirs.sort()
        for name in sorted([*files, *(d for d in dirs if (here / d).is_symlink())]):
            _hash_file(digest, here / name, root)
    return digest.hexdigest()


def _hash_file(digest: Any, path: Path, root: Path) -> None:
    mode = path.lstat().st_mode
    name = str(path.relative_to(root)).encode("utf-8", "surrogateescape")
    digest.update(b"\0%s\0%o\0" % (name, mode))
    if stat.S_ISLNK(mode):
        digest.update(os.readlink(path).encode("utf-8", "surrogateescape"))
    elif stat.S_ISREG(mode):
        with path.open("rb") as handle:
            digest.update(hashlib.file_digest(handle, "sha256").digest())


def probe_path(folder: str) -> str:
    return f"{folder}/test_relay_candidates_{secrets.token_hex(3)}.py"
