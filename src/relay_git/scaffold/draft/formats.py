"""The short instruction a prompt includes: which edit forms a reply may use, how to label
a path. Kept beside the parser, so the prompt never promises a form it does not accept."""

from __future__ import annotations

from collections.abc import Sequence

from relay_git.scaffold.draft.routing import lang_of


def edit_formats(paths: Sequence[str]) -> str:
    """The edit-form instructions for a request about ``paths``."""
    named = [f"`{p}` (```{lang_of(p) or 'text'})" for p in paths]
    python = any(p.endswith(".py") for p in paths)
    lines = [
        "Write each file in its own fenced block, its path alone on the line just above the "
        "fence, and the file's language after the backticks"
        + (f": {', '.join(named)}." if named else "."),
        "For a new file, or to rewrite a file, write the whole file.",
    ]
    if python:
        lines.append(
            "For a Python file you may instead write only the functions and classes you add "
            "or change (a class holding only its new or changed methods); everything you do "
            "not write is kept, so remove a definition with a SEARCH/REPLACE block. Never write "
            "placeholders such as `# ... existing code ...`."
        )
    if any(p.endswith(".toml") for p in paths):
        lines.append("For TOML you may write only the [tables] you add or change, each whole.")
    if any(p.endswith(".md") for p in paths):
        lines.append("For markdown you may write only the ## sections you add or change.")
    if any(p.endswith((".md", ".rst", ".txt")) for p in paths):
        lines.append("A file that itself holds ``` lines is fenced with four backticks: ````.")
    lines.append(
        "For a small change in a large file you may write SEARCH/REPLACE blocks, the path on "
        "the line above each:\n"
        "<<<<<<< SEARCH\n(lines copied exactly from the file)\n=======\n(their replacement)\n"
        ">>>>>>> REPLACE"
    )
    return "\n".join(lines)
