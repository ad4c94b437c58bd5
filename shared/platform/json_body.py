"""Every function's JSON body parser, without a web framework (the tracking function uses it directly, the others
through Powertools: shared/platform/http.py)."""

from __future__ import annotations

import json
import math
import re
from typing import Any

from shared.platform.errors import InvalidRequest

# No request body of wom's nests deeper than this (DynamoDB's own limit for a stored item is 32); refusing deeper
# bodies before parsing keeps the parser, the models and the serialiser off the recursion limit.
MAX_JSON_DEPTH = 32
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_JSON_BRACKET = re.compile(r"[\[\]{}]")


def json_depth(text: str) -> int:
    """How deep the arrays and objects of a JSON text nest (brackets inside strings do not count)."""
    if text.count("[") + text.count("{") <= MAX_JSON_DEPTH:
        return text.count("[") + text.count("{")  # an upper bound, and within the limit: no scan needed
    depth = deepest = 0
    for bracket in _JSON_BRACKET.findall(_JSON_STRING.sub("", text)):
        depth += 1 if bracket in "[{" else -1
        deepest = max(deepest, depth)
    return deepest


def _not_json(constant: str) -> Any:
    raise InvalidRequest(f"{constant} is not a JSON number", code="malformed_json")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise InvalidRequest(f"the number {text[:40]} is out of range", code="malformed_json")
    return value


def read_json_body(text: str) -> Any:
    """Every function's JSON body parser: strict JSON (no NaN or Infinity), nesting at most MAX_JSON_DEPTH."""
    if json_depth(text) > MAX_JSON_DEPTH:
        raise InvalidRequest(f"the body nests deeper than {MAX_JSON_DEPTH} levels", code="too_deeply_nested")
    try:
        return json.loads(text, parse_constant=_not_json, parse_float=_finite)
    except json.JSONDecodeError:
        raise  # the validation layer answers it as malformed_json
    except (ValueError, RecursionError) as error:  # e.g. an integer of more than 4,300 digits
        raise InvalidRequest("the body is not JSON wom can read", code="malformed_json") from error
