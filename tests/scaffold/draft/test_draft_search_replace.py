"""SEARCH/REPLACE blocks (Aider's format): exact, loose and re-indented matches, and the
messages a model gets when a block cannot be placed (pure, literal replies)."""

from __future__ import annotations

import time

import pytest
from tests.scaffold.draft.samples import SEARCH_REPLACE, STORE

from relay_git.scaffold.draft import apply_reply

CODE = "def f(x):\n    if x:\n        return 1\n    return 0\n\n\ndef g():\n    return 2\n"


def _sr(path: str, search: str, replace: str) -> str:
    return f"{path}\n```python\n<<<<<<< SEARCH\n{search}=======\n{replace}>>>>>>> REPLACE\n```\n"


def test_store_task_as_search_replace_edits_one_file_and_creates_another() -> None:
    applied = apply_reply(SEARCH_REPLACE, {"src/store.py": STORE}.get, ["src/store.py"])
    assert applied.problems == ()
    assert set(applied.files) == {"src/store.py", "tests/test_store.py"}
    assert "def low_stock(self, threshold: int)" in applied.files["src/store.py"]
    assert "def add(self, item: str, qty: int)" in applied.files["src/store.py"]
    assert applied.files["tests/test_store.py"].startswith(
        "import pytest\n\nfrom store import Store"
    )
    assert applied.forms == ("search-replace",)


@pytest.mark.parametrize(
    ("search", "replace", "expected"),
    [
        # exact
        ("        return 1\n", "        return 10\n", CODE.replace("return 1\n", "return 10\n")),
        # trailing whitespace and blank lines around the SEARCH ignored
        (
            "\n    if x:   \n        return 1\n\n",
            "    if x:\n        return 11\n",
            CODE.replace("return 1\n", "return 11\n"),
        ),
        # the SEARCH lost the function's indentation: the REPLACE is shifted back
        (
            "if x:\n    return 1\n",
            "if x is not None:\n    return 1\n",
            CODE.replace("if x:", "if x is not None:"),
        ),
        # the SEARCH is indented too deep
        (
            "        def g():\n            return 2\n",
            "        def g():\n            return 3\n",
            CODE.replace("return 2", "return 3"),
        ),
    ],
)
def test_search_matches_exactly_then_loosely_then_reindented(
    search: str, replace: str, expected: str
) -> None:
    applied = apply_reply(_sr("m.py", search, replace), {"m.py": CODE}.get, ["m.py"])
    assert applied.problems == ()
    assert applied.files == {"m.py": expected}


def test_a_failed_block_is_reported_and_the_others_still_apply() -> None:
    reply = (
        _sr("m.py", "    return 0\n", "    return -1\n")
        + _sr("m.py", "def f(y):\n    if y:\n", "def f(z):\n")
        + _sr("m.py", "    return 2\n", "    return 22\n")
    )
    applied = apply_reply(reply, {"m.py": CODE}.get, ["m.py"])
    assert applied.files == {
        "m.py": CODE.replace("return 0", "return -1").replace("return 2", "return 22")
    }
    assert applied.problems == (
        "m.py: SEARCH/REPLACE block 2 was not applied: its SEARCH (starting `def f(y):`) matches "
        "nothing in the file; the closest line is 1: `def f(x):`; a SEARCH must copy the file's "
        "current lines exactly, indentation and comments included",
    )


def test_ambiguous_search_asks_for_more_context() -> None:
    old = "a = 1\nb = 1\na = 1\n"
    applied = apply_reply(_sr("c.py", "a = 1\n", "a = 2\n"), {"c.py": old}.get, ["c.py"])
    assert applied.files == {}
    assert applied.forms == ("search-replace",)  # seen, though not applied
    assert applied.problems == (
        "c.py: SEARCH/REPLACE block 1 was not applied: its SEARCH (starting `a = 1`) matches 2 "
        "places; add surrounding lines so that it matches exactly one",
    )


def test_later_edits_apply_on_top_of_earlier_ones_for_the_same_path() -> None:
    reply = _sr("m.py", "    return 2\n", "    return 3\n") + _sr(
        "m.py", "    return 3\n", "    return 4\n"
    )
    applied = apply_reply(reply, {"m.py": CODE}.get, [])
    assert applied.files == {"m.py": CODE.replace("return 2", "return 4")}


def test_search_on_a_missing_file_and_a_cut_off_block_are_problems() -> None:
    reply = _sr("new.py", "x = 1\n", "x = 2\n") + "m.py\n<<<<<<< SEARCH\n    return 0\n======="
    applied = apply_reply(reply, {"m.py": CODE}.get, ["m.py"])
    assert applied.files == {}
    assert applied.problems == (
        "new.py: SEARCH/REPLACE block 1 was not applied: new.py does not exist; to create it, "
        "leave the SEARCH section empty or write the whole file in a fenced block",
        "m.py: SEARCH/REPLACE block 1 is cut off (no `=======` or `>>>>>>> REPLACE` line); it "
        "was not applied - write it again complete",
    )


def test_an_edit_that_breaks_the_syntax_is_not_applied() -> None:
    applied = apply_reply(_sr("m.py", "    return 2\n", "    return (\n"), {"m.py": CODE}.get, [])
    assert applied.files == {}
    assert applied.problems[0].startswith(
        "m.py: SEARCH/REPLACE block 1 was not applied: the result would not parse (line 8:"
    )


def test_unlabelled_search_replace_goes_to_the_one_asked_path() -> None:
    reply = "<<<<<<< SEARCH\n    return 2\n=======\n    return 5\n>>>>>>> REPLACE\n"
    applied = apply_reply(reply, {"m.py": CODE}.get, ["m.py"])
    assert applied.files == {"m.py": CODE.replace("return 2", "return 5")}


def test_an_edit_sent_again_after_it_was_applied_is_no_problem() -> None:
    edit = _sr("m.py", "    return 2\n", "    return 3\n")
    applied = apply_reply(edit + edit, {"m.py": CODE}.get, ["m.py"])
    assert applied.problems == ()
    assert applied.files == {"m.py": CODE.replace("return 2", "return 3")}


def test_blank_lines_around_a_search_match_a_file_without_blank_lines() -> None:
    old = "a = 1\nb = 2\nc = 3\n"
    reply = "k.py\n<<<<<<< SEARCH\n\nb = 2\n\n=======\nb = 20\n>>>>>>> REPLACE\n"
    assert apply_reply(reply, {"k.py": old}.get, []).files == {"k.py": "a = 1\nb = 20\nc = 3\n"}


def test_a_search_no_line_of_which_is_in_a_large_file_fails_fast() -> None:
    old = "x = 1\n" * 20_000
    reply = _sr("a.py", "x = 1\n" * 2000 + "y = 2\n", "z = 3\n")
    started = time.perf_counter()
    applied = apply_reply(reply, {"a.py": old}.get, [])
    assert time.perf_counter() - started < 2  # window by window it took about 10 s
    assert applied.problems[0].startswith("a.py: SEARCH/REPLACE block 1 was not applied")
