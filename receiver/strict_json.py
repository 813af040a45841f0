"""JSON read strictly: what RFC 8259 allows and a database can store, or `NotStrictJson` saying why.

The standard library's `json.loads` is the parser; its hooks reject `NaN`, `Infinity` and numbers
that overflow to infinity (`1e999`), and the body must be UTF-8 (json would also guess UTF-16 and
UTF-32). Two things json cannot refuse are checked in one walk of the parsed value, hand-written
because no hook sees them: nesting deeper than `MAX_DEPTH` (json has no depth limit; deep enough,
it raises RecursionError, and anything below that still costs every later reader a recursion)
and lone surrogates (`"\\ud800"` parses to a `str` that no UTF-8 database column accepts).
"""

import json
import math
from typing import Any, NoReturn

MAX_DEPTH = 32
"""Thinkific's envelopes nest four levels (envelope, payload, `user`, a custom field)."""


class NotStrictJson(ValueError):
    """The text is not strict JSON; the message says why."""


def _no_constant(name: str) -> NoReturn:
    raise NotStrictJson(f"the body holds {name}, which JSON does not allow")


def _finite_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise NotStrictJson(f"the body holds a number too large for a float ({text[:20]})")
    return number


def loads(body: bytes) -> Any:
    """The value of a UTF-8 JSON body, refusing what `NotStrictJson` lists."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise NotStrictJson("the body is not UTF-8") from None
    try:
        value = json.loads(text, parse_constant=_no_constant, parse_float=_finite_float)
    except RecursionError:
        raise NotStrictJson(f"the body nests deeper than {MAX_DEPTH} levels") from None
    except NotStrictJson:
        raise
    except ValueError:
        raise NotStrictJson("the body is not JSON") from None
    _check_depth_and_text(value)
    return value


def _check_depth_and_text(value: Any) -> None:
    """Refuse nesting deeper than MAX_DEPTH and strings (keys too) that are not valid Unicode."""
    pending = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, str):
            _check_text(item)
            continue
        if not isinstance(item, dict | list):
            continue
        if depth > MAX_DEPTH:
            raise NotStrictJson(f"the body nests deeper than {MAX_DEPTH} levels")
        if isinstance(item, dict):
            for key in item:
                _check_text(key)
            pending.extend((child, depth + 1) for child in item.values())
        else:
            pending.extend((child, depth + 1) for child in item)


def _check_text(text: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise NotStrictJson("the body holds a lone surrogate (\\ud800-\\udfff)") from None
