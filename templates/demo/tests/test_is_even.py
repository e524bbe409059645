"""What "done" means for the demo task; the relay must make this pass, not change it."""

from mathkit.numbers import is_even


def test_is_even():
    assert is_even(4) is True
    assert is_even(7) is False
    assert is_even(0) is True
    assert is_even(-3) is False
