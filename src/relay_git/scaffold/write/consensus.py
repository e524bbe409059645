"""When no drafted test survives: keep the model's inputs, take the expected values from
the code drafts that agree.

A 135M model picks sensible inputs (``double(3)``) but often the wrong expected value
(``== 3``). Each input is evaluated on every code draft; where at least two drafts agree
on a value (a plain literal), and the drafts that agree are a majority, the test is
rewritten to expect that value (only when no draft that returns a value disagrees) —
differential testing by vote, as AlphaCode
clusters programs by behaviour. Such tests are labelled as pinned by agreement, and the
reviewer sees them in the diff. Pure, except for the script it writes for the pipeline
to run.
"""

from __future__ import annotations

import ast
import json
from collections import Counter
from collections.abc import Mapping, Sequence

from relay_git.scaffold.write.testsmith import TestFn

MIN_AGREEING = 2
MAX_CALLS = 12
_MARK = "RELAY_VALUES:"


def equality_calls(tests: Sequence[TestFn], names: Sequence[str]) -> list[str]:
    """Calls of a name under test compared with ``==`` in the tests: ``double(3)``."""
    wanted = set(names)
    calls: list[str] = []
    for test in tests:
        try:
            tree = ast.parse(test.source)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Compare) and len(node.ops) == 1):
                continue
            if not isinstance(node.ops[0], ast.Eq):
                continue
            for side in (node.left, node.comparators[0]):
                if _is_call_of(side, wanted):
                    calls.append(ast.unparse(side))
    return list(dict.fromkeys(calls))[:MAX_CALLS]


def _is_call_of(node: ast.AST, names: set[str]) -> bool:
    if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name):
        return False
    if node.func.id not in names:
        return False
    args = [*node.args, *(k.value for k in node.keywords)]
    return all(_literal(a) for a in args)


def _literal(node: ast.AST) -> bool:
    try:
        ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False
    return True


def probe_script(where: Mapping[str, str], calls: Sequence[str]) -> str:
    """A script printing ``repr`` of each call's value (None where it raises) as JSON."""
    imports = "\n".join(f"    from {m} import {n}" for n, m in sorted(where.items()))
    body = "\n".join(f"    out.append(_value(lambda: {c}))" for c in calls)
    return (
        "import json\n\n\ndef _value(f):\n    try:\n        return repr(f())\n"
        "    except BaseException:\n        return None\n\n\nout = []\ntry:\n"
        f"{imports}\n{body}\nexcept BaseException:\n    pass\n"
        f"print({_MARK!r} + json.dumps(out))\n"
    )


def parse_values(output: str, count: int) -> list[str | None]:
    for line in output.splitlines():
        if line.startswith(_MARK):
            try:
                values = json.loads(line[len(_MARK) :])
            except ValueError:
                break
            if isinstance(values, list):
                padded = [v if isinstance(v, str) else None for v in values]
                return (padded + [None] * count)[:count]
    return [None] * count


def agreed(per_draft: Sequence[Sequence[str | None]]) -> list[str | None]:
    """For each call, the value every draft that returns one agrees on: at least two, and a
    majority of all drafts. Drafts that disagree mean the model is unsure; nothing is
    pinned then, and the run says no test survived rather than bless a guess."""
    if not per_draft:
        return []
    out: list[str | None] = []
    for index in range(len(per_draft[0])):
        votes = Counter(v[index] for v in per_draft if v[index] is not None)
        best = votes.most_common(1)
        if not best:
            out.append(None)
            continue
        value, n = best[0]
        if value is None:
            out.append(None)
            continue
        unanimous = len(votes) == 1
        ok = unanimous and n >= MIN_AGREEING and n * 2 > len(per_draft) and _literal_text(value)
        out.append(value if ok and value != "None" else None)
    return out


def _literal_text(text: str) -> bool:
    try:
        ast.literal_eval(text)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False
    return True


def pinned(calls: Sequence[str], values: Sequence[str | None], stem: str) -> list[TestFn]:
    """One test per call whose value the drafts agreed on."""
    tests = []
    for n, (call, value) in enumerate(zip(calls, values, strict=True), 1):
        if value is None:
            continue
        name = f"test_{stem}_agreed_{n}"
        source = (
            f"def {name}():\n    # expected value: what the agreeing code drafts return\n"
            f"    assert {call} == {value}\n"
        )
        tests.append(TestFn(name, source))
    return tests
