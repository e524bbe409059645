"""Python blocks merged by qualified name, or taken as the whole module (pure, literal text)."""

from __future__ import annotations

import ast

import pytest
from tests.scaffold.draft.samples import CLASS_PARTIAL, MODULE, NESTED, STORE

from relay_git.scaffold.draft import apply_reply


def _apply(block: str, old: str | None = STORE, path: str = "src/store.py") -> str:
    applied = apply_reply(f"```python\n{block}```\n", {path: old}.get, [path])
    assert applied.problems == ()
    return applied.files[path]


def _methods(source: str, cls: str = "Store") -> list[str]:
    [node] = [n for n in ast.parse(source).body if isinstance(n, ast.ClassDef) and n.name == cls]
    return [n.name for n in node.body if isinstance(n, ast.FunctionDef)]


def test_class_holding_two_methods_replaces_one_adds_one_keeps_the_rest() -> None:
    applied = apply_reply(CLASS_PARTIAL, {"src/store.py": STORE}.get, ["src/store.py"])
    merged = applied.files["src/store.py"]
    assert applied.forms == ("python-merge",)
    assert _methods(merged) == ["add", "remove", "total", "low_stock"]
    assert 'raise ValueError(f"cannot remove' in merged
    assert "self.items[item] = self.items.get(item, 0) - qty" not in merged
    for kept in (
        '"""A tiny inventory."""',
        "@dataclass",
        '"""Items in stock, by name."""',
        "items: dict[str, int] = field(default_factory=dict)",
        "@property",
        "def open_store(name: str) -> Store:",
    ):
        assert merged.count(kept) == 1, kept
    namespace: dict[str, object] = {}
    exec(compile(merged, "store.py", "exec"), namespace)
    store = namespace["Store"]("s")  # type: ignore[operator]
    store.add("apple", 1)
    assert store.low_stock(2) == ["apple"]
    with pytest.raises(ValueError):
        store.remove("apple", 5)


WHOLE_CLASS = '''@dataclass
class Store:
    """Items in stock, by name."""

    name: str
    items: dict[str, int] = field(default_factory=dict)

    def add(self, item: str, qty: int) -> None:
        self.items[item] = self.items.get(item, 0) + qty

    def remove(self, item: str, qty: int) -> None:
        if qty > self.items.get(item, 0):
            raise ValueError(item)
        self.items[item] -= qty

    def low_stock(self, threshold: int) -> list[str]:
        return sorted(i for i, q in self.items.items() if q < threshold)

    @property
    def total(self) -> int:
        return sum(self.items.values())
'''


def test_whole_class_replaces_the_class_and_keeps_the_module_around_it() -> None:
    merged = _apply(WHOLE_CLASS)
    assert _methods(merged) == ["add", "remove", "low_stock", "total"]  # its order
    assert "Put ``qty``" not in merged  # add's docstring went with the rewrite
    assert merged.startswith('"""A tiny inventory."""\n\nfrom __future__ import annotations\n')
    assert merged.endswith("def open_store(name: str) -> Store:\n    return Store(name)\n")


def test_class_leaving_out_a_member_is_merged_so_the_member_stays() -> None:
    merged = _apply(WHOLE_CLASS.replace("    @property\n", "").split("    def total")[0])
    assert _methods(merged) == ["add", "remove", "total", "low_stock"]


PLACEHOLDERS = """class Store:
    # ... existing code ...

    def low_stock(self, threshold: int) -> list[str]:
        return [i for i, q in self.items.items() if q < threshold]

    # ... rest of the class unchanged ...
"""


def test_placeholders_keep_what_is_there_and_are_never_written() -> None:
    merged = _apply(PLACEHOLDERS)
    assert _methods(merged) == ["add", "remove", "total", "low_stock"]
    assert "existing code" not in merged and "unchanged" not in merged


