"""The API's JSON parser: DRF's, refusing bodies nested deeper than any real request.

The deepest real body is a speaker request: an object holding a list of window objects (three
levels). A body of a thousand nested lists makes Python's JSON decoder recurse until it raises
RecursionError, which DRF does not expect and which became a 500; deep nesting that stays under
the interpreter's limit would still cost every later walk over the data. Both answer 400.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

MAX_JSON_DEPTH = 32


def nesting_depth(value: object) -> int:
    """How deeply lists and objects nest in parsed JSON (a scalar is 0), without recursion."""
    deepest = 0
    pending = [(value, 1)]
    while pending:
        node, depth = pending.pop()
        children: Iterable[Any]
        if isinstance(node, dict):
            children = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        deepest = max(deepest, depth)
        if depth > MAX_JSON_DEPTH:
            break
        pending.extend((child, depth + 1) for child in children)
    return deepest


class DepthLimitedJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(self._too_deep()) from None
        if nesting_depth(data) > MAX_JSON_DEPTH:
            raise ParseError(self._too_deep())
        return data

    @staticmethod
    def _too_deep() -> str:
        return _("JSON parse error - the body nests deeper than %(max)d levels.") % {
            "max": MAX_JSON_DEPTH
        }
