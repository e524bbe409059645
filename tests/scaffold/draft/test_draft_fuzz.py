"""``apply_reply`` is total: it never raises, whatever the reply and the files hold, and
what it returns is well formed: safe paths, one-line problems, files that parse (hypothesis;
pure). ``DRAFT_FUZZ_EXAMPLES`` raises the example count for a longer local search."""

from __future__ import annotations

import os
import time
from collections.abc import Callable

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.scaffold.draft.samples import CLASS_PARTIAL, SEARCH_REPLACE, STORE

from relay_git.scaffold.draft import Applied, apply_reply
from relay_git.scaffold.draft.validate import parse_error, parseable_prefix, python_error

FRAGMENTS = [
    "```",
    "````",
    "~~~",
    "```python",
    "```python src/a.py",
    "```toml",
    "```diff",
    "```markdown",
    "a.py",
    "src/a.py",
    "`src/a.py`",
    "### src/a.py",
    "**b.toml**",
    "File: c.json",
    "../x.py",
    "/abs.py",
    ".git/config",
    "# a.py",
    "// w.js",
    "<<<<<<< SEARCH",
    "=======",
    ">>>>>>> REPLACE",
    "--- a/a.py",
    "+++ b/a.py",
    "@@ -1,2 +1,2 @@",
    "-x = 1",
    "+x = 2",
    " y = 2",
    "x = 1",
    "def f():",
    "    return 1",
    "class Store:",
    "    def remove(self):",
    "        pass",
    "...",
    "    # ... existing code ...",
    "import os",
    "from __future__ import annotations",
    "",
    'if __name__ == "__main__":',
    "[project]",
    'name = "x"',
    "{",
    "}",
    "a: [",
    "\t",
    "\x00",
    "def g(:",
    "    ...",
    "@dataclass",
    "print(1)",
    "README.md",
    "## Usage",
    "# Title",
    "c.yml",
    "```yaml",
    "key: value",
]
DOC = "# t\n\n## Usage\n\n```bash\n# run\nt\n```\n\n## License\n\nMIT\n"
FILES = st.one_of(st.none(), st.text(max_size=300), st.just(STORE), st.just(DOC))


def _check(applied: Applied, read: Callable[[str], str | None] = lambda _: None) -> None:
    assert all(isinstance(p, str) and isinstance(t, str) for p, t in applied.files.items())
    for path in applied.files:
        assert not path.startswith("/") and ".." not in path.split("/") and "\\" not in path
    assert all("\n" not in p and "Traceback" not in p for p in applied.problems)
    for path, text in applied.files.items():  # what is written parses, if the old file did
        old = read(path)
        assert parse_error(path, text) is None or parse_error(path, old or "") is not None


SETTINGS = settings(
    max_examples=int(os.environ.get("DRAFT_FUZZ_EXAMPLES", "150")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


@SETTINGS
@given(st.text(max_size=400), FILES, FILES)
def test_arbitrary_text_never_raises(reply: str, a: str | None, b: str | None) -> None:
    files = {"a.py": a, "b.toml": b}
    _check(apply_reply(reply, files.get, ["a.py"]), files.get)


@SETTINGS
@given(
    st.lists(st.sampled_from(FRAGMENTS), max_size=40),
    FILES,
    st.sampled_from([[], ["a.py"], ["a.py", "b.toml"]]),
)
def test_reply_shaped_noise_never_raises(
    parts: list[str], old: str | None, asked: list[str]
) -> None:
    reply = "\n".join(parts)
    files = {"a.py": old, "src/a.py": old, "b.toml": old, "README.md": old, "c.yml": old}
    _check(apply_reply(reply, files.get, asked), files.get)


@SETTINGS
@given(st.lists(st.sampled_from(STORE.splitlines() + CLASS_PARTIAL.splitlines()), max_size=30))
def test_any_mix_of_real_lines_merges_into_a_module_that_parses(lines: list[str]) -> None:
    reply = "src/store.py\n```python\n" + "\n".join(lines) + "\n```\n"
    _check(apply_reply(reply, {"src/store.py": STORE}.get, ["src/store.py"]))


@SETTINGS
@given(st.sampled_from([CLASS_PARTIAL, SEARCH_REPLACE]), st.integers(0, 2000), FILES)
def test_real_replies_cut_anywhere_never_raise(reply: str, cut: int, old: str | None) -> None:
    files = {"src/store.py": old}
    _check(apply_reply(reply[:cut], files.get, ["src/store.py"]), files.get)


@SETTINGS
@given(st.lists(st.sampled_from(STORE.splitlines() + CLASS_PARTIAL.splitlines() + FRAGMENTS)))
def test_fast_parseable_prefix_finds_what_the_line_by_line_search_finds(lines: list[str]) -> None:
    source = "\n".join(lines)
    assert parseable_prefix(source) == _line_by_line_prefix(source)


def _line_by_line_prefix(source: str) -> str:
    """The plain search the fast one must agree with: every prefix, longest first."""
    lines = source.splitlines()
    for end in range(len(lines), 0, -1):
        candidate = "\n".join(lines[:end])
        if python_error(candidate) is None:
            return candidate.rstrip() + "\n"
    return ""


def test_a_block_broken_at_its_top_is_given_up_quickly() -> None:
    funcs = "\n\n".join(f"def f{n}(x):\n    return x + {n}\n" for n in range(4000))
    started = time.perf_counter()
    applied = apply_reply(f'```python\ndef g():\n    """doc\n{funcs}', lambda _: None, ["a.py"])
    assert time.perf_counter() - started < 3  # line by line it took about 5 s
    assert applied.files == {}
