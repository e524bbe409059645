"""evidence: what the new tests show about a change. Pure: sources and pytest outputs."""

from __future__ import annotations

import pytest

from relay_git.scaffold.verify.evidence import (
    changed_functions,
    from_runs,
    hollowed,
    keep_existing_tests,
    renamed_only,
    signature_problems,
    without_change,
)

BASE = (
    "class Store:\n    def add(self, n):\n        return n\n\n    def remove(self, n):\n"
    "        return -n\n"
)
HEAD = (
    "class Store:\n    def add(self, n):\n        return n\n\n    def remove(self, n):\n"
    "        if n > 9:\n            raise ValueError(n)\n        return -n\n\n"
    "    def low_stock(self, t):\n        return t\n"
)
TESTS = (
    "from store import Store\n\n\ndef test_remove_raises():\n    Store().remove(99)\n\n\n"
    "def test_low_stock():\n    assert Store().low_stock(1) == 1\n"
)


def report(**outcomes: str) -> str:
    return "\n".join(f"{o.upper()} tests/test_store.py::{n}" for n, o in outcomes.items())


def test_changed_functions_are_qualified_and_only_the_changed_ones() -> None:
    assert sorted(changed_functions(BASE, HEAD)) == ["Store.low_stock", "Store.remove"]


def test_witnesses_fail_on_the_base_and_pass_with_the_change() -> None:
    base, head = (
        {"store.py": BASE, "tests/test_store.py": None},
        {
            "store.py": HEAD,
            "tests/test_store.py": TESTS,
        },
    )
    found = from_runs(
        report(test_remove_raises="failed", test_low_stock="failed"),
        report(test_remove_raises="passed", test_low_stock="passed"),
        base,
        head,
        ["store.py"],
    )
    assert found.witnesses == ("test_remove_raises", "test_low_stock") and found.reasons() == []
    weak = from_runs(
        report(test_remove_raises="passed", test_low_stock="failed"),
        report(test_remove_raises="passed", test_low_stock="passed"),
        base,
        head,
        ["store.py"],
    )
    assert weak.uncovered == ("Store.remove",)
    assert weak.reasons() == ["no test that fails without the change calls Store.remove"]
    none = from_runs("", "", base, {"store.py": HEAD}, ["store.py"])
    assert "nothing shows it works" in none.reasons()[0]


def test_a_rename_only_change_needs_a_passing_test_not_a_failing_one() -> None:
    before = "def receipt(o):\n    return calc_total(o)\n"
    after = "def receipt(o):\n    return order_total(o)\n"
    assert renamed_only(before, after) == {"receipt"}
    assert renamed_only("def f(x):\n    return x\n", "def f(x):\n    return x + 1\n") == set()


def test_without_change_keeps_imports_resolvable_and_hollows_new_files() -> None:
    base = {"app.py": "def double(x):\n    return 2 * x\n", "pkg/core.py": None}
    head = {
        "app.py": "def double(x):\n    return 2 * x\n\n\ndef square(x):\n    return x * x\n",
        "pkg/core.py": "def c_to_f(c):\n    return c * 9 / 5 + 32\n",
    }
    out = without_change(base, head, ["app.py", "pkg/core.py"])
    assert "def square(*args, **kwargs):\n    return None" in (out["app.py"] or "")
    assert out["pkg/core.py"] == "def c_to_f(c):\n    return None\n"
    assert hollowed("def f(x): return x\n", {"f"}) == "def f(x): return x\n"


@pytest.mark.parametrize(
    ("task", "head", "problem"),
    [
        ("Add square(x) to app.py", "def square():\n    return 23\n", "square takes ()"),
        ("Add square(x) to app.py", "def square(x):\n    return x * x\n", None),
        ("Add square(x) to app.py", "def square(*a):\n    return 1\n", None),
        ("add a slugify() helper", "def slugify(text):\n    return text\n", None),
        (
            "Store.low_stock(threshold)",
            "class Store:\n    def low_stock(self):\n        pass\n",
            "low_stock",
        ),
    ],
)
def test_the_signature_the_task_names_is_kept(task: str, head: str, problem: str | None) -> None:
    found = signature_problems(task, {"app.py": head}, ["app.py"])
    assert (found[0] if found else None) is None if problem is None else problem in found[0]


def test_a_draft_may_add_tests_never_rewrite_the_projects() -> None:
    done = "from m import f\n\n\ndef test_f():\n    assert f(1) == 2\n"
    rewritten = (
        "from m import f\n\n\ndef test_f():\n    assert f(1)\n\n\n"
        "def test_g():\n    assert f(2) == 3\n"
    )
    kept = keep_existing_tests(done, rewritten)
    assert kept.startswith(done.rstrip("\n")) and "def test_f_2():\n    assert f(1)" in kept
    assert "def test_g():" in kept
    added = done + "\n\ndef test_h():\n    assert f(3) == 4\n"
    assert keep_existing_tests(done, added) == added
