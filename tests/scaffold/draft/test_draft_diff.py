"""Unified diffs in a ```diff fence, placed by their context (line numbers may be off)."""

from __future__ import annotations

from tests.scaffold.draft.samples import STORE

from relay_git.scaffold.draft import apply_reply

# As a model writes it: the hunk header's numbers are wrong and the blank context line has
# lost its leading space.
DIFF = """To make `remove` safe:

```diff
--- a/src/store.py
+++ b/src/store.py
@@ -40,3 +40,9 @@ class Store:
     def remove(self, item: str, qty: int) -> None:
-        self.items[item] = self.items.get(item, 0) - qty
+        have = self.items.get(item, 0)
+        if qty > have:
+            raise ValueError(f"only {have} {item} in stock")
+        self.items[item] = have - qty

     @property
--- /dev/null
+++ b/tests/test_store.py
@@ -0,0 +1,3 @@
+def test_nothing():
+    assert True
+
```
"""


def test_diff_hunks_apply_by_context_and_new_files_are_created() -> None:
    applied = apply_reply(DIFF, {"src/store.py": STORE}.get, ["src/store.py"])
    assert applied.problems == ()
    assert applied.forms == ("unified-diff",)
    assert applied.files["src/store.py"] == STORE.replace(
        "        self.items[item] = self.items.get(item, 0) - qty\n",
        "        have = self.items.get(item, 0)\n        if qty > have:\n"
        '            raise ValueError(f"only {have} {item} in stock")\n'
        "        self.items[item] = have - qty\n",
    )
    assert applied.files["tests/test_store.py"] == "def test_nothing():\n    assert True\n\n"


def test_a_hunk_that_does_not_match_is_a_problem() -> None:
    reply = DIFF.replace(
        "-        self.items[item] = self.items.get(item, 0) - qty", "-        pass"
    )
    applied = apply_reply(reply, {"src/store.py": STORE}.get, ["src/store.py"])
    assert "src/store.py" not in applied.files
    assert applied.problems == (
        "could not apply hunk 1 of the diff for src/store.py: its context and removed lines do "
        "not match the file; write the whole file or SEARCH/REPLACE blocks",
    )


def test_headerless_diff_uses_the_block_label_and_line_numbers_break_ties() -> None:
    old = "x = 1\ny = 0\nx = 1\ny = 0\n"
    reply = "m.py\n```diff\n@@ -3,2 +3,2 @@\n x = 1\n-y = 0\n+y = 9\n```\n"
    applied = apply_reply(reply, {"m.py": old}.get, [])
    assert applied.files == {"m.py": "x = 1\ny = 0\nx = 1\ny = 9\n"}


def test_diff_deleting_a_file_is_refused() -> None:
    reply = "```diff\n--- a/old.py\n+++ /dev/null\n@@ -1 +0,0 @@\n-x = 1\n```\n"
    applied = apply_reply(reply, {"old.py": "x = 1\n"}.get, [])
    assert applied.files == {}
    assert applied.problems[0].startswith("old.py: the diff deletes the file")


def test_a_hunk_with_a_wrong_context_line_is_placed_by_the_rest() -> None:
    reply = DIFF.replace("     @property", "     @staticmethod")  # the model misremembered it
    applied = apply_reply(reply, {"src/store.py": STORE}.get, ["src/store.py"])
    assert applied.problems == ()
    assert 'raise ValueError(f"only {have} {item} in stock")' in applied.files["src/store.py"]
    assert "@staticmethod" not in applied.files["src/store.py"]


def test_git_style_diff_of_two_files_with_mode_lines() -> None:
    reply = (
        "```diff\ndiff --git a/a.py b/a.py\nindex 1111111..2222222 100644\n--- a/a.py\n+++ b/a.py\n"
        "@@ -1,2 +1,2 @@\n x = 1\n-y = 2\n+y = 3\n"
        "diff --git a/b.py b/b.py\nnew file mode 100644\nindex 0000000..3333333\n--- /dev/null\n"
        "+++ b/b.py\n@@ -0,0 +1 @@\n+z = 1\n\n```\n"
    )
    applied = apply_reply(reply, {"a.py": "x = 1\ny = 2\n"}.get, [])
    assert applied.files == {"a.py": "x = 1\ny = 3\n", "b.py": "z = 1\n"}
    assert applied.problems == ()