def test_ellipsis_body_means_unchanged_and_ellipsis_member_is_dropped() -> None:
    block = "class Store:\n    ...\n\n    def add(self, item: str, qty: int) -> None: ...\n\n"
    block += "    def clear(self) -> None:\n        self.items.clear()\n"
    merged = _apply(block)
    assert _methods(merged) == ["add", "remove", "total", "clear"]
    assert '"""Put ``qty`` of ``item`` in stock."""' in merged


def test_placeholder_inside_a_function_body_is_a_problem_not_a_loss() -> None:
    block = "class Store:\n    def remove(self, item: str, qty: int) -> None:\n"
    block += "        # ... existing checks ...\n        self.items[item] -= qty\n"
    applied = apply_reply(f"```python\n{block}```", {"a.py": STORE}.get, ["a.py"])
    assert applied.files == {}
    assert applied.problems == (
        "a.py: Store.remove: its body holds a placeholder comment, so it was not changed; "
        "write Store.remove complete, or use a SEARCH/REPLACE block",
    )


def test_module_functions_replace_and_add_by_name_imports_deduplicated_strays_dropped() -> None:
    block = (
        "import os\nimport sys\n\nLIMIT = 5\n\n\n"
        "def other(x: int) -> int:\n    return x * LIMIT\n\n\n"
        "def third() -> str:\n    return sys.platform\n\n\nprint(third())\n"
    )
    merged = _apply(block, MODULE, "h.py")
    assert merged == MODULE.replace("import os\n", "import os\nimport sys\n").replace(
        "LIMIT = 3", "LIMIT = 5"
    ).replace("return x + LIMIT", "return x * LIMIT").replace(
        "\n\nif __name__", "\n\ndef third() -> str:\n    return sys.platform\n\n\nif __name__"
    )


def test_rename_as_whole_file_leaves_the_old_name_gone() -> None:
    renamed = MODULE.replace("old_name", "base_name")
    applied = apply_reply(f"h.py\n```python\n{renamed}```", {"h.py": MODULE}.get, ["h.py"])
    assert applied.files == {"h.py": renamed}
    assert applied.forms == ("whole-file",)


def test_whole_file_rewrite_keeps_main_block_and_module_statements() -> None:
    rewrite = MODULE.replace("return x + LIMIT", "return x - LIMIT") + "\nlogging = None\n"
    assert _apply(rewrite, MODULE, "h.py") == rewrite


def test_nested_classes_merge_at_any_depth() -> None:
    block = """class A:
    class B:
        def g(self):
            return 20

        def k(self):
            return 4
"""
    merged = _apply(block, NESTED, "n.py")
    k = "\n        def k(self):\n            return 4\n"
    assert merged == NESTED.replace("return 2\n", "return 20\n" + k)


def test_new_future_import_goes_first() -> None:
    merged = _apply(
        "from __future__ import annotations\n\n\ndef g() -> int:\n    return 2\n",
        '"""Doc."""\nimport os\n\n\ndef f():\n    return os.sep\n',
        "m.py",
    )
    assert merged.startswith('"""Doc."""\n\nfrom __future__ import annotations\nimport os\n')
    ast.parse(merged)


def test_decorated_new_class_header_replaces_the_old_one() -> None:
    block = "@dataclass(frozen=True)\nclass Store:\n"
    block += "    def clear(self) -> None:\n        self.items.clear()\n"
    merged = _apply(block)
    assert "@dataclass(frozen=True)\nclass Store:\n" in merged and "\n@dataclass\n" not in merged
    assert _methods(merged) == ["add", "remove", "total", "clear"]


def test_new_file_gets_the_block_without_placeholders() -> None:
    assert (
        _apply("# ... imports ...\ndef f():\n    return 1\n", None, "new.py")
        == "def f():\n    return 1\n"
    )


def test_complete_rewrite_of_the_module_is_the_whole_file() -> None:
    rewrite = STORE.replace(
        "        self.items[item] = self.items.get(item, 0) - qty\n",
        "        if qty > self.items.get(item, 0):\n            raise ValueError(item)\n"
        "        self.items[item] -= qty\n\n"
        "    def low_stock(self, threshold: int) -> list[str]:\n"
        "        return sorted(i for i, q in self.items.items() if q < threshold)\n",
    ).replace('        """Put ``qty`` of ``item`` in stock."""\n', "")
    applied = apply_reply(f"src/store.py\n```python\n{rewrite}```", {"src/store.py": STORE}.get, [])
    assert applied.files == {"src/store.py": rewrite}
    assert applied.forms == ("whole-file",)


