"""Checking one source's settings against the schema, with the source named in every error.

pydantic validates against the ``Config`` dataclass. It is imported only when a value is not
already of its exact type (a string from the environment that must become a number, a wrong
type, a price table): a hook run whose settings are plain strings and lists never pays for it.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, get_args
from urllib.parse import urlsplit

from relay_git.config.schema import (
    FAIL_ON,
    FIELDS,
    KEYS_DOC,
    MINIMUM,
    POSITIVE,
    Config,
    Planner,
)
from relay_git.errors import UsageError
from relay_git.models.base import parse_spec
from relay_git.types import Price

if TYPE_CHECKING:
    from pydantic import TypeAdapter


@functools.cache
def _adapter() -> TypeAdapter[Config]:
    from pydantic import TypeAdapter  # deferred: a run with no settings never loads pydantic

    return TypeAdapter(Config)


def _strings(value: Any) -> bool:
    return isinstance(value, list | tuple) and all(isinstance(item, str) for item in value)


# Per annotation (as the schema spells it): does a value already have exactly that type, and
# what pydantic would make of it. Anything else, right or wrong, goes to pydantic.
_EXACT: dict[str, tuple[Callable[[Any], bool], Callable[[Any], Any]]] = {
    "str": (lambda v: isinstance(v, str), str),
    "str | None": (lambda v: v is None or isinstance(v, str), lambda v: v),
    "int": (lambda v: type(v) is int, int),
    "float": (lambda v: type(v) in (int, float), float),
    "bool": (lambda v: type(v) is bool, bool),
    "tuple[str, ...]": (_strings, tuple),
    "Planner": (lambda v: isinstance(v, str) and v in get_args(Planner), str),
    "FailOn": (lambda v: isinstance(v, str) and v in FAIL_ON, str),
}


def typed(data: Mapping[str, Any], where: Mapping[str, str]) -> dict[str, Any]:
    """The values as the schema types them; pydantic sees only those not already exact."""
    out: dict[str, Any] = {}
    rest: dict[str, Any] = {}
    for key, value in data.items():
        exact = _EXACT.get(str(FIELDS[key].type))
        if exact is not None and exact[0](value):
            out[key] = exact[1](value)
        else:
            rest[key] = value
    if rest:
        out.update(_validate(rest, where))
    return out


def _unknown(raw_key: str, where: str) -> UsageError:
    import difflib

    close = difflib.get_close_matches(raw_key.replace("-", "_"), FIELDS, n=1)
    hint = f"did you mean {close[0]}?" if close else f"the known settings are in {KEYS_DOC}"
    return UsageError(f"{where}: unknown setting {raw_key!r}", hint)


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _validate(data: Mapping[str, Any], where: Mapping[str, str]) -> dict[str, Any]:
    from pydantic import ValidationError

    try:
        full = _adapter().validate_python(dict(data))
    except ValidationError as err:
        first = err.errors()[0]
        key, *rest = [str(part) for part in first["loc"]] or [""]
        place = ".".join([where.get(key, key), *rest])
        raise UsageError(f"{place}: {first['msg']} (got {_shown(first['input'])})") from None
    return {key: getattr(full, key) for key in data}


def check_url(value: str, where: str) -> None:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise UsageError(
            f"{where}: {value!r} is not a URL with a scheme",
            "write it in full, e.g. http://127.0.0.1:8080/v1",
        )


def _semantics(values: dict[str, Any], where: Mapping[str, str]) -> None:
    for key in ("coder", "reviewer"):
        if key in values:
            try:
                values[key] = parse_spec(values[key]).full
            except UsageError as err:
                raise UsageError(f"{where[key]}: {err.message}", err.fix) from None
    for key, least in MINIMUM.items():
        if key in values and values[key] < least:
            raise UsageError(f"{where[key]}: must be at least {least} (got {values[key]})")
    for key in POSITIVE:
        if key in values and values[key] <= 0:
            raise UsageError(f"{where[key]}: must be more than 0 (got {values[key]})")
    if values.get("openai_base_url"):
        check_url(values["openai_base_url"], where["openai_base_url"])
    if "prices" in values:
        values["prices"] = _price_table(values["prices"], where["prices"])


def _price_table(prices: Mapping[str, Price], where: str) -> dict[str, Price]:
    """Keys as full specs, as the ledger names models: ``qwen3-coder:30b`` -> ``ollama:...``."""
    out: dict[str, Price] = {}
    for spec, price in prices.items():
        try:
            out[parse_spec(spec).full] = price
        except UsageError as err:
            raise UsageError(f"{where}.{spec}: {err.message}", err.fix) from None
        if price.input < 0 or price.output < 0:
            raise UsageError(f"{where}.{spec}: prices cannot be negative")
    return out


def check(raw: Mapping[str, Any], where: Mapping[str, str]) -> dict[str, Any]:
    """Typed, validated values for the keys ``raw`` sets; ``where`` names each key's source."""
    data: dict[str, Any] = {}
    for raw_key, value in raw.items():
        key = raw_key.replace("-", "_")
        if key not in FIELDS:
            raise _unknown(raw_key, where.get("") or where.get(raw_key) or "configuration")
        if value == "" and FIELDS[key].default is None:
            value = None
        data[key] = value
    if not data:
        return {}
    where = {key.replace("-", "_"): place for key, place in where.items()}
    values = typed(data, where)
    _semantics(values, where)
    return values


def with_flags(config: Config, **changes: Any) -> Config:
    """``config`` with these values as flags: checked like every source, ``None`` meaning
    "not given"."""
    given = {key: value for key, value in changes.items() if value is not None}
    flags = {key: "--" + key.replace("_", "-") for key in given}
    return dataclasses.replace(config, **check(given, flags))
