"""drf-spectacular hooks: schema facts that hold for every operation of a kind."""

from __future__ import annotations

from typing import Any

from cardoc.serializers import _ERROR_DESCRIPTIONS

ERROR_REF = {"$ref": "#/components/schemas/Error"}
_PAGING_PARAMETERS = {"page", "cursor", "page_size"}


def document_paging_errors(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """Every paginated list answers 400 for a bad ``page`` or ``cursor``; say so where a view did not."""
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            if not isinstance(operation, dict):
                continue
            names = {parameter.get("name") for parameter in operation.get("parameters", [])}
            if names & _PAGING_PARAMETERS and "400" not in operation.get("responses", {}):
                operation["responses"]["400"] = {
                    "content": {"application/json": {"schema": ERROR_REF}},
                    "description": str(_ERROR_DESCRIPTIONS[400]),
                }
    return result
