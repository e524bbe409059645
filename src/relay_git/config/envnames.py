"""Every ``RELAY_GIT_*`` environment variable relay-git reads; any other is a misspelling.

A misspelled variable is an error with a did-you-mean, as an unknown key in a config file
is: a misspelled reviewer variable silently ignored would review with the default model.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping

from relay_git.errors import UsageError

PREFIX = "RELAY_GIT_"
# Read outside the configuration layers (hooks, the Action's options, diagnostics).
OTHER = frozenset(
    {
        "RELAY_GIT_SKIP",  # skip a hook run
        "RELAY_GIT_HOOK_ARGS",  # extra review flags for a plain git hook
        "RELAY_GIT_REQUIRE_FULL_COVERAGE",  # review --require-full-coverage
        "RELAY_GIT_TRACE",  # append every model exchange to a file
        "RELAY_GIT_LLAMACPP_CTX",  # the in-process llama.cpp context
        "RELAY_GIT_LLAMACPP_THREADS",  # and its threads
        "RELAY_GIT_MAX_COMMENTS",  # relay-git github (the Action's inputs)
        "RELAY_GIT_REQUEST_CHANGES",
        "RELAY_GIT_SARIF",
        "RELAY_GIT_GITHUB_AUTHOR",
        "RELAY_GIT_ALLOW_PULL_REQUEST_TARGET",
        "RELAY_GIT_WHEELS",  # .ci/install-llama.sh: the llama-cpp-python wheel cache
    }
)


def check_names(environ: Mapping[str, str], settings: Iterable[str]) -> None:
    """Refuse a ``RELAY_GIT_*`` variable relay-git does not read (exit 2)."""
    known = OTHER | set(settings)
    for name in sorted(environ):
        if name.startswith(PREFIX) and name not in known:
            close = difflib.get_close_matches(name, sorted(known), n=1)
            hint = f"did you mean {close[0]}?" if close else "unset it"
            raise UsageError(f"the environment: unknown variable {name}", hint)
