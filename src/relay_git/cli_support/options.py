"""Click parameters gathered into typed option objects, so a command takes a few typed
values instead of a long parameter list (or ``**opts`` and a cast)."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar, cast

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

F = TypeVar("F", bound=Callable[..., Any])


def into(cls: type[DataclassInstance], name: str) -> Callable[[F], F]:
    """Pass the click parameters named like ``cls``'s fields as one ``cls`` value, ``name``.

    Click has already converted each value to its option's type, which the field states.
    """
    fields = [f.name for f in dataclasses.fields(cls)]

    def wrap(fn: F) -> F:
        @functools.wraps(fn)
        def call(*args: Any, **kwargs: Any) -> Any:
            kwargs[name] = cls(**{field: kwargs.pop(field) for field in fields})
            return fn(*args, **kwargs)

        return cast(F, call)

    return wrap