def test_partial_keeps_a_new_module_name_its_code_uses_and_drops_demo_lines() -> None:
    block = (
        "import logging\n\nlogger = logging.getLogger(__name__)\nresult = open_store('x')\n\n\n"
        "def audit(store: Store) -> None:\n    logger.info('%s', store.total)\n\n\n"
        'if __name__ == "__main__":\n    print(audit(open_store("demo")))\n'
    )
    merged = _apply(block)
    assert "logger = logging.getLogger(__name__)\n" in merged and "import logging\n" in merged
    assert "result = " not in merged and "print(" not in merged
    assert merged.endswith("def audit(store: Store) -> None:\n    logger.info('%s', store.total)\n")


def test_partial_appends_an_entry_point_main_block() -> None:
    block = 'def main() -> int:\n    return 0\n\n\nif __name__ == "__main__":\n'
    block += "    raise SystemExit(main())\n"
    merged = _apply(block)
    assert merged.endswith(
        'def main() -> int:\n    return 0\n\n\nif __name__ == "__main__":\n'
        "    raise SystemExit(main())\n"
    )
    ast.parse(merged)


def test_property_getter_and_setter_are_told_apart() -> None:
    old = (
        "class T:\n    @property\n    def x(self):\n        return self._x\n\n"
        "    @x.setter\n    def x(self, v):\n        self._x = v\n"
    )
    block = "class T:\n    @property\n    def x(self):\n        return self._x * 2\n"
    assert _apply(block, old, "t.py") == old.replace("return self._x\n", "return self._x * 2\n")


def test_one_line_placeholder_class_keeps_the_class() -> None:
    new = "def close_store(store: Store) -> None:\n    store.items.clear()\n"
    assert _apply(f"class Store: ...\n\n\n{new}") == f"{STORE}\n\n{new}"


def test_a_name_the_block_defines_twice_lands_once_as_its_last() -> None:
    block = "def open_store(name: str) -> Store:\n    return Store(name.strip())\n\n\n"
    block += "def open_store(name: str) -> Store:\n    return Store(name.lower())\n"
    assert _apply(block) == STORE.replace("return Store(name)", "return Store(name.lower())")


BROKEN = """def first(p):
    return p[0]


<<<<<<< HEAD
def second(p):
    return p[1]
=======
def second(p):
    return p[-1]
>>>>>>> feature
"""  # a file left with a merge conflict: no Python parses it


def test_a_file_that_does_not_parse_refuses_a_partial_block() -> None:
    reply = "pair.py\n```python\ndef third(p) -> int:\n    return 0\n```\n"
    applied = apply_reply(reply, {"pair.py": BROKEN}.get, [])
    assert applied.files == {}
    assert applied.problems == (
        "pair.py: the file does not parse here (line 5: invalid syntax), so a partial edit "
        "cannot be merged into it; write the whole file or SEARCH/REPLACE blocks",
    )


def test_a_file_that_does_not_parse_takes_its_whole_rewrite_and_search_replace() -> None:
    fixed = BROKEN.split("<<<<<<<")[0] + "def second(p):\n    return p[-1]\n"
    reply = f"pair.py\n```python\n{fixed}```\n"
    assert apply_reply(reply, {"pair.py": BROKEN}.get, []).files == {"pair.py": fixed}
    reply = (
        "pair.py\n<<<<<<< SEARCH\n    return p[0]\n=======\n    return p[0] + 0\n>>>>>>> REPLACE\n"
    )
    applied = apply_reply(reply, {"pair.py": BROKEN}.get, [])
    assert applied.files == {"pair.py": BROKEN.replace("p[0]", "p[0] + 0")}
