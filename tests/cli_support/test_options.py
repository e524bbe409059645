"""cli_support/options.into: click parameters gathered into one typed value."""

from __future__ import annotations

from dataclasses import dataclass

import click
from click.testing import CliRunner


@dataclass(frozen=True)
class Posting:
    max_comments: int
    no_post: bool


def test_into_passes_the_named_parameters_as_one_value_and_leaves_the_rest() -> None:
    from relay_git.cli_support.options import into

    seen: list[object] = []

    @click.command()
    @click.option("--max-comments", type=int, default=20)
    @click.option("--no-post", is_flag=True)
    @click.option("-q", "--quiet", is_flag=True)
    @into(Posting, "posting")
    def command(posting: Posting, quiet: bool) -> None:
        seen.extend([posting, quiet])

    result = CliRunner().invoke(command, ["--max-comments", "3", "-q"], catch_exceptions=False)
    assert result.exit_code == 0
    assert seen == [Posting(max_comments=3, no_post=False), True]
