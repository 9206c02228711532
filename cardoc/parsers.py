"""Request parsers that refuse hostile JSON with a 400 instead of exhausting the interpreter."""

from __future__ import annotations

from collections.abc import Mapping
from typing import IO, Any

from django.utils.translation import gettext_lazy as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError

# No API body nests deeper than a few levels (preferences are the deepest, at a handful); 32 leaves
# clients room while keeping serializers and audit code far from Python's recursion limit.
MAX_JSON_DEPTH = 32
TOO_DEEP = _("JSON may nest at most %(depth)s levels deep.")


def json_depth_exceeds(value: Any, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether ``value`` nests objects or arrays deeper than ``limit``; iterative, so it cannot recurse."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, Mapping):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, plus a depth cap: the C decoder otherwise recurses until RecursionError (a 500)."""

    def parse(self, stream: IO[Any], media_type: str | None = None, parser_context: Any = None) -> Any:
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            raise ParseError(TOO_DEEP % {"depth": MAX_JSON_DEPTH}) from exc
        if json_depth_exceeds(data):
            raise ParseError(TOO_DEEP % {"depth": MAX_JSON_DEPTH})
        return data
