"""THE map from how a command ended to the code the process exits with.

``cli.main`` returns it and the run log records it, both through :func:`exit_code_for`
and :func:`returned`, so the history says what the shell saw. It lives here rather than in
cli.py because the run log (imported by the commands cli.py imports) needs it too.
"""

from __future__ import annotations

import click

from relay_git.errors import RelayError

INTERRUPTED = 130  # 128 + SIGINT: Ctrl-C, as a shell reports it
BROKEN_PIPE = 141  # 128 + SIGPIPE: the reader of our output went away (`| head`)
CLICK_USAGE = 2  # every click error (a bad option, an unreadable --diff-file) is usage
BUG = 1  # anything else is a bug: Python prints the traceback and exits 1


class ReaderGone(Exception):
    """A BrokenPipeError carried past click to cli.main: click itself would end the
    process with exit 1 on any EPIPE."""


def exit_code_for(exc: BaseException) -> int:
    """The exit code of a command that raised ``exc`` (relay-git's errors carry their own)."""
    if isinstance(exc, RelayError):
        return exc.exit_code
    if isinstance(exc, KeyboardInterrupt | click.exceptions.Abort):
        return INTERRUPTED
    if isinstance(exc, BrokenPipeError | ReaderGone):
        return BROKEN_PIPE
    if isinstance(exc, click.exceptions.Exit):
        return exc.exit_code
    if isinstance(exc, click.ClickException):
        return CLICK_USAGE
    if isinstance(exc, SystemExit):
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else BUG)
    return BUG


def returned(result: object) -> int:
    """The exit code of a command that returned ``result``: its int, else 0."""
    return result if isinstance(result, int) else 0
