"""What every command shares: building the App, progress on stderr, writing output."""

from __future__ import annotations

import os
import re
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import click

from relay_git.cli_support.runlog import remember_app
from relay_git.errors import ModelOutputError, UsageError
from relay_git.util.text import printable

if TYPE_CHECKING:  # the app (config, review engine) loads when a command runs, not at start-up
    from relay_git.app import App


def build_app(
    ctx: click.Context, *, need_repo: bool = False, local: bool = False, **overrides: Any
) -> App:
    """The composition root for a command; ``local`` selects the packaged GGUF models."""
    if local:
        from relay_git.models.local import local_specs

        coder, reviewer = local_specs()
        overrides["coder"] = overrides.get("coder") or coder
        overrides["reviewer"] = overrides.get("reviewer") or reviewer
    injected = (ctx.obj or {}).get("make_backend")
    from relay_git.app import build

    app = build(Path.cwd(), dict(os.environ), overrides, injected, need_repo)
    for line in app.notices:  # settings an untrusted repository tried to make
        click.echo(line, err=True)
    remember_app(ctx, app)
    return app


def elapsed(seconds: float) -> str:
    """``12s``, ``3m05s``."""
    whole = int(seconds)
    return f"{whole}s" if whole < 60 else f"{whole // 60}m{whole % 60:02d}s"


class Ticking:
    """A progress message and the time since the command began, current at every redraw."""

    def __init__(self, message: str, start: float, clock: Callable[[], float] = time.monotonic):
        self.message = message
        self.start = start
        self.clock = clock

    def __str__(self) -> str:
        return f"{self.message} · {elapsed(self.clock() - self.start)}"

    def __rich__(self) -> Any:
        """Rendered on each refresh, so the clock runs; plain text: a ``[`` in a path is
        not rich markup."""
        from rich.text import Text

        return Text(str(self))


@contextmanager
def progress(quiet: bool = False) -> Iterator[Callable[[str], None]]:
    """A spinner on a terminal; silence when stderr is not a terminal or --quiet is given.

    Each message shows the time since the command began (``reviewing part 2/5 (a.py) ·
    12s``). rich is imported on the first message about model work, so a review answered
    from the cache (the pre-commit hook's common case) never pays for it.
    """
    if quiet or not sys.stderr.isatty():
        yield lambda _msg: None
        return
    status: Any = None
    start = time.monotonic()

    def update(msg: str) -> None:
        nonlocal status
        if status is None:
            if msg.startswith("answered from"):
                return  # a cache hit: nothing to wait for
            from rich.console import Console

            plain = not color_wanted(sys.stderr)  # --color never, NO_COLOR
            status = Console(stderr=True, no_color=plain).status(Ticking(msg, start))
            status.start()
        else:
            status.update(Ticking(msg, start))

    try:
        yield update
    finally:
        if status is not None:
            status.stop()


COLOR_KEY = "relay_git.color"  # ctx.meta: the global --color (auto, always, never)
# click.style (already loaded), not rich: a cached hook run on a terminal stays as fast.
_SEVERITY_STYLE: dict[str, dict[str, Any]] = {
    "error": {"fg": "red", "bold": True},
    "warning": {"fg": "yellow"},
    "info": {"fg": "cyan"},
}
_VERDICT_STYLE: dict[str, dict[str, Any]] = {
    "approve": {"fg": "green", "bold": True},
    "fix": {"fg": "yellow", "bold": True},
    "reject": {"fg": "red", "bold": True},
}
_FINDING = re.compile(r"^(.*?:\d+: )(error|warning|info)(: .*)$")
_VERDICT = re.compile(r"^(verdict: |relay-git: )(approve|fix|reject)\b(.*)$")


def color_wanted(stream: IO[str] | None = None) -> bool:
    """Colour for ``stream`` (stdout): ``--color always|never``, else a terminal unless
    NO_COLOR (https://no-color.org) is set or TERM is dumb."""
    ctx = click.get_current_context(silent=True)
    mode = ctx.meta.get(COLOR_KEY, "auto") if ctx is not None else "auto"
    if mode != "auto":
        return bool(mode == "always")
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    target = stream if stream is not None else sys.stdout
    try:
        return target.isatty()
    except (AttributeError, ValueError):
        return False


def style(text: str, fg: str, *, bold: bool = False, stream: IO[str] | None = None) -> str:
    """``click.style`` when colour is wanted on ``stream``, else the plain text."""
    return click.style(text, fg=fg, bold=bold) if color_wanted(stream) else text


def colored(report: str) -> str:
    """The text report with each finding's severity and the verdict in colour."""
    out: list[str] = []
    for line in report.split("\n"):
        if m := _FINDING.match(line):
            line = m.group(1) + click.style(m.group(2), **_SEVERITY_STYLE[m.group(2)]) + m.group(3)
        elif m := _VERDICT.match(line):
            line = m.group(1) + click.style(m.group(2), **_VERDICT_STYLE[m.group(2)]) + m.group(3)
        out.append(line)
    return "\n".join(out)


def check_output(output: str | None) -> None:
    """Refuse an ``-o FILE`` that cannot be written before any model is asked (exit 2)."""
    if not output:
        return
    path = Path(output)
    parent = path.parent
    if path.is_dir():
        problem = "is a directory"
    elif not parent.is_dir():
        problem = f"cannot be created: {parent} is not a directory"
    elif path.exists() and not os.access(path, os.W_OK):
        problem = "is not writable"
    elif not path.exists() and not os.access(parent, os.W_OK | os.X_OK):
        problem = f"cannot be created: {parent} is not writable"
    else:
        return
    raise UsageError(f"-o {output}: {problem}", "give a file in a writable directory")


def emit(text: str, output: str | None, *, color: bool = False) -> None:
    """Write a report to ``-o FILE`` or stdout; ``color``: a text report that may be
    coloured (on a terminal, or with --color always)."""
    text = printable(text)
    if output:
        try:
            Path(output).write_text(text if text.endswith("\n") else text + "\n", "utf-8")
        except OSError as err:
            raise UsageError(f"-o {output}: cannot write: {err.strerror}") from None
    elif color and color_wanted():
        click.echo(colored(text.rstrip("\n")), color=True)
    else:
        click.echo(text.rstrip("\n"))


def save_raw_reply(app: App, err: ModelOutputError) -> None:
    """Keep the model's last invalid reply for the user, next to relay-git's other state."""
    if app.repo is None or not err.raw:
        return
    path = app.repo.state_dir / "last-invalid-reply.txt"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(err.raw, encoding="utf-8")
        err.saved = str(path)
    except OSError:
        pass


def echo_ledger(app: App) -> None:
    if not app.ledger.entries:
        return
    from relay_git.reporters.ledger import render_table

    click.echo(render_table(app.ledger.entries), err=True)
