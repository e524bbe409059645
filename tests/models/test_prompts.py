"""Prompt templates render in a sandbox: a hostile override reads nothing and runs nothing."""

from __future__ import annotations

from pathlib import Path

import jinja2
import pytest

from relay_git.errors import UsageError
from relay_git.models import prompts

# Each payload runs a shell command in an ordinary Jinja2 environment (see the control test).
RUN = "{{ cycler.__init__.__globals__.os.system('touch MARK') }}"
PAYLOADS = (
    "{{ cycler.__init__.__globals__.os.system('touch MARK') }}",
    "{{ lipsum.__globals__['os'].system('touch MARK') }}",
    "{{ self.__init__.__globals__.__builtins__.__import__('os').system('touch MARK') }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}" + RUN,
    "{{ diff.__class__.__init__.__globals__ }}{{ lipsum.__globals__.os.system('touch MARK') }}",
    "{{ diff|attr('__class__') }}{{ lipsum.__globals__.os.system('touch MARK') }}",
    "{{ '{0.__class__}'.format(diff) }}{{ lipsum.__globals__.os.system('touch MARK') }}",
)


def _payload(template: str, mark: Path) -> str:
    return template.replace("MARK", str(mark))


@pytest.mark.parametrize("template", PAYLOADS)
def test_payloads_are_live_outside_the_sandbox(template: str, tmp_path: Path) -> None:
    """Control: the same text in a plain Jinja2 environment really writes the file."""
    mark = tmp_path / "pwned"
    jinja2.Environment().from_string(_payload(template, mark)).render(diff="x")
    assert mark.exists()


@pytest.mark.parametrize("template", PAYLOADS)
def test_hostile_template_is_a_usage_error_and_runs_nothing(template: str, tmp_path: Path) -> None:
    mark = tmp_path / "pwned"
    with pytest.raises(UsageError) as caught:
        prompts.render(_payload(template, mark), "review.system.j2", diff="x")
    assert caught.value.exit_code == 2
    assert str(caught.value).startswith("prompt template review.system.j2")
    assert not mark.exists()


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("{{ ''.__class__.__mro__ }}", "is unsafe: access to attribute '__class__'"),
        ("{{ items.append(3) }}", "is unsafe: access to attribute 'append'"),
        ("{{ range(3) | list }}", "'range' is undefined"),
        ("{{ missing }}", "'missing' is undefined"),
        ("{{ 1 / 0 }}", "failed: division by zero"),
        ("{% if %}", "line 1"),
    ],
)
def test_template_errors_are_one_line_usage_errors(template: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        prompts.render(template, "t.j2", items=[1, 2])


def test_a_template_still_reads_its_variables() -> None:
    text = "{% for f in files %}{{ f.path }}:{{ f['n'] }} {% endfor %}{{ who | upper }}\n"
    files = [{"path": "a.py", "n": 1}, {"path": "b.py", "n": 2}]
    assert prompts.render(text, "t.j2", files=files, who="x") == "a.py:1 b.py:2 X\n"
