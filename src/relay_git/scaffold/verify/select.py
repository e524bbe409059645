"""Draft several, verify once: code drafts and test drafts judge each other (CodeT).

Every test is run against every code draft and against a stub whose functions return
None. A test that passes on the stub asserts nothing and is dropped; a test that cannot
even be collected (an import that does not resolve) is broken, not evidence against the
code. Code drafts that pass the same tests form a group, scored by group size times the
number of tests passed, as in CodeT (Chen et al., 2022); the best group's first draft goes
forward with the tests it passes. The scoring here is pure; running is passed in.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

Files = Mapping[str, str]  # path -> full content
Outcomes = Mapping[str, str]  # test name -> "passed" | "failed" | "error"
# the name after the last "::" (greedy), so `t.py::TestX::test_a` gives test_a
_LINE = re.compile(r"^(PASSED|FAILED|ERROR|XPASS|XFAIL|SKIPPED)\s+\S*::(\w+)", re.M)


def parse_report(output: str) -> dict[str, str]:
    """Per-test outcomes from ``pytest -rA`` output ("passed", "failed" or "error")."""
    found: dict[str, str] = {}
    for kind, name in _LINE.findall(output):
        found[name] = "passed" if kind in ("PASSED", "XPASS") else kind.lower()
    return found


@dataclass(frozen=True)
class Matrix:
    """What each test did on each code draft, and on the stub."""

    drafts: tuple[Outcomes, ...]
    stub: Outcomes

    def meaningful(self, name: str) -> bool:
        """The test fails on the stub and ran (was collected) on some draft."""
        if self.stub.get(name) == "passed":
            return False
        return any(d.get(name) in ("passed", "failed") for d in self.drafts)

    def passed(self, index: int) -> frozenset[str]:
        return frozenset(
            n for n, o in self.drafts[index].items() if o == "passed" and self.meaningful(n)
        )


@dataclass(frozen=True)
class Choice:
    draft: int  # index into the code drafts
    tests: frozenset[str]  # the tests it passes that can fail
    score: int  # drafts in its group x tests passed


def rank(matrix: Matrix) -> list[Choice]:
    """Code drafts best first: CodeT's dual agreement, then draft order."""
    groups: dict[frozenset[str], list[int]] = {}
    for index in range(len(matrix.drafts)):
        groups.setdefault(matrix.passed(index), []).append(index)
    choices = [
        Choice(members[0], tests, len(members) * len(tests)) for tests, members in groups.items()
    ]
    ranked = sorted(choices, key=lambda c: (-c.score, c.draft))
    firsts = {c.draft for c in ranked}
    rest = [Choice(i, matrix.passed(i), 0) for i in range(len(matrix.drafts)) if i not in firsts]
    return ranked + rest


Runner = Callable[[Files], Outcomes]  # writes the files, runs the candidate tests


def run_matrix(drafts: Sequence[Files], stub: Files, run: Runner) -> Matrix:
    return Matrix(tuple(run(d) for d in drafts), run(stub))
